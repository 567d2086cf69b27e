// Overhead of keeping source timestamps (decoder `showinfo` pts, gap filling / timestamped
// Matroska to the encoder) on the video-e2e pipeline run: `segmentVideo(clip -> overlay.mp4)` of
// this tree against the same run of a build from before the change, in interleaved rounds (each
// keeps its best), with the same ffmpeg/ffprobe binaries for both.
// Usage: node bench/timestamps-overhead.mjs --before DIR [--rounds 3]
//   DIR: a compiled dist/ of the commit before (e.g. git archive <commit> src tsconfig*.json
//   package.json | tar -x -C DIR; ln -s $PWD/node_modules DIR/node_modules; npx tsc -p DIR/tsconfig.build.json)
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadModel } from '../dist/infer/model-card.js';
import { segmentVideo } from '../dist/runs/video/segment-video.js';
import { lastValueFrom, tap } from 'rxjs';
import { FrameTimes } from '../dist/ingest/frame-times.js';
import { InFlightGate } from '../dist/ingest/gate.js';
import { probeVideo } from '../dist/ingest/probe.js';
import { decodeFrames } from '../dist/ingest/video-decoder.js';
import { benchModel, bins, makeClip, round, root, shared, work } from './lib.mjs';

const { values } = parseArgs({
  options: {
    before: { type: 'string' },
    rounds: { type: 'string', default: '3' },
    'decoder-only': { type: 'boolean' },
  },
});
if (!values.before && !values['decoder-only'])
  throw new Error('--before DIR (a dist of the commit before) is required');
const ROUNDS = Number(values.rounds);
// The build before may have the old layout (dist/pipeline) or the run core one (dist/runs/video).
const beforeModule = async (dir) =>
  import(path.resolve(dir, 'dist', 'runs', 'video', 'segment-video.js')).catch(
    () => import(path.resolve(dir, 'dist', 'pipeline', 'segment-video.js')),
  );
const before = values.before ? await beforeModule(values.before) : undefined;
const model = await loadModel(benchModel().dir);
const binaries = { ffmpegPath: bins.ffmpeg.path, ffprobePath: bins.ffprobe.path };

const clips = [
  ['720p', makeClip('bench-1280x720-30fps-660.mp4', { size: '1280x720', fps: 30, frames: 660 })],
  ['dashcam-960x540', path.join(shared, 'samples', 'solidWhiteRight.mp4')],
];
const results = {
  date: new Date().toISOString(),
  ffmpeg: bins.ffmpeg.path,
  rounds: ROUNDS,
  note: 'other work shared the 2 cores while this ran',
  scenarios: {},
  decoderCpu: {},
};

// The decoder alone, with and without frame times (showinfo + stderr parsing): ffmpeg CPU
// milliseconds per frame (less sensitive to other load than wall time) and this process's CPU.
async function decodeOnce(info, withTimes) {
  const gate = new InFlightGate(8);
  /** @type {any} */
  let child;
  const cpu0 = process.cpuUsage();
  await lastValueFrom(
    decodeFrames({
      ffmpeg: bins.ffmpeg.path,
      info,
      gate,
      format: 'yuv420p',
      frameTimes: withTimes ? new FrameTimes() : undefined,
      onSpawn: (c) => (child = c),
    }).pipe(tap(() => gate.release())),
    { defaultValue: undefined },
  );
  const own = process.cpuUsage(cpu0);
  return { ffmpegMs: (child.cpuSeconds() * 1000) / info.frames, nodeMs: (own.user + own.system) / 1000 / info.frames };
}
for (const [name, clip] of clips) {
  const info = await probeVideo(clip, { ffprobe: bins.ffprobe.path });
  const best = { plain: { ffmpegMs: Infinity, nodeMs: Infinity }, times: { ffmpegMs: Infinity, nodeMs: Infinity } };
  for (let r = 0; r < ROUNDS + 2; r++) {
    for (const k of ['plain', 'times']) {
      const m = await decodeOnce(info, k === 'times');
      best[k] = { ffmpegMs: Math.min(best[k].ffmpegMs, m.ffmpegMs), nodeMs: Math.min(best[k].nodeMs, m.nodeMs) };
    }
  }
  const total = (b) => b.ffmpegMs + b.nodeMs;
  results.decoderCpu[name] = {
    plainMsPerFrame: round(total(best.plain)),
    withTimesMsPerFrame: round(total(best.times)),
    withTimesOverPlain: round(total(best.times) / total(best.plain)),
    detail: best,
  };
  console.error(`decoder ${name}: ${JSON.stringify(results.decoderCpu[name])}`);
}
for (const [name, clip] of before ? clips : []) {
  let a = 0;
  let b = 0;
  for (let r = 0; r < ROUNDS; r++) {
    const old = await before.segmentVideo({
      input: clip,
      output: path.join(work, `ts-before-${name}.mp4`),
      model,
      ...binaries,
    });
    const now = await segmentVideo({
      input: clip,
      output: path.join(work, `ts-after-${name}.mp4`),
      model,
      ...binaries,
    });
    a = Math.max(a, old.fps);
    b = Math.max(b, now.fps);
  }
  results.scenarios[name] = { beforeFps: a, afterFps: b, afterOverBefore: round(b / a) };
  console.error(`${name}: ${JSON.stringify(results.scenarios[name])}`);
}
const file = path.join(
  root,
  'bench',
  'results',
  values['decoder-only'] ? 'timestamps-decoder-cpu.json' : 'timestamps-overhead.json',
);
writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
console.log(`results: ${path.relative(root, file)}`);
