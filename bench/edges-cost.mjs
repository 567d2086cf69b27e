// CPU cost of clean edges per frame, in this process, on real dashcam frames: the video render task
// (`renderFrame`: overlay in I420, as file runs blend it) with the scores (class of the bilinear
// scores at the frame size, `classMapAt`) against without them (the network-size class map
// blended directly, nearest), interleaved; and `classMapAt` alone (what the inference thread would
// add if it ran there). CPU ms per frame (process.cpuUsage), so it holds up better than wall time
// on a loaded machine; compare the two columns, not machines.
// Usage: node bench/edges-cost.mjs [--size 960x540] [--frames 20] [--rounds 5] [--out FILE]
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { createEngine, DEFAULT_MODEL, loadModel } from '../dist/index.js';
import { headLookup } from '../dist/infer/argmax.js';
import { modelForSource } from '../dist/infer/input-size.js';
import { classMapAt } from '../dist/pixels/score-upsample.js';
import { resizeI420ToTensor } from '../dist/pixels/tensor.js';
import { buildClassLut, resolveClassSelection } from '../dist/render/palette.js';
import { renderFrame } from '../dist/runs/video/frame-tasks.js';
import { bins, round } from './lib.mjs';

const { values } = parseArgs({
  options: {
    size: { type: 'string', default: '960x540' },
    frames: { type: 'string', default: '20' },
    rounds: { type: 'string', default: '5' },
    out: { type: 'string' },
    input: { type: 'string', default: '../shared/samples/solidWhiteRight.mp4' },
  },
});
const [W, H] = values.size.split('x').map(Number);
const N = Number(values.frames);
const raw = execFileSync(
  bins.ffmpeg.path,
  [
    '-v',
    'error',
    '-i',
    values.input,
    '-frames:v',
    String(N),
    '-vf',
    `scale=${W}:${H}`,
    '-f',
    'rawvideo',
    '-pix_fmt',
    'yuv420p',
    '-',
  ],
  { maxBuffer: 1 << 30 },
);
const frameBytes = W * H + 2 * Math.ceil(W / 2) * Math.ceil(H / 2);
const base = await loadModel(DEFAULT_MODEL);
const model = modelForSource(base, { width: W, height: H });
const engine = await createEngine(model, { engine: 'onnx' });
const luts = model.card.heads.map(headLookup);
const lut = buildClassLut(model.card.classes, resolveClassSelection(undefined, model));
const frames = [];
for (let i = 0; i < N; i++) {
  const pixels = new Uint8Array(raw.buffer, raw.byteOffset + i * frameBytes, frameBytes).slice();
  const [o] = await engine.run([resizeI420ToTensor(pixels, W, H, model.card.input, engine.inputLayout)], {
    scores: true,
  });
  frames.push({ pixels, o });
}
await engine.dispose();

const cpu = (f) => {
  const t = process.cpuUsage();
  f();
  const u = process.cpuUsage(t);
  return (u.user + u.system) / 1000;
};
/** @returns {import('../dist/runs/video/frame-tasks.js').RenderTask} */
const task = (f, scores) => ({
  pixels: f.pixels.slice(),
  format: /** @type {'yuv420p'} */ ('yuv420p'),
  width: W,
  height: H,
  classMap: f.o.classMap,
  mapWidth: f.o.width,
  mapHeight: f.o.height,
  scores: scores ? f.o.scores : null,
  luts,
  offset: model.card.outputOffset,
  lut,
  alpha: 0.5,
  masks: false,
  freeSpaceIds: null,
});
const full = new Uint8Array(W * H);
const totals = { renderNearest: [], renderScores: [], classMapAt: [] };
for (let r = 0; r < Number(values.rounds) + 1; r++) {
  const sums = { renderNearest: 0, renderScores: 0, classMapAt: 0 };
  for (const f of frames) {
    const a = task(f, false);
    const b = task(f, true);
    sums.renderNearest += cpu(() => renderFrame(a));
    sums.renderScores += cpu(() => renderFrame(b));
    sums.classMapAt += cpu(() => classMapAt({ ...f.o, luts, offset: model.card.outputOffset }, W, H, full));
  }
  if (r === 0) continue; // warm-up
  for (const k of Object.keys(sums)) totals[k].push(sums[k] / N);
}
const median = (v) => [...v].sort((x, y) => x - y)[Math.floor(v.length / 2)];
const result = {
  size: `${W}x${H}`,
  output: `${frames[0].o.width}x${frames[0].o.height}`,
  frames: N,
  rounds: Number(values.rounds),
  cpuMsPerFrame: Object.fromEntries(Object.entries(totals).map(([k, v]) => [k, round(median(v), 3)])),
};
result.addedByScoresMs = round(result.cpuMsPerFrame.renderScores - result.cpuMsPerFrame.renderNearest, 3);
console.log(JSON.stringify(result, null, 2));
if (values.out) writeFileSync(values.out, `${JSON.stringify(result, null, 2)}\n`);
