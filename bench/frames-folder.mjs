// Frames per second of a frame-folder run (`seg-stream <folder> --masks --free-space`) over
// 1242x375 PNG frames (KITTI size), next to, in the same run:
//   (1) copy: read every PNG and write it back (bytes only: the I/O floor),
//   (2) ffmpeg: decode every PNG and encode it again as PNG (`ffmpeg -i %06d.png out/%06d.png`),
//   (3) decode-only: the run's own worker pool decoding every PNG (built-in TS decoder).
// Usage: node bench/frames-folder.mjs [--frames N] [--model DIR] [--workers N]
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { createFramePool, segmentFolder } from '../dist/index.js';
import { benchModel, ffmpegSync, ffmpegTimed, round, root, shared, timed, work } from './lib.mjs';

const { values } = parseArgs({
  options: { frames: { type: 'string', default: '120' }, model: { type: 'string' }, workers: { type: 'string' } },
});
const N = Number(values.frames);
const workers = values.workers ? Number(values.workers) : availableParallelism();
const chosen = values.model ? { dir: path.resolve(values.model), label: values.model } : benchModel();
const frames = path.join(work, `kitti-1242x375-${N}`);

// Frames: the real dashcam sample (../shared) scaled to KITTI's size, else ffmpeg's test pattern.
if (!(readdirSync(work).includes(path.basename(frames)) && readdirSync(frames).length === N)) {
  rmSync(frames, { recursive: true, force: true });
  mkdirSync(frames, { recursive: true });
  const sample = path.join(shared, 'samples', 'solidWhiteRight.mp4');
  const src = readdirSync(path.dirname(sample)).includes('solidWhiteRight.mp4')
    ? ['-stream_loop', '-1', '-i', sample]
    : ['-f', 'lavfi', '-i', 'testsrc2=size=1242x375:rate=10'];
  ffmpegSync([
    ...src,
    '-vf',
    'scale=1242:375',
    '-frames:v',
    String(N),
    '-start_number',
    '0',
    path.join(frames, '%010d.png'),
  ]);
}
const files = readdirSync(frames).sort();
const bytes = files.reduce((n, f) => n + readFileSync(path.join(frames, f)).length, 0);

const out = (name) => {
  const d = path.join(work, `frames-${name}`);
  rmSync(d, { recursive: true, force: true });
  mkdirSync(d, { recursive: true });
  return d;
};

// (1) bytes copy
const copyDir = out('copy');
const copy = await timed(async () => {
  for (const f of files) writeFileSync(path.join(copyDir, f), readFileSync(path.join(frames, f)));
});
// (2) ffmpeg decode + re-encode PNG
const ffDir = out('ffmpeg');
const ffSeconds = await ffmpegTimed([
  '-start_number',
  '0',
  '-i',
  path.join(frames, '%010d.png'),
  '-start_number',
  '0',
  path.join(ffDir, '%010d.png'),
]);
// (3) the pool decoding alone
const pool = createFramePool({ threads: workers });
const decode = await timed(async () => {
  const inflight = new Set();
  for (const f of files) {
    while (inflight.size >= 2 * workers + 2) await Promise.race(inflight);
    const p = pool
      .decodeFrame({ file: path.join(frames, f), ffmpeg: 'ffmpeg', spec: null, layout: 'NCHW' })
      .then(() => inflight.delete(p));
    inflight.add(p);
  }
  await Promise.all(inflight);
});
await pool.destroy();
// The run itself: masks + free-space PNGs (fresh folders, nothing skipped).
const runDir = out('run');
const run = await segmentFolder({
  input: frames,
  masks: path.join(runDir, 'masks'),
  freeSpace: path.join(runDir, 'fs'),
  model: chosen.dir,
  workers,
  overwrite: true,
});
const jsonDir = out('run-json');
const runJson = await segmentFolder({
  input: frames,
  masks: path.join(jsonDir, 'masks'),
  freeSpace: path.join(jsonDir, 'fs'),
  freeSpaceJson: path.join(jsonDir, 'fs.jsonl'),
  model: chosen.dir,
  workers,
  overwrite: true,
});

const fps = (s) => round(N / s, 1);
const result = {
  frames: N,
  size: '1242x375',
  pngMB: round(bytes / 2 ** 20, 1),
  model: chosen.label,
  backend: run.backend,
  workers,
  cores: availableParallelism(),
  copyFps: fps(copy.seconds),
  ffmpegPngToPngFps: fps(ffSeconds),
  poolDecodeFps: fps(decode.seconds),
  runFps: run.fps,
  runWithJsonlFps: runJson.fps,
  runVsFfmpegPngToPng: round(run.fps / fps(ffSeconds), 2),
  stageMs: run.stageMs,
  note: 'run = decode + preprocess + infer + masks + free-space PNG encode + atomic writes, all in one process; stageMs are summed per-frame times of overlapping stages',
};
console.table(Object.fromEntries(Object.entries(result).filter(([, v]) => typeof v !== 'object')));
mkdirSync(path.join(root, 'bench', 'results'), { recursive: true });
writeFileSync(path.join(root, 'bench', 'results', 'frames-folder.json'), `${JSON.stringify(result, null, 2)}\n`);
