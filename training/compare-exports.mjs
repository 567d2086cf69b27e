#!/usr/bin/env node
// Two exports of one network, e.g. a shipped model folder before and after a re-export, compared on
// real frames: per engine (ONNX Runtime and TF.js), the share of output pixels with the same argmax
// (with the top-two logit gap where they differ) and the largest |logit difference|; also each
// folder's ONNX against its own TF.js, the float disagreement the two engines already had.
//
//   node training/compare-exports.mjs <old dir> <new dir> [--val DIR] [--video FILE] [--every 1]
//       [--backend wasm|cpu] [--tfjs-every 1 (0: ONNX only)] [--max-diff 1e-4] [--json FILE]
//
// Frames: every PNG of --val (CamVid val) and every --every-th frame of --video, decoded to RGB by
// ffmpeg (FFMPEG_PATH or ffmpeg on PATH) and preprocessed by the runtime (dist/, `npm run build`)
// at the size its card's policy picks for the source. Exits 1 unless every argmax agrees and every
// logit is within --max-diff.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import * as ort from 'onnxruntime-node';
import * as tfc from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as tfl from '@tensorflow/tfjs-layers';
import { loadModel } from '../dist/index.js';
import { modelForSource } from '../dist/infer/input-size.js';
import { resizeToTensor } from '../dist/pixels/tensor.js';

const tf = { ...tfc, ...tfl };
const { values: o, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    val: { type: 'string' },
    video: { type: 'string' },
    every: { type: 'string', default: '1' },
    'tfjs-every': { type: 'string', default: '1' },
    backend: { type: 'string', default: 'wasm' },
    'max-diff': { type: 'string', default: '1e-4' },
    json: { type: 'string' },
  },
});
if (positionals.length !== 2 || (!o.val && !o.video)) {
  console.error('usage: node training/compare-exports.mjs <old dir> <new dir> [--val DIR] [--video FILE] [--every 1]');
  process.exit(2);
}
if (o.backend === 'wasm') await import('@tensorflow/tfjs-backend-wasm');
await tf.setBackend(o.backend);
await tf.ready();
const ffmpeg = process.env.FFMPEG_PATH ?? 'ffmpeg';

async function load(dir) {
  const model = await loadModel(path.resolve(dir));
  const session = await ort.InferenceSession.create(model.files.onnx, { intraOpNumThreads: 2 });
  const mj = JSON.parse(fs.readFileSync(model.files.tfjs, 'utf8'));
  const bin = Buffer.concat(
    mj.weightsManifest.flatMap((g) =>
      g.paths.map((p) => fs.readFileSync(path.join(path.dirname(model.files.tfjs), p))),
    ),
  );
  const net = await tf.loadLayersModel(
    tf.io.fromMemory({
      modelTopology: mj.modelTopology,
      weightSpecs: mj.weightsManifest.flatMap((g) => g.weights),
      weightData: bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength),
    }),
  );
  return { model, session, net };
}

/** Logits as NCHW Float32Array from both engines for one RGB frame. */
async function logits(m, rgb, w, h, withTfjs) {
  const at = modelForSource(m.model, { width: w, height: h });
  const { width: W, height: H } = at.card.input;
  const x = resizeToTensor(rgb, w, h, at.card.input, 'NCHW');
  const res = await m.session.run({
    [at.card.engines.onnx.inputName ?? 'input']: new ort.Tensor('float32', x, [1, 3, H, W]),
  });
  const out = res[at.card.heads[0].output];
  if (!withTfjs) return { onnx: out.data, dims: out.dims };
  const t = tf.tensor4d(resizeToTensor(rgb, w, h, at.card.input, 'NHWC'), [1, H, W, 3]);
  const y = m.net.predict(t);
  const yt = tf.transpose(y, [0, 3, 1, 2]);
  const tfjs = await yt.data();
  tf.dispose([t, y, yt]);
  return { onnx: out.data, tfjs, dims: out.dims };
}

function argmax(a, C, n) {
  const out = new Uint8Array(n);
  for (let p = 0; p < n; p++) {
    let best = 0;
    for (let c = 1; c < C; c++) if (a[c * n + p] > a[best * n + p]) best = c;
    out[p] = best;
  }
  return out;
}

const pairs = {
  onnx: 'old ONNX vs new ONNX',
  tfjs: 'old TF.js vs new TF.js',
  cross: 'new ONNX vs new TF.js',
  oldCross: 'old ONNX vs old TF.js',
};
const stats = {};
function record(set, key, a, b, dims) {
  const [, C, oh, ow] = dims;
  const n = oh * ow;
  const s = ((stats[set] ??= {})[key] ??= { frames: 0, pixels: 0, agree: 0, maxDiff: 0, flipGap: 0 });
  const x = argmax(a, C, n);
  const y = argmax(b, C, n);
  for (let p = 0; p < n; p++) {
    if (x[p] === y[p]) s.agree++;
    // a flip: how far apart the two classes were in the first output (a near-tie when tiny)
    else s.flipGap = Math.max(s.flipGap, a[x[p] * n + p] - a[y[p] * n + p]);
  }
  for (let i = 0; i < a.length; i++) s.maxDiff = Math.max(s.maxDiff, Math.abs(a[i] - b[i]));
  s.frames++;
  s.pixels += n;
}

/** Decoded RGB24 frames of `args` (ffmpeg input arguments), each `w*h*3` bytes, one at a time. */
async function* frames(args, w, h) {
  const child = spawn(ffmpeg, ['-v', 'error', ...args, '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const size = w * h * 3;
  let buf = Buffer.alloc(0);
  for await (const chunk of child.stdout) {
    buf = Buffer.concat([buf, chunk]);
    while (buf.length >= size) {
      yield new Uint8Array(buf.subarray(0, size));
      buf = buf.subarray(size);
    }
  }
}

async function probe(args) {
  // the first frame's size, from ffmpeg's stream description on stderr
  const child = spawn(ffmpeg, ['-hide_banner', ...args, '-frames:v', '1', '-f', 'null', '-'], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  for await (const c of child.stderr) err += c;
  const m = /Video: .*?(\d{2,5})x(\d{2,5})/.exec(err);
  if (!m) throw new Error(`no video size in ffmpeg's output for ${args.join(' ')}`);
  return { w: Number(m[1]), h: Number(m[2]) };
}

const [oldM, newM] = [await load(positionals[0]), await load(positionals[1])];
const sets = [];
if (o.val)
  sets.push({
    name: `CamVid val (${o.val})`,
    args: ['-framerate', '1', '-pattern_type', 'glob', '-i', path.join(o.val, '*.png')],
  });
if (o.video) sets.push({ name: `${path.basename(o.video)}`, args: ['-i', o.video] });
const every = Number(o.every);
const tfjsEvery = Number(o['tfjs-every']);
for (const set of sets) {
  const { w, h } = await probe(set.args);
  let i = 0;
  let k = 0;
  for await (const rgb of frames(set.args, w, h)) {
    if (i++ % every !== 0) continue;
    const withTfjs = tfjsEvery > 0 && k++ % tfjsEvery === 0;
    const a = await logits(oldM, rgb, w, h, withTfjs);
    const b = await logits(newM, rgb, w, h, withTfjs);
    record(set.name, pairs.onnx, a.onnx, b.onnx, a.dims);
    if (withTfjs) {
      record(set.name, pairs.tfjs, a.tfjs, b.tfjs, a.dims);
      record(set.name, pairs.cross, b.onnx, b.tfjs, b.dims);
      record(set.name, pairs.oldCross, a.onnx, a.tfjs, a.dims);
    }
  }
  const { width, height } = modelForSource(newM.model, { width: w, height: h }).card.input;
  console.log(`${set.name}: ${w}x${h} frames, network input ${width}x${height}`);
}

const limit = Number(o['max-diff']);
let ok = true;
for (const [set, byPair] of Object.entries(stats)) {
  for (const [pair, s] of Object.entries(byPair)) {
    s.argmaxAgreement = s.agree / s.pixels;
    const flips = s.pixels - s.agree;
    const line =
      `${set}: ${pair}: ${s.frames} frames, argmax ${(100 * s.argmaxAgreement).toFixed(5)} % (${flips} of ${s.pixels} ` +
      `output pixels differ${flips ? `, top-two logit gap there <= ${s.flipGap.toExponential(2)}` : ''}), max |logit diff| ${s.maxDiff.toExponential(2)}`;
    console.log(line);
    if ((pair === pairs.onnx || pair === pairs.tfjs) && (s.agree !== s.pixels || s.maxDiff > limit)) ok = false;
  }
}
if (o.json)
  fs.writeFileSync(
    o.json,
    `${JSON.stringify({ old: positionals[0], new: positionals[1], backend: tf.getBackend(), stats }, null, 1)}\n`,
  );
console.log(
  ok ? 'EQUAL within the limits' : `DIFFERENT: some argmax differs or some logit is off by more than ${limit}`,
);
process.exit(ok ? 0 : 1);
