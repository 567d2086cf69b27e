// Per-frame pixel kernels of a video run on one 1280x720 frame, this build against a baseline build
// in the same process: preprocessing (resizeI420ToTensor), the overlay (blendOverlayI420) and the
// full-size class map (upscaleClassMap), plus a bit-identity check of every pixel function's output.
// Rounds interleave baseline and current; each keeps its best round (many short rounds: on a shared
// machine the best of many short samples is the one that ran undisturbed).
// Usage: node bench/pixel-kernels.mjs --baseline <copy of an older dist/> [--current DIR (default dist/)] [--rounds 150] [--iterations 3]
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { bins, root, shared } from './lib.mjs';

const { values } = parseArgs({
  options: {
    baseline: { type: 'string' },
    current: { type: 'string' },
    rounds: { type: 'string', default: '150' },
    iterations: { type: 'string', default: '3' },
  },
});
if (!values.baseline) throw new Error('--baseline <dir> (a copy of dist/ built from the baseline commit) is required');
const ROUNDS = Number(values.rounds);
const ITER = Number(values.iterations);
const load = (dir) => import(pathToFileURL(path.join(path.resolve(dir), 'index.js')).href);
const builds = {
  baseline: await load(values.baseline),
  current: await load(values.current ?? path.join(root, 'dist')),
};

const W = 1280;
const H = 720;
const spec = JSON.parse(readFileSync(path.join(root, 'models', 'camvid-default', 'model.json'), 'utf8')).input;
const { width: MW, height: MH } = spec;

// One real dashcam frame when ../shared is there, else a deterministic textured frame.
function frameI420() {
  const sample = path.join(shared, 'samples', 'solidWhiteRight.mp4');
  const bytes = (W * H * 3) / 2;
  if (existsSync(sample)) {
    const r = spawnSync(
      bins.ffmpeg.path,
      [
        '-v',
        'error',
        '-ss',
        '2',
        '-i',
        sample,
        '-frames:v',
        '1',
        '-vf',
        `scale=${W}:${H}`,
        '-f',
        'rawvideo',
        '-pix_fmt',
        'yuv420p',
        'pipe:1',
      ],
      { maxBuffer: 1 << 26 },
    );
    if (r.status === 0 && r.stdout.length === bytes)
      return { pixels: new Uint8Array(r.stdout), source: 'solidWhiteRight.mp4 at 2 s' };
  }
  return { pixels: new Uint8Array(bytes).map((_, i) => (i * 37 + ((i / 1280) | 0) * 11) % 251), source: 'synthetic' };
}
const frame = frameI420();
const classMap = new Uint8Array(MW * MH).map((_, i) => ((i % MW) >> 5) + 3 * (((i / MW) | 0) >> 6));

// Class colours: classes 0..15 painted (class 2 half transparent), the rest left as they are.
const LUT = new Uint8Array(256 * 4);
for (let k = 0; k < 16; k++)
  LUT.set([(k * 53) & 0xff, (k * 101) & 0xff, (k * 29 + 64) & 0xff, k === 2 ? 128 : 255], 4 * k);

function kernels(m) {
  const lut = LUT;
  // Preallocated outputs, as the pipeline's workers reuse theirs: the timing is the kernel, not the GC.
  const tensor = new Float32Array(3 * MW * MH);
  const yuv = frame.pixels.slice();
  const full = new Uint8Array(W * H);
  return {
    resizeI420ToTensor: () => m.resizeI420ToTensor(frame.pixels, W, H, spec, 'NCHW', tensor),
    blendOverlayI420: () => {
      yuv.set(frame.pixels);
      m.blendOverlayI420(yuv, W, H, classMap, MW, MH, lut, 0.5);
    },
    upscaleClassMap: () => m.upscaleClassMap(classMap, MW, MH, W, H, full),
  };
}

// Bit identity of every pixel function between the two builds.
function outputs(m) {
  const lut = LUT;
  const rgb = m.i420ToRgb24(frame.pixels, W, H);
  const blended = rgb.slice();
  m.blendOverlay(blended, W, H, classMap, MW, MH, lut, 0.4);
  const yuv = frame.pixels.slice();
  m.blendOverlayI420(yuv, W, H, classMap, MW, MH, lut, 0.4);
  const prob = Float32Array.from(classMap, (v) => v / 40);
  const odd = m.i420ToRgb24(frame.pixels.subarray(0, m.frameByteLength('yuv420p', 641, 361)), 641, 361);
  return {
    i420ToRgb24: rgb,
    i420ToRgb24Odd: odd,
    resizeToTensorNCHW: m.resizeToTensor(rgb, W, H, spec, 'NCHW'),
    resizeToTensorNHWC: m.resizeToTensor(rgb, W, H, { ...spec, channelOrder: 'BGR' }, 'NHWC'),
    resizeI420ToTensor: m.resizeI420ToTensor(frame.pixels, W, H, spec, 'NCHW'),
    resizeI420ToTensorOdd: m.resizeI420ToTensor(
      frame.pixels.subarray(0, m.frameByteLength('yuv420p', 641, 361)),
      641,
      361,
      { ...spec, channelOrder: 'BGR' },
      'NHWC',
    ),
    resizeI420ToTensorExact: m.resizeI420ToTensorExact(frame.pixels, W, H, spec, 'NCHW'),
    upscaleClassMap: m.upscaleClassMap(classMap, MW, MH, W, H),
    blendOverlay: blended,
    blendOverlayI420: yuv,
    freeSpaceMask: m.freeSpaceMask(classMap, [3, 4, 7]),
    resizeRgb24: m.resizeRgb24(rgb, W, H, 853, 480),
    probabilityToBytes: m.probabilityToBytes(prob, MW, MH, W, H),
    encodePngGray: m.encodePng(m.upscaleClassMap(classMap, MW, MH, W, H), W, H, 'gray'),
    encodePngRgb: m.encodePng(rgb, W, H, 'rgb'),
  };
}
const a = outputs(builds.baseline);
const b = outputs(builds.current);
const identity = {};
for (const name of Object.keys(a)) {
  const x = a[name],
    y = b[name];
  identity[name] =
    x.length === y.length &&
    Buffer.from(x.buffer, x.byteOffset, x.byteLength).equals(Buffer.from(y.buffer, y.byteOffset, y.byteLength));
}

const names = ['resizeI420ToTensor', 'blendOverlayI420', 'upscaleClassMap'];
const ks = { baseline: kernels(builds.baseline), current: kernels(builds.current) };
const best = { baseline: {}, current: {} };
for (const name of names) for (const side of ['baseline', 'current']) for (let i = 0; i < 20; i++) ks[side][name]();
for (let r = 0; r < ROUNDS; r++) {
  for (const name of names) {
    for (const side of r % 2 === 0 ? ['baseline', 'current'] : ['current', 'baseline']) {
      const fn = ks[side][name];
      const t0 = performance.now();
      for (let i = 0; i < ITER; i++) fn();
      const ms = (performance.now() - t0) / ITER;
      best[side][name] = Math.min(best[side][name] ?? Infinity, ms);
    }
  }
}
const r3 = (v) => Math.round(v * 1000) / 1000;
const result = {
  frame: `${W}x${H} I420 (${frame.source}), model input and class map ${MW}x${MH}`,
  rounds: ROUNDS,
  iterationsPerRound: ITER,
  bestMsPerFrame: Object.fromEntries(
    names.map((n) => [
      n,
      {
        baseline: r3(best.baseline[n]),
        current: r3(best.current[n]),
        currentOverBaseline: r3(best.current[n] / best.baseline[n]),
      },
    ]),
  ),
  bitIdentical: identity,
  note: 'best round of each; other work may have shared the CPU while this ran',
};
console.log(JSON.stringify(result, null, 2));
mkdirSync(path.join(root, 'bench', 'results'), { recursive: true });
writeFileSync(path.join(root, 'bench', 'results', 'pixel-kernels.json'), JSON.stringify(result, null, 2) + '\n');
if (Object.values(identity).some((ok) => !ok)) process.exitCode = 1;
