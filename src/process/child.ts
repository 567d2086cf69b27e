/**
 * Child processes the pipeline owns (ffmpeg decoders and encoders): stderr tail kept for error
 * messages, CPU time sampled for per-stage costs, SIGTERM then SIGKILL on stop, and killed when
 * the parent process exits. Children run in their own process group, so a stop meant for
 * seg-stream (Ctrl-C in a terminal, SIGTERM/SIGHUP to the group) never kills them mid-file.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { redact } from './redact.js';
import type { Stream } from 'node:stream';

const live = new Set<ChildProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const child of live) child.kill('SIGKILL');
  });
}

/** Clock ticks per second used by /proc/<pid>/stat (100 on every Linux this runs on). */
const CLK_TCK = 100;

/** A spawned child with the bookkeeping every stage needs. */
export interface ManagedChild {
  readonly process: ChildProcess;
  /** The command line, with credentials removed. */
  readonly command: string;
  /** Last lines of stderr (at most `stderrLines`). */
  stderrTail(): string;
  /** CPU seconds (user + system) used so far, sampled from /proc; 0 where /proc is absent. */
  cpuSeconds(): number;
  /** Resolves with the exit code (or null and the signal) once the process has exited. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGTERM now, SIGKILL after `graceMs` if it is still alive. Idempotent. */
  kill(graceMs?: number): Promise<void>;
}

/** Options for {@link spawnManaged}. */
export interface SpawnManagedOptions {
  stdin?: 'pipe' | 'ignore';
  /** A stream (e.g. a socket): the child writes to its descriptor (see `spawn`'s stdio). */
  stdout?: 'pipe' | 'ignore' | Stream;
  stderrLines?: number;
  /** Sees every stderr line; what it returns is kept in the tail (undefined: the line is dropped). */
  onStderrLine?: (line: string) => string | undefined;
}

function readCpuSeconds(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may contain spaces) start after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
  } catch {
    return undefined;
  }
}

/** Spawns a child owned by the pipeline. */
export function spawnManaged(file: string, args: string[], options: SpawnManagedOptions = {}): ManagedChild {
  installExitHook();
  const child = spawn(file, args, {
    stdio: [options.stdin ?? 'ignore', options.stdout ?? 'pipe', 'pipe'],
    windowsHide: true,
    // Its own process group: a terminal's Ctrl-C (SIGINT to the foreground group) or a SIGTERM/
    // SIGHUP sent to our group reaches only seg-stream, which then ends the child itself after
    // finishing the outputs. The exit hook below still kills it when this process exits.
    detached: process.platform !== 'win32',
  });
  live.add(child);
  const maxLines = options.stderrLines ?? 20;
  let tail: string[] = [];
  let partial = '';
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (chunk: string) => {
    const lines = (partial + chunk).split(/\r?\n|\r/);
    partial = lines.pop() ?? '';
    const filter = options.onStderrLine;
    const kept = filter ? lines.map(filter).filter((l): l is string => l !== undefined) : lines;
    tail.push(...kept.filter((l) => l.trim() !== ''));
    if (tail.length > maxLines) tail = tail.slice(-maxLines);
  });
  let cpu = 0;
  const sample = () => {
    const value = readCpuSeconds(child.pid);
    if (value !== undefined) cpu = value;
  };
  const sampler = setInterval(sample, 200);
  sampler.unref();
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    let done = false;
    const finish = (code: number | null, signal: NodeJS.Signals | null) => {
      if (done) return;
      done = true;
      clearInterval(sampler);
      live.delete(child);
      resolve({ code, signal });
    };
    child.once('exit', (code, signal) => finish(code, signal));
    // spawn failures (ENOENT, EACCES) emit 'error' and may never emit 'exit'.
    child.once('error', () => finish(null, null));
  });
  // The last CPU sample is taken when stdout closes, just before the process exits.
  child.stdout?.once('end', sample);
  let killing: Promise<void> | undefined;
  return {
    process: child,
    command: redact([file, ...args].join(' ')),
    stderrTail: () => redact([...tail, partial].filter((l) => l.trim() !== '').join('\n')),
    cpuSeconds: () => {
      sample();
      return cpu;
    },
    exited,
    kill(graceMs = 2000) {
      if (killing) return killing;
      killing = (async () => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
        await exited;
        clearTimeout(timer);
      })();
      return killing;
    },
  };
}

/** Kills every pipeline-owned child now with SIGKILL (an abort that cannot wait). */
export function killChildrenSync(): void {
  for (const child of live) child.kill('SIGKILL');
}

/** Number of pipeline-owned children alive now (for leak checks in tests). */
export function liveChildCount(): number {
  return live.size;
}
