#!/usr/bin/env node
// Activation statistics for INT8 calibration, collected with onnxruntime-node (the engine that runs
// the quantised model; Python here has no ONNX Runtime).
//
//   node training/calibrate-int8.mjs <augmented.onnx> <frames.f32> <H> <W> <out.json> [--bins 2048]
//
// <augmented.onnx> is the float model with every tensor to be quantised exposed as a graph output
// (training/quantize.py writes it); <frames.f32> holds preprocessed frames, float32 NCHW
// (training/dump_frames.py). Two passes: min/max per tensor, then a histogram of each tensor over
// its [min, max] range, so quantize.py can choose the range (min/max or a percentile).
import fs from 'node:fs';
import * as ort from 'onnxruntime-node';

const args = process.argv.slice(2);
const binsAt = args.indexOf('--bins');
const BINS = binsAt >= 0 ? Number(args.splice(binsAt, 2)[1]) : 2048;
const [modelFile, framesFile, hs, ws, outFile] = args;
if (!outFile) {
  console.error(
    'usage: node training/calibrate-int8.mjs <augmented.onnx> <frames.f32> <H> <W> <out.json> [--bins 2048]',
  );
  process.exit(2);
}
const H = Number(hs);
const W = Number(ws);
const raw = fs.readFileSync(framesFile);
const data = new Float32Array(raw.buffer, raw.byteOffset, raw.byteLength / 4);
const frameSize = 3 * H * W;
const frames = data.length / frameSize;
if (!Number.isInteger(frames) || frames < 1) throw new Error(`${framesFile} does not hold whole 3x${H}x${W} frames`);

const session = await ort.InferenceSession.create(modelFile, { intraOpNumThreads: 2, graphOptimizationLevel: 'all' });
const inputName = session.inputNames[0];
const names = session.outputNames;
const stats = Object.fromEntries(
  names.map((n) => [n, { min: Infinity, max: -Infinity, hist: new Float64Array(BINS) }]),
);

async function run(f) {
  const x = new ort.Tensor('float32', data.subarray(f * frameSize, (f + 1) * frameSize), [1, 3, H, W]);
  return session.run({ [inputName]: x });
}

for (let f = 0; f < frames; f++) {
  const out = await run(f);
  for (const n of names) {
    const s = stats[n];
    const v = out[n].data;
    let lo = s.min;
    let hi = s.max;
    for (let i = 0; i < v.length; i++) {
      const x = v[i];
      if (x < lo) lo = x;
      if (x > hi) hi = x;
    }
    s.min = lo;
    s.max = hi;
    out[n].dispose?.();
  }
}
for (let f = 0; f < frames; f++) {
  const out = await run(f);
  for (const n of names) {
    const s = stats[n];
    const v = out[n].data;
    const width = (s.max - s.min) / BINS || 1;
    for (let i = 0; i < v.length; i++) {
      const b = Math.min(BINS - 1, Math.floor((v[i] - s.min) / width));
      s.hist[b]++;
    }
    out[n].dispose?.();
  }
}
await session.release();
fs.writeFileSync(
  outFile,
  JSON.stringify({
    frames,
    bins: BINS,
    tensors: Object.fromEntries(
      names.map((n) => [n, { min: stats[n].min, max: stats[n].max, hist: [...stats[n].hist] }]),
    ),
  }),
);
console.log(JSON.stringify({ frames, tensors: names.length }));
