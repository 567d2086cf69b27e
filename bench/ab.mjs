// A/B of file mode: this tree against a baseline tree on the same input, in alternating rounds.
// Each round runs, per tree, `node bin/seg-stream.js IN -o OUT --json -q` (the order flips every
// round) and, unless --no-bound, a plain ffmpeg transcode of the input and the model alone at each
// tree's network size, so the bound 1/(1/transcode + 1/model) is measured in the same run.
// Reported per tree (median over rounds): fps, and CPU milliseconds per frame of each thread of
// the seg-stream process (main, inference, workers, other: V8/libuv/ONNX Runtime pool threads)
// and of its ffmpeg children (decode, encode, probe), from /proc (bench/thread-cpu.mjs); then the
// ratios current / baseline. CPU per frame holds up on a loaded machine; fps does not.
//
// The baseline is a directory holding a built tree (bin/, dist/), or a commit: its files are
// exported to bench/out/ab-<commit>/ (git archive), node_modules linked to this tree's, and
// `npm run build` run there once.
// Input: the dashcam clip looped to 884 frames at 960x540 25 fps (made once in bench/out/), or --input.
// Usage: node bench/ab.mjs [--baseline 0dee18e|DIR] [--rounds 3] [--input FILE] [--frames N]
//          [--model DIR: the same model for both trees] [--no-bound] [--out ab.json]
//          [--gc: runs under --trace-gc and reports full (mark-compact) GCs per 100 frames, main thread and others]
import { execFileSync, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { createEngine, DEFAULT_MODEL, loadModel } from '../dist/index.js';
import { modelAtSize } from '../dist/infer/input-size.js';
import { resizeToTensor } from '../dist/pixels/tensor.js';
import { bins, makeClip, root, round, timed, transcodeTimed, work } from './lib.mjs';
import { runMeasured } from './thread-cpu.mjs';
import { builtTree } from './trees.mjs';

const { values } = parseArgs({
  options: {
    baseline: { type: 'string', default: '0dee18e' },
    rounds: { type: 'string', default: '3' },
    input: { type: 'string' },
    frames: { type: 'string' },
    model: { type: 'string' },
    'no-bound': { type: 'boolean' },
    gc: { type: 'boolean' },
    out: { type: 'string' },
  },
});

/** @type {{ name: string, dir: string, label: string, modelDir: string, runs: any[] }[]} */
const trees = [
  { name: 'baseline', modelDir: '', runs: [], ...builtTree(values.baseline) },
  {
    name: 'current',
    modelDir: '',
    runs: [],
    dir: root,
    label: `${execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root, encoding: 'utf8' }).trim()}${spawnSync('git', ['diff', '--quiet', 'HEAD'], { cwd: root }).status ? ' + uncommitted changes' : ''}`,
  },
];
const input = values.input
  ? path.resolve(values.input)
  : makeClip('ab-dashcam-960x540-25fps-884.mp4', { size: '960x540', fps: 25, frames: 884 });
const ROUNDS = Number(values.rounds);
for (const t of trees) {
  t.modelDir = values.model ? path.resolve(values.model) : path.join(t.dir, 'models', DEFAULT_MODEL);
  t.runs = [];
}

async function runTree(tree, r) {
  const out = path.join(work, `ab-${tree.name}.mp4`);
  const args = [
    input,
    '-o',
    out,
    '--json',
    '-q',
    ...(values.model ? ['--model', tree.modelDir] : []),
    ...(values.frames ? ['--frames', values.frames] : []),
  ];
  // Both trees run the same ffmpeg (older trees preferred the bundled 2018 build).
  const env = { FFMPEG_PATH: bins.ffmpeg.path, FFPROBE_PATH: bins.ffprobe.path };
  const m = await runMeasured({
    script: path.join(tree.dir, 'bin', 'seg-stream.js'),
    args,
    cwd: tree.dir,
    env,
    nodeArgs: values.gc ? ['--trace-gc'] : [],
  });
  if (m.code !== 0) throw new Error(`${tree.name} run failed (exit ${m.code}): ${m.stderr}`);
  // With --gc, V8's trace lines share stdout with the summary (the one JSON line).
  const summary = JSON.parse(m.stdout.split('\n').find((l) => l.startsWith('{')) ?? m.stdout);
  const n = summary.frames;
  const perFrame = (s) => round((s * 1000) / n, 2);
  const { threads, children } = m.cpu;
  const cpuMs = {
    main: perFrame(threads.main),
    inference: perFrame(threads.inference),
    workers: perFrame(threads.workers),
    otherThreads: perFrame(threads.other),
    node: perFrame(m.cpu.process),
    decode: perFrame(children.decode),
    encode: perFrame(children.encode),
    probe: perFrame(children.probe),
    children: perFrame(m.cpu.childrenTotal),
    total: perFrame(m.cpu.process + m.cpu.childrenTotal),
  };
  const network = summary.networkInput ?? (await loadModel(tree.modelDir)).card.input;
  const gc = values.gc ? fullGcsPer100(m.stdout, n) : undefined;
  const run = {
    round: r + 1,
    ...(gc ? { fullGcsPer100: gc } : {}),
    fps: summary.fps,
    frames: n,
    wallSeconds: round(m.wallSeconds, 2),
    busyCores: round((m.cpu.process + m.cpu.childrenTotal) / summary.wallSeconds, 2),
    network: `${network.width}x${network.height}`,
    cpuMs,
    stageMs: summary.stageMs,
  };
  tree.runs.push(run);
  console.error(`${tree.name} round ${r + 1}: ${JSON.stringify(run)}`);
}

/**
 * Full (mark-compact) collections per 100 frames from a `--trace-gc` log: on the main thread (the
 * isolate that collects first, at start-up) and on all other threads together.
 */
function fullGcsPer100(log, frames) {
  const isolates = [];
  const full = new Map();
  for (const line of log.split('\n')) {
    const m = /^\[\d+:(0x[0-9a-f]+)\]\s+[\d.]+ ms: (Scavenge|Mark-Compact|Mark-Sweep|Minor Mark-Sweep)/.exec(line);
    if (!m) continue;
    if (!isolates.includes(m[1])) isolates.push(m[1]);
    if (m[2] === 'Mark-Compact' || m[2] === 'Mark-Sweep') full.set(m[1], (full.get(m[1]) ?? 0) + 1);
  }
  const main = full.get(isolates[0]) ?? 0;
  const all = [...full.values()].reduce((a, b) => a + b, 0);
  return { main: round((main * 100) / frames, 1), otherThreads: round(((all - main) * 100) / frames, 1) };
}

/** The model alone on the engine at `size`: all cores, idle threads may spin (as bench/video-e2e.mjs). */
async function modelAloneFps(modelDir, size, frames = 150) {
  const model = modelAtSize(await loadModel(modelDir), size);
  const engine = await createEngine(model, { engine: 'onnx', spin: true });
  const { width, height } = model.card.input;
  const rgb = new Uint8Array(width * height * 3).map((_, i) => (i * 37) % 251);
  const x = resizeToTensor(rgb, width, height, model.card.input, engine.inputLayout);
  for (let i = 0; i < 10; i++) await engine.run([x]);
  const t = await timed(async () => {
    for (let i = 0; i < frames; i++) await engine.run([x]);
  });
  await engine.dispose();
  return frames / t.seconds;
}

/** @type {{ transcodeFps: number[], modelFps: Record<string, number[]> }} */
const bound = { transcodeFps: [], modelFps: {} };
async function boundRound(frames) {
  const s = await transcodeTimed(
    input,
    path.join(work, 'ab-transcode.mp4'),
    values.frames ? ['-frames:v', values.frames] : [],
  );
  bound.transcodeFps.push(round(frames / s));
  for (const t of trees) {
    const run = t.runs.at(-1);
    const key = `${t.modelDir} ${run.network}`;
    const [w, h] = run.network.split('x').map(Number);
    (bound.modelFps[key] ??= []).push(round(await modelAloneFps(t.modelDir, { width: w, height: h })));
  }
}

for (let r = 0; r < ROUNDS; r++) {
  for (const t of r % 2 === 0 ? trees : [...trees].reverse()) await runTree(t, r);
  if (!values['no-bound']) await boundRound(trees[1].runs.at(-1).frames);
}

const median = (a) => round(medianOf(a), 3);
const medianOf = (a) => {
  const s = [...a].sort((x, y) => x - y);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const results = {
  date: new Date().toISOString(),
  input,
  rounds: ROUNDS,
  loadAverage: (await import('node:os')).loadavg().map((v) => round(v)),
  trees: {},
};
for (const t of trees) {
  const keys = Object.keys(t.runs[0].cpuMs);
  const summary = {
    label: t.label,
    model: t.modelDir,
    network: t.runs[0].network,
    fps: median(t.runs.map((x) => x.fps)),
    busyCores: median(t.runs.map((x) => x.busyCores)),
    cpuMs: Object.fromEntries(keys.map((k) => [k, round(median(t.runs.map((x) => x.cpuMs[k])), 2)])),
  };
  if (values.gc)
    summary.fullGcsPer100 = {
      main: median(t.runs.map((x) => x.fullGcsPer100.main)),
      otherThreads: median(t.runs.map((x) => x.fullGcsPer100.otherThreads)),
    };
  if (!values['no-bound']) {
    const transcode = median(bound.transcodeFps);
    const model = median(bound.modelFps[`${t.modelDir} ${summary.network}`]);
    const b = 1 / (1 / transcode + 1 / model);
    Object.assign(summary, {
      transcodeFps: transcode,
      modelAloneFps: model,
      boundFps: round(b),
      vsBound: round(summary.fps / b),
    });
  }
  results.trees[t.name] = { ...summary, runs: t.runs };
}
const [A, B] = [results.trees.baseline, results.trees.current];
results.ratios = {
  fps: round(B.fps / A.fps, 3),
  ...Object.fromEntries(
    Object.keys(A.cpuMs).map((k) => [`cpuMs.${k}`, A.cpuMs[k] ? round(B.cpuMs[k] / A.cpuMs[k], 3) : null]),
  ),
};

console.log(
  `input ${path.relative(root, input)}; ${ROUNDS} rounds; medians; CPU in ms per frame; load average at the end ${results.loadAverage.join(' ')}`,
);
console.log(`| | baseline ${A.label} | current ${B.label} | current / baseline |`);
console.log('|---|---|---|---|');
const row = (name, a, b) =>
  console.log(`| ${name} | ${a} | ${b} | ${typeof a === 'number' && a ? round(b / a, 3) : ''} |`);
row('network input', A.network, B.network);
row('fps', A.fps, B.fps);
for (const k of Object.keys(A.cpuMs)) row(`CPU ${k}`, A.cpuMs[k], B.cpuMs[k]);
row('busy cores (CPU s / wall s)', A.busyCores, B.busyCores);
if (values.gc) {
  row('full GCs / 100 frames, main', A.fullGcsPer100.main, B.fullGcsPer100.main);
  row('full GCs / 100 frames, other threads', A.fullGcsPer100.otherThreads, B.fullGcsPer100.otherThreads);
}
if (!values['no-bound']) {
  row('transcode fps', A.transcodeFps, B.transcodeFps);
  row('model alone fps', A.modelAloneFps, B.modelAloneFps);
  row('bound fps', A.boundFps, B.boundFps);
  row('pipeline / bound', A.vsBound, B.vsBound);
}
if (values.out) {
  const file = path.join(root, 'bench', 'results', path.basename(values.out));
  writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
  console.log(`results: ${path.relative(root, file)}`);
}
