#!/usr/bin/env node
// Inference speed of an ONNX model with onnxruntime-node (CPU), batch 1, at its input size.
//
//   node training/bench-onnx.mjs <model.onnx> <H> <W> [--threads 2] [--runs 50]
import * as ort from 'onnxruntime-node';

const [file, H, W] = process.argv.slice(2);
const opt = (n, d) => {
  const i = process.argv.indexOf(`--${n}`);
  return i >= 0 ? Number(process.argv[i + 1]) : d;
};
const threads = opt('threads', 2);
const runs = opt('runs', 50);
const s = await ort.InferenceSession.create(file, { intraOpNumThreads: threads, interOpNumThreads: 1 });
const x = new ort.Tensor('float32', new Float32Array(3 * H * W).fill(0.1), [1, 3, Number(H), Number(W)]);
for (let i = 0; i < 5; i++) await s.run({ input: x });
const t0 = performance.now();
const c0 = process.cpuUsage();
for (let i = 0; i < runs; i++) await s.run({ input: x });
const ms = (performance.now() - t0) / runs;
const c = process.cpuUsage(c0);
const cpuMs = (c.user + c.system) / 1000 / runs;
// CPU time per frame is a load-independent figure when the machine is shared (use --threads 1).
console.log(
  `${file}: ${W}x${H}, ${threads} threads: ${ms.toFixed(2)} ms/frame wall (${(1000 / ms).toFixed(1)} fps), ` +
    `${cpuMs.toFixed(2)} ms/frame CPU`,
);
