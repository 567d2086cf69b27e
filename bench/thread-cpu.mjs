// CPU seconds of a Node process per thread and of its ffmpeg children, from /proc (Linux).
// The process runs with bench/ab-threads.cjs preloaded, which names its JavaScript threads
// (main, inference, workers); every other thread of the process (V8's platform threads, libuv's
// pool, ONNX Runtime's intra-op pool when it has one) counts as `other`. Children are read from
// /proc/<pid>/task/<tid>/children while they live and named by their command line (decode: raw
// frames to pipe:1; encode: from pipe:0; probe: ffprobe); `childrenTotal` is the kernel's own sum
// of the children the process waited for (cutime + cstime), so short-lived ones count too.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const PRELOAD = path.join(path.dirname(fileURLToPath(import.meta.url)), 'ab-threads.cjs');
const CLK_TCK = 100;

/** utime + stime (ticks) and the waited-for children's (ticks) of a /proc stat file; undefined when gone. */
function readTicks(file) {
  try {
    const stat = readFileSync(file, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { own: Number(f[11]) + Number(f[12]), children: Number(f[13]) + Number(f[14]) };
  } catch {
    return undefined;
  }
}

function childKind(cmdline) {
  const args = cmdline.split('\0');
  if (path.basename(args[0] ?? '').includes('ffprobe')) return 'probe';
  if (args.includes('pipe:0')) return 'encode';
  if (args.includes('pipe:1') && args.includes('rawvideo')) return 'decode';
  return 'other';
}

/** Looks at every thread and child of `pid` once; `seen` keeps the highest reading of each. */
function sample(pid, seen) {
  let tasks;
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return;
  }
  for (const tid of tasks) {
    const t = readTicks(`/proc/${pid}/task/${tid}/stat`);
    if (t) seen.threads.set(tid, Math.max(seen.threads.get(tid) ?? 0, t.own));
    let kids = [];
    try {
      kids = readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean);
    } catch {
      // the thread ended meanwhile
    }
    for (const child of kids) {
      const entry = seen.children.get(child) ?? { kind: 'other', ticks: 0 };
      seen.children.set(child, entry);
      // Between fork and exec a child still shows node's command line: look again until it is named.
      if (entry.kind === 'other') {
        try {
          entry.kind = childKind(readFileSync(`/proc/${child}/cmdline`, 'utf8'));
        } catch {
          // it ended meanwhile
        }
      }
      const c = readTicks(`/proc/${child}/stat`);
      if (c) entry.ticks = Math.max(entry.ticks, c.own);
    }
  }
  const p = readTicks(`/proc/${pid}/stat`);
  if (p)
    seen.process = { own: Math.max(seen.process.own, p.own), children: Math.max(seen.process.children, p.children) };
}

/**
 * Runs `node [nodeArgs] script ...args` in `cwd` with the thread preload, sampling /proc every
 * `intervalMs`; resolves with its exit code, output, wall seconds and CPU seconds per part.
 *
 * @param {{ script: string, args: string[], cwd: string, nodeArgs?: string[], intervalMs?: number, env?: Record<string, string> }} options
 */
export function runMeasured({ script, args, cwd, nodeArgs = [], intervalMs = 50, env = {} }) {
  const threadsFile = path.join(cwd, `.ab-threads-${process.pid}-${Date.now()}.txt`);
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, ['-r', PRELOAD, ...nodeArgs, script, ...args], {
      cwd,
      env: { ...process.env, ...env, SEGSTREAM_AB_THREADS: threadsFile },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const seen = { threads: new Map(), children: new Map(), process: { own: 0, children: 0 } };
    const timer = setInterval(() => sample(child.pid, seen), intervalMs);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('exit', (code) => {
      clearInterval(timer);
      const wallSeconds = (performance.now() - t0) / 1000;
      const roles = new Map();
      if (existsSync(threadsFile)) {
        for (const line of readFileSync(threadsFile, 'utf8').split('\n')) {
          const [what, a, b] = line.split(' ');
          if (what === 'thread') roles.set(a, b);
          else if (what === 'final') seen.threads.set(a, Math.max(seen.threads.get(a) ?? 0, Number(b)));
          else if (what === 'process')
            seen.process = {
              own: Math.max(seen.process.own, Number(a)),
              children: Math.max(seen.process.children, Number(b)),
            };
        }
        rmSync(threadsFile, { force: true });
      }
      const threads = { main: 0, inference: 0, workers: 0, other: 0 };
      const perThread = [];
      for (const [tid, ticks] of seen.threads) {
        const role = roles.get(tid) ?? 'other';
        threads[role] += ticks / CLK_TCK;
        perThread.push({ tid: Number(tid), role, seconds: ticks / CLK_TCK });
      }
      const children = { decode: 0, encode: 0, probe: 0, other: 0 };
      for (const c of seen.children.values()) children[c.kind] += c.ticks / CLK_TCK;
      const childrenTotal =
        Math.max(seen.process.children, Object.values(children).reduce((a, b) => a + b, 0) * CLK_TCK) / CLK_TCK;
      resolve({
        code,
        stdout,
        stderr,
        wallSeconds,
        cpu: { threads, perThread, process: seen.process.own / CLK_TCK, children, childrenTotal },
      });
    });
  });
}
