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
import { segmentVideo } from '../dist/pipeline/segment-video.js';
import { benchModel, bins, makeClip, round, root, shared, work } from './lib.mjs';

const { values } = parseArgs({ options: { before: { type: 'string' }, rounds: { type: 'string', default: '3' } } });
if (!values.before) throw new Error('--before DIR (a dist of the commit before) is required');
const ROUNDS = Number(values.rounds);
const before = await import(path.resolve(values.before, 'dist', 'pipeline', 'segment-video.js'));
const model = await loadModel(benchModel().dir);
const binaries = { ffmpegPath: bins.ffmpeg.path, ffprobePath: bins.ffprobe.path };

const clips = [['720p', makeClip('bench-1280x720-30fps-660.mp4', { size: '1280x720', fps: 30, frames: 660 })], ['dashcam-960x540', path.join(shared, 'samples', 'solidWhiteRight.mp4')]];
const results = { date: new Date().toISOString(), ffmpeg: bins.ffmpeg.path, rounds: ROUNDS, note: 'other work shared the 2 cores while this ran', scenarios: {} };
for (const [name, clip] of clips) {
  let a = 0;
  let b = 0;
  for (let r = 0; r < ROUNDS; r++) {
    const old = await before.segmentVideo({ input: clip, output: path.join(work, `ts-before-${name}.mp4`), model, ...binaries });
    const now = await segmentVideo({ input: clip, output: path.join(work, `ts-after-${name}.mp4`), model, ...binaries });
    a = Math.max(a, old.fps);
    b = Math.max(b, now.fps);
  }
  results.scenarios[name] = { beforeFps: a, afterFps: b, afterOverBefore: round(b / a) };
  console.error(`${name}: ${JSON.stringify(results.scenarios[name])}`);
}
const file = path.join(root, 'bench', 'results', 'timestamps-overhead.json');
writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
console.log(`results: ${path.relative(root, file)}`);
