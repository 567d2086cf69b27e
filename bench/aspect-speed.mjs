// Speed of the per-run input size (card input.resize "aspect") against the card's 480x352, in one
// run: (1) the default model alone on onnxruntime-node at 480x352 and at the sizes wide sources
// get (576x320 for 16:9, 576x288 for 2:1, 736x224 for 3.3:1), alternating one-second slices;
// (2) file-mode runs on a 2:1 clip (the dashcam sample cropped to 960x480) with the shipped card
// (576x288) and the same model with a "stretch" card (480x352), alternating rounds.
// Usage: node bench/aspect-speed.mjs [--threads 2] [--seconds 12] [--rounds 3] [--frames 90]
import { cpSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import * as ort from 'onnxruntime-node';
import { loadModel, segmentVideo } from '../dist/index.js';
import { ffmpegSync, root, round, shared, work } from './lib.mjs';

const { values } = parseArgs({
  options: {
    threads: { type: 'string', default: '2' },
    seconds: { type: 'string', default: '12' },
    rounds: { type: 'string', default: '3' },
    frames: { type: 'string', default: '90' },
  },
});
const threads = Number(values.threads);
const model = await loadModel('camvid-default');

// (1) the network alone
const session = await ort.InferenceSession.create(/** @type {string} */ (model.files.onnx), {
  intraOpNumThreads: threads,
  interOpNumThreads: 1,
  graphOptimizationLevel: 'all',
  executionMode: 'sequential',
  extra: { session: { intra_op: { allow_spinning: '0' } } },
});
const sizes = [
  [480, 352],
  [576, 320],
  [576, 288],
  [736, 224],
].map(([w, h]) => {
  const shape = [1, 3, h, w];
  return {
    input: `${w}x${h}`,
    pixels: w * h,
    feed: {
      input: new ort.Tensor(
        'float32',
        Float32Array.from({ length: 3 * w * h }, (_, i) => Math.sin(i)),
        shape,
      ),
    },
    runs: 0,
    ms: 0,
  };
});
for (const s of sizes) for (let i = 0; i < 5; i++) await session.run(s.feed);
const deadline = performance.now() + Number(values.seconds) * 1000;
while (performance.now() < deadline) {
  for (const s of sizes) {
    const sliceEnd = performance.now() + 1000;
    while (performance.now() < sliceEnd) {
      const t0 = performance.now();
      await session.run(s.feed);
      s.ms += performance.now() - t0;
      s.runs++;
    }
  }
}
await session.release();
const base = (1000 * sizes[0].runs) / sizes[0].ms;
const network = sizes.map((s) => ({
  input: s.input,
  pixels: s.pixels,
  fps: round((1000 * s.runs) / s.ms, 1),
  ratio: round((1000 * s.runs) / s.ms / base, 3),
}));
for (const n of network) console.log(`network ${n.input} (${n.pixels} px): ${n.fps} fps, ${n.ratio}x of 480x352`);

// (2) file mode on a 2:1 clip
const sample = path.join(shared, 'samples', 'solidWhiteRight.mp4');
const frames = Number(values.frames);
const clip = path.join(work, `aspect-2to1-${frames}.mp4`);
if (!existsSync(clip)) {
  if (!existsSync(sample)) throw new Error(`${sample} is missing (the 2:1 clip is cut from it)`);
  ffmpegSync([
    '-stream_loop',
    '-1',
    '-i',
    sample,
    '-vf',
    'crop=960:480',
    '-frames:v',
    String(frames),
    '-an',
    '-c:v',
    'libx264',
    '-preset',
    'fast',
    '-crf',
    '20',
    '-pix_fmt',
    'yuv420p',
    clip,
  ]);
}
const stretchDir = path.join(work, 'camvid-default-stretch');
rmSync(stretchDir, { recursive: true, force: true });
cpSync(model.dir, stretchDir, { recursive: true });
const card = JSON.parse(readFileSync(path.join(stretchDir, 'model.json'), 'utf8'));
card.input.resize = 'stretch';
delete card.input.multiple;
writeFileSync(path.join(stretchDir, 'model.json'), JSON.stringify(card));
/** @type {Record<string, { fps: number, input: string, inferMs: number }[]>} */
const runs = { aspect: [], stretch: [] };
for (let r = 0; r < Number(values.rounds); r++) {
  for (const [name, m] of [
    ['aspect', 'camvid-default'],
    ['stretch', stretchDir],
  ]) {
    const masks = path.join(work, `aspect-masks-${name}`);
    rmSync(masks, { recursive: true, force: true });
    const s =
      /** @type {import('../dist/index.js').RunSummary & { networkInput: { width: number, height: number } }} */ (
        await segmentVideo({ input: clip, masks, model: m, threads })
      );
    runs[name].push({
      fps: s.fps,
      input: `${s.networkInput.width}x${s.networkInput.height}`,
      inferMs: s.stageMs.infer,
    });
    console.log(
      `round ${r + 1} ${name} (${s.networkInput.width}x${s.networkInput.height}): ${s.fps} fps, infer ${s.stageMs.infer} ms/frame`,
    );
  }
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const e2e = Object.fromEntries(
  Object.entries(runs).map(([k, v]) => [
    k,
    { input: v[0].input, fps: v.map((x) => x.fps), medianFps: median(v.map((x) => x.fps)) },
  ]),
);
const ratio = round(e2e.aspect.medianFps / e2e.stretch.medianFps, 3);
console.log(
  `file mode, 2:1 clip ${frames} frames, masks: aspect ${e2e.aspect.medianFps} fps vs stretch ${e2e.stretch.medianFps} fps, ratio ${ratio}`,
);
const result = {
  date: new Date().toISOString(),
  threads,
  network,
  fileMode: { clip: `solidWhiteRight cropped to 960x480, ${frames} frames, --masks`, ...e2e, ratio },
};
writeFileSync(path.join(root, 'bench', 'results', 'aspect-speed.json'), `${JSON.stringify(result, null, 2)}\n`);
