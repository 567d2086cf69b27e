#!/usr/bin/env node
// Parity check between a model folder's ONNX and TF.js exports on real CamVid frames.
//
//   node training/check-parity.mjs <model dir> [--frames 8] [--backend cpu|wasm] [--min 99]
//
// Frames are preprocessed by training/dump_frames.py (the preprocessing contract) and run through
// onnxruntime-node (NCHW) and @tensorflow/tfjs (NHWC, loaded with tf.loadLayersModel). Prints the
// per-frame and overall argmax agreement and the largest logit difference; exits 1 below --min %.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';
import * as tfc from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as tfl from '@tensorflow/tfjs-layers';

const tf = { ...tfc, ...tfl };

const args = process.argv.slice(2);
const opt = (name, def) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : def;
};
const dir = args.find((a, i) => !a.startsWith('--') && !(i > 0 && args[i - 1].startsWith('--')));
if (!dir) {
  console.error('usage: node training/check-parity.mjs <model dir> [--frames 8] [--backend cpu|wasm] [--min 99]');
  process.exit(2);
}
const frames = Number(opt('frames', '8'));
const backend = opt('backend', 'cpu');
const minAgree = Number(opt('min', '99'));
const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

if (backend === 'wasm') await import('@tensorflow/tfjs-backend-wasm');
await tf.setBackend(backend);
await tf.ready();

const card = JSON.parse(fs.readFileSync(path.join(dir, 'model.json'), 'utf8'));
const { width: W, height: H } = card.input;

// Preprocessed frames from Python (the contract implementation), float32 NCHW.
const tmp = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'segstream-parity-')), 'frames.f32');
execFileSync('/usr/bin/python3', ['-m', 'training.dump_frames', dir, tmp, '--n', String(frames)], {
  cwd: repo,
  stdio: ['ignore', 'ignore', 'inherit'],
});
const raw = fs.readFileSync(tmp);
fs.rmSync(path.dirname(tmp), { recursive: true, force: true });
const data = new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
const plane = H * W;

// ONNX Runtime
const session = await ort.InferenceSession.create(path.join(dir, card.engines.onnx.file), { intraOpNumThreads: 2 });
// TF.js layers model, loaded from files with an in-memory IO handler (pure tfjs has no file://).
const tfjsPath = path.join(dir, card.engines.tfjs.file);
const mj = JSON.parse(fs.readFileSync(tfjsPath, 'utf8'));
const weightData = Buffer.concat(
  mj.weightsManifest.flatMap((g) => g.paths.map((p) => fs.readFileSync(path.join(path.dirname(tfjsPath), p)))),
);
const model = await tf.loadLayersModel(
  tf.io.fromMemory({
    modelTopology: mj.modelTopology,
    weightSpecs: mj.weightsManifest.flatMap((g) => g.weights),
    weightData: weightData.buffer.slice(weightData.byteOffset, weightData.byteOffset + weightData.byteLength),
  }),
);

function argmaxNCHW(arr, C, h, w) {
  const out = new Uint8Array(h * w);
  for (let p = 0; p < h * w; p++) {
    let best = 0;
    let bv = arr[p];
    for (let c = 1; c < C; c++)
      if (arr[c * h * w + p] > bv) {
        bv = arr[c * h * w + p];
        best = c;
      }
    out[p] = best;
  }
  return out;
}

let agreeAll = 0;
let totalAll = 0;
let maxDiff = 0;
const hist = new Map();
for (let f = 0; f < frames; f++) {
  const nchw = data.subarray(f * 3 * plane, (f + 1) * 3 * plane);
  const res = await session.run({ [card.engines.onnx.inputName]: new ort.Tensor('float32', nchw, [1, 3, H, W]) });
  const o = res[card.heads[0].output];
  const [, C, oh, ow] = o.dims;
  const a = argmaxNCHW(o.data, C, oh, ow);

  // NHWC input for TF.js; output NHWC -> compare in NCHW order.
  const t = tf.tidy(() => tf.transpose(tf.tensor4d(nchw, [1, 3, H, W]), [0, 2, 3, 1]));
  const y = model.predict(t);
  const yt = tf.transpose(y, [0, 3, 1, 2]);
  const yn = await yt.data();
  tf.dispose([t, y, yt]);
  const b = argmaxNCHW(yn, C, oh, ow);
  let agree = 0;
  for (let p = 0; p < a.length; p++) {
    if (a[p] === b[p]) agree++;
    hist.set(a[p], (hist.get(a[p]) ?? 0) + 1);
  }
  for (let i = 0; i < yn.length; i++) maxDiff = Math.max(maxDiff, Math.abs(yn[i] - o.data[i]));
  agreeAll += agree;
  totalAll += a.length;
  console.log(`frame ${f}: output ${ow}x${oh}x${C}, argmax agreement ${((100 * agree) / a.length).toFixed(3)}%`);
}

// Dynamic batch: a batch of 2 must give the same logits as two single runs.
if (frames >= 2) {
  const res = await session.run({
    [card.engines.onnx.inputName]: new ort.Tensor('float32', data.subarray(0, 6 * plane), [2, 3, H, W]),
  });
  console.log(`onnx batch-2 output dims ${JSON.stringify(res[card.heads[0].output].dims)}`);
}

const pct = (100 * agreeAll) / totalAll;
const names = card.classes.map((c) => c.name);
const classes = [...hist.entries()]
  .sort((x, y) => y[1] - x[1])
  .map(([k, v]) => `${names[k]} ${((100 * v) / totalAll).toFixed(1)}%`)
  .join(', ');
console.log(`tfjs backend: ${tf.getBackend()}; predicted classes (onnx): ${classes}`);
console.log(
  `PARITY ${pct.toFixed(3)}% argmax agreement over ${frames} frames; max |logit diff| ${maxDiff.toExponential(2)}`,
);
session.release?.();
model.dispose();
process.exit(pct >= minAgree ? 0 : 1);
