// Peak RSS of a log run on a ~200 MB MCAP and a ~2 GB MCAP of the same frames repeated (a log
// ten times longer), each run by the CLI (bin/seg-stream.js, as a user runs it) in a process of its
// own. Target: the big log's peak within 10 % of the small one's. The logs are written to --dir
// (default the system's temporary folder) and deleted after unless --keep.
//
// Each 10 Hz tick holds a JPEG of the front camera (the dashcam sample at --size) and, with
// --side WxH, a raw rgb8 image of a second camera, which the run reads past (--topics picks the
// front camera): the file grows by the bytes of a log's other sensors while the frames segmented
// stay few enough for a loaded machine. --side none: the front camera only (every byte segmented).
//
// Usage: node bench/log-memory.mjs [--small-mb 200] [--big-mb 2000] [--size 1920x1080]
//   [--side 640x360|none] [--model DIR] [--dir /tmp] [--keep] [--env K=V]... [--note TEXT]
//   [--small-rounds 3] [--big-rounds 1]   (runs of each log; the ratio is of the median peaks)
// Appends its result to bench/results/log-memory-<date>.json.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { benchModel, root, round } from './lib.mjs';
import { SIDE_TOPIC, TOPIC, jpegFrames, jpegMcap, rawFrames } from './log-lib.mjs';

const { values } = parseArgs({
  options: {
    'small-mb': { type: 'string', default: '200' },
    'big-mb': { type: 'string', default: '2000' },
    size: { type: 'string', default: '1920x1080' },
    side: { type: 'string', default: '640x360' },
    model: { type: 'string' },
    dir: { type: 'string', default: os.tmpdir() },
    keep: { type: 'boolean', default: false },
    env: { type: 'string', multiple: true, default: [] },
    note: { type: 'string', default: '' },
    'small-rounds': { type: 'string', default: '3' },
    'big-rounds': { type: 'string', default: '1' },
  },
});
const chosen = values.model ? { dir: path.resolve(values.model), label: values.model } : benchModel();
const env = Object.fromEntries(values.env.map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));
const folder = jpegFrames(100, values.size);
const side = values.side === 'none' ? undefined : rawFrames(100, values.side);
const sideBytes = side ? side.frames.reduce((n, f) => n + f.length, 0) : 0;
const passMB = (readdirSync(folder).reduce((n, f) => n + statSync(path.join(folder, f)).size, 0) + sideBytes) / 2 ** 20;

/** Peak of the summed VmRSS of `pid` and its descendants, sampled every 200 ms until it exits. */
function treeRss(pid) {
  const kb = (p) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${p}/status`, 'utf8'))?.[1] ?? 0);
  const tree = (p) => {
    const kids = readdirSync(`/proc/${p}/task`).flatMap((t) =>
      readFileSync(`/proc/${p}/task/${t}/children`, 'utf8').trim().split(/\s+/).filter(Boolean),
    );
    return [p, ...kids.flatMap(tree)];
  };
  let peak = 0;
  const timer = setInterval(() => {
    try {
      peak = Math.max(
        peak,
        tree(pid).reduce((n, p) => n + kb(p), 0),
      );
    } catch {
      // a process of the tree exited between two reads
    }
  }, 200);
  return () => (clearInterval(timer), Math.round(peak / 1024));
}

/** Runs the CLI over `file` under GNU time; its figures and the run's summary. */
function runLog(file) {
  const stats = `${file}.stats.jsonl`;
  const args = ['-f', '%M %e %U %S', process.execPath, path.join(root, 'bin', 'seg-stream.js'), file];
  args.push(...(side ? ['--topics', TOPIC] : []), '--stats', stats, '--json', '-m', chosen.dir);
  const child = spawn('/usr/bin/time', args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const peakTree = treeRss(child.pid);
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (err += d));
  return new Promise((resolve, reject) =>
    child.on('close', (code) => {
      const treeMB = peakTree();
      rmSync(stats, { force: true });
      if (code !== 0) return reject(new Error(`exit ${code}: ${err}`));
      const [maxKB, wall, user, sys] = (err.trim().split('\n').pop() ?? '').split(' ').map(Number);
      const s = JSON.parse(out.trim().split('\n').pop() ?? '{}');
      resolve({
        frames: s.frames,
        fps: s.fps,
        peakRssMB: s.peakRssMB,
        maxRssMB: Math.round(maxKB / 1024),
        treeMB,
        wall,
        cpuSeconds: round(user + sys, 1),
      });
    }),
  );
}

/** Writes the log of ~`mb` MB and runs it `rounds` times (the log deleted after unless --keep). */
const measure = async (mb, rounds) => {
  const repeat = Math.max(0.01, mb / passMB);
  const name = `seg-stream-log-memory-${values.size}-${values.side}-${Math.round(repeat * 100)}.mcap`;
  const file = await jpegMcap(path.join(values.dir, name), folder, repeat, side);
  const fileMB = round(statSync(file).size / 2 ** 20, 0);
  try {
    const runs = [];
    for (let r = 0; r < rounds; r++) {
      runs.push(await runLog(file));
      console.error(`${mb} MB: ${JSON.stringify(runs.at(-1))}`);
    }
    const median = [...runs].sort((a, b) => a.maxRssMB - b.maxRssMB)[Math.floor(runs.length / 2)].maxRssMB;
    return { fileMB, medianMaxRssMB: median, runs };
  } finally {
    if (!values.keep) rmSync(file, { force: true });
  }
};

const small = await measure(Number(values['small-mb']), Number(values['small-rounds']));
const big = await measure(Number(values['big-mb']), Number(values['big-rounds']));
const result = {
  command: `node bench/log-memory.mjs ${process.argv.slice(2).join(' ')}`.trim(),
  note: values.note,
  model: chosen.label,
  topics: side ? `${TOPIC} segmented, ${SIDE_TOPIC} (rgb8 ${values.side}) read past` : TOPIC,
  env,
  loadAverage: os.loadavg().map((l) => round(l, 2)),
  small,
  big,
  ratio: round(big.medianMaxRssMB / small.medianMaxRssMB, 3),
  target: 1.1,
};
console.log(JSON.stringify(result));
const out = path.join(root, 'bench', 'results', `log-memory-${new Date().toISOString().slice(0, 10)}.json`);
const runs = existsSync(out) ? JSON.parse(readFileSync(out, 'utf8')).runs : [];
writeFileSync(out, `${JSON.stringify({ bench: 'log-memory', runs: [...runs, result] }, null, 1)}\n`);
