// `--device webgpu` against the CPU on one CamVid val frame: the largest logit difference and the
// argmax agreement. Needs a WebGPU adapter: a GPU, or SwiftShader here
// (VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json XDG_RUNTIME_DIR=$(mktemp -d) node bench/webgpu-parity.mjs).

import * as ort from 'onnxruntime-node';
import sharp from 'sharp';
import { readdirSync } from 'node:fs';
const root = new URL('..', import.meta.url).pathname;
const dir = `${root}../shared/datasets/camvid/val`;
const file = `${dir}/${readdirSync(dir).sort()[0]}`;
const W = 480,
  H = 352;
const { data } = await sharp(file)
  .resize(W, H, { fit: 'fill' })
  .removeAlpha()
  .raw()
  .toBuffer({ resolveWithObject: true });
const mean = [0.485, 0.456, 0.406],
  std = [0.229, 0.224, 0.225];
const x = new Float32Array(3 * W * H);
for (let i = 0; i < W * H; i++)
  for (let c = 0; c < 3; c++) x[c * W * H + i] = (data[i * 3 + c] / 255 - mean[c]) / std[c];
const out = {};
for (const ep of ['cpu', 'webgpu']) {
  const s = await ort.InferenceSession.create(`${root}models/camvid-default/model.onnx`, { executionProviders: [ep] });
  const feeds = { [s.inputNames[0]]: new ort.Tensor('float32', x, [1, 3, H, W]) };
  await s.run(feeds);
  const t0 = performance.now();
  const r = await s.run(feeds);
  out[ep] = { logits: r[s.outputNames[0]].data, dims: r[s.outputNames[0]].dims, ms: performance.now() - t0 };
  await s.release();
}
const a = out.cpu.logits,
  b = out.webgpu.logits,
  [, C, h, w] = out.cpu.dims;
let maxDiff = 0,
  same = 0;
for (let i = 0; i < a.length; i++) maxDiff = Math.max(maxDiff, Math.abs(a[i] - b[i]));
for (let p = 0; p < h * w; p++) {
  let ia = 0,
    ib = 0;
  for (let c = 1; c < C; c++) {
    if (a[c * h * w + p] > a[ia * h * w + p]) ia = c;
    if (b[c * h * w + p] > b[ib * h * w + p]) ib = c;
  }
  if (ia === ib) same++;
}
console.log(
  JSON.stringify({
    file,
    size: `${W}x${H}`,
    maxAbsLogitDiff: maxDiff,
    argmaxAgreement: same / (h * w),
    cpuMs: out.cpu.ms,
    webgpuMs: out.webgpu.ms,
  }),
);
