// Class edges on CamVid val, before/after in one run: the class map enlarged by nearest neighbour
// from the network's output (before) against the class of the bilinear-resized scores (`classMapAt`,
// after, with the card's outputOffset; also without it, on the plain half-pixel grid), on the same
// network outputs. Reports per method: mIoU and pixel accuracy (the label
// spaces and confusion matrix of `seg-stream eval`), and a boundary F1 within 2 px at the label
// size (480x360), two ways. `boundary`: a pixel is on a boundary when its right or lower neighbour has another class,
// counted only where both pixels are labelled (void pairs are skipped in both maps); a predicted
// boundary pixel is a hit when a label boundary pixel lies within Euclidean distance 2 (and the
// other way round for recall); sums over all images, F1 = 2PR/(P+R). `classBf`: the per-class BF
// score (Csurka et al. 2013; MATLAB bfscore), mean over images of the mean over classes present. Also the CPU ms per image of
// each way of making the full-size map (measured in this process; under load only a ratio).
// Usage: node bench/edges-camvid.mjs [--dir ../shared/datasets/camvid] [--split val] [--frames N] [--out FILE]
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { createEngine, DEFAULT_MODEL, loadModel } from '../dist/index.js';
import { headLookup } from '../dist/infer/argmax.js';
import { modelForSource } from '../dist/infer/input-size.js';
import { readImage } from '../dist/codecs/image.js';
import { toRgb24 } from '../dist/codecs/png-decode.js';
import { listDataset } from '../dist/datasets/labelled.js';
import { labelSpaceFor } from '../dist/datasets/label-maps.js';
import { ConfusionMatrix, computeMetrics } from '../dist/datasets/metrics.js';
import { upscaleClassMap } from '../dist/pixels/class-map.js';
import { classMapAt } from '../dist/pixels/score-upsample.js';
import { resizeToTensor } from '../dist/pixels/tensor.js';
import { bins, round } from './lib.mjs';

const { values } = parseArgs({
  options: {
    dir: { type: 'string', default: '../shared/datasets/camvid' },
    split: { type: 'string', default: 'val' },
    frames: { type: 'string' },
    out: { type: 'string' },
  },
});
const TOL = 2;
const DISK = [];
for (let dy = -TOL; dy <= TOL; dy++)
  for (let dx = -TOL; dx <= TOL; dx++) if (dx * dx + dy * dy <= TOL * TOL) DISK.push([dx, dy]);

/** Boundary pixels of `ids` (label-space ids, 255 = void) where `valid` (label not void) holds for both pixels of the pair. */
function boundary(ids, valid, w, h) {
  const b = new Uint8Array(w * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = y * w + x;
      if (!valid[i]) continue;
      if ((x + 1 < w && valid[i + 1] && ids[i + 1] !== ids[i]) || (y + 1 < h && valid[i + w] && ids[i + w] !== ids[i]))
        b[i] = 1;
    }
  }
  return b;
}

function dilate(b, w, h) {
  const d = new Uint8Array(w * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      if (!b[y * w + x]) continue;
      for (const [dx, dy] of DISK) {
        const xx = x + dx;
        const yy = y + dy;
        if (xx >= 0 && xx < w && yy >= 0 && yy < h) d[yy * w + xx] = 1;
      }
    }
  }
  return d;
}

function boundaryCounts(pred, label, w, h, space, acc) {
  const n = w * h;
  const gt = new Uint8Array(n);
  const pr = new Uint8Array(n);
  const valid = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    gt[i] = space.labelLut[label[i]];
    valid[i] = gt[i] !== 255 ? 1 : 0;
    pr[i] = space.predictionLut[pred[i]];
  }
  const bg = boundary(gt, valid, w, h);
  const bp = boundary(pr, valid, w, h);
  const dg = dilate(bg, w, h);
  const dp = dilate(bp, w, h);
  for (let i = 0; i < n; i++) {
    if (bp[i]) {
      acc.pred++;
      if (dg[i]) acc.predHit++;
    }
    if (bg[i]) {
      acc.label++;
      if (dp[i]) acc.labelHit++;
    }
  }
}

/** Inner boundary of a binary mask: mask pixels with a 4-neighbour (inside the image) outside it. */
function maskBoundary(mask, w, h) {
  const b = new Uint8Array(w * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = y * w + x;
      if (
        mask[i] &&
        ((x > 0 && !mask[i - 1]) ||
          (x + 1 < w && !mask[i + 1]) ||
          (y > 0 && !mask[i - w]) ||
          (y + 1 < h && !mask[i + w]))
      )
        b[i] = 1;
    }
  }
  return b;
}

/**
 * Per-class BF score of one image (Csurka et al. 2013, MATLAB bfscore): per class present in the
 * label or the prediction (label pixels not void), F1 of the class masks' boundaries within the
 * tolerance (0 where one side lacks the class); the image's score is the mean over those classes.
 */
function classBf(pred, label, w, h, space) {
  const n = w * h;
  const scores = [];
  for (let c = 0; c < space.classes.length; c++) {
    const gm = new Uint8Array(n);
    const pm = new Uint8Array(n);
    let g = 0;
    let p = 0;
    for (let i = 0; i < n; i++) {
      const l = space.labelLut[label[i]];
      if (l === 255) continue;
      if (l === c) {
        gm[i] = 1;
        g++;
      }
      if (space.predictionLut[pred[i]] === c) {
        pm[i] = 1;
        p++;
      }
    }
    if (g === 0 && p === 0) continue;
    if (g === 0 || p === 0) {
      scores.push(0);
      continue;
    }
    const bg = maskBoundary(gm, w, h);
    const bp = maskBoundary(pm, w, h);
    const dg = dilate(bg, w, h);
    const dp = dilate(bp, w, h);
    let np = 0,
      hp = 0,
      ng = 0,
      hg = 0;
    for (let i = 0; i < n; i++) {
      if (bp[i]) {
        np++;
        if (dg[i]) hp++;
      }
      if (bg[i]) {
        ng++;
        if (dp[i]) hg++;
      }
    }
    const pr = np ? hp / np : 0;
    const rc = ng ? hg / ng : 0;
    scores.push(pr + rc > 0 ? (2 * pr * rc) / (pr + rc) : 0);
  }
  return scores.length ? scores.reduce((a, b) => a + b, 0) / scores.length : null;
}

const f1 = (a) => {
  const p = a.predHit / a.pred;
  const r = a.labelHit / a.label;
  return {
    precision: round(100 * p, 2),
    recall: round(100 * r, 2),
    f1: round((200 * p * r) / (p + r), 2),
    predicted: a.pred,
    labelled: a.label,
  };
};

const ds = await listDataset({
  dir: values.dir,
  split: /** @type {'val' | 'test' | 'train'} */ (values.split),
  limit: values.frames ? Number(values.frames) : undefined,
});
const base = await loadModel(DEFAULT_MODEL);
const space = labelSpaceFor(ds.format, base);
const method = () => ({
  cm: new ConfusionMatrix(space.classes),
  bf: { pred: 0, predHit: 0, label: 0, labelHit: 0 },
  classBf: /** @type {number[]} */ ([]),
  cpuMs: 0,
});
// `bilinear-half-pixel` ignores the card's outputOffset (the plain half-pixel grid), `bilinear` is what runs do.
/** @type {Record<string, ReturnType<typeof method>>} */
const methods = { nearest: method(), 'bilinear-half-pixel': method(), bilinear: method() };
let engine;
let differ = 0;
let pixels = 0;
let net = '';
for (const s of ds.samples) {
  const img = (await readImage(s.image, bins.ffmpeg.path)).png;
  const lab = (await readImage(s.label, bins.ffmpeg.path, true)).png;
  const { width: w, height: h } = img;
  const model = modelForSource(base, { width: w, height: h });
  engine ??= await createEngine(model, { engine: 'onnx' });
  net = `${model.card.input.width}x${model.card.input.height}`;
  const [o] = await engine.run([resizeToTensor(toRgb24(img), w, h, model.card.input, engine.inputLayout)], {
    scores: true,
  });
  const label = lab.indices ?? lab.data;
  const maps = {};
  /** @type {[string, () => Uint8Array][]} */
  const makers = [
    ['nearest', () => upscaleClassMap(o.classMap, o.width, o.height, w, h)],
    ['bilinear-half-pixel', () => classMapAt({ ...o, luts: model.card.heads.map(headLookup) }, w, h)],
    [
      'bilinear',
      () => classMapAt({ ...o, luts: model.card.heads.map(headLookup), offset: model.card.outputOffset }, w, h),
    ],
  ];
  for (const [name, make] of makers) {
    const t = process.cpuUsage();
    maps[name] = make();
    const u = process.cpuUsage(t);
    methods[name].cpuMs += (u.user + u.system) / 1000;
    methods[name].cm.accumulate(label, maps[name], space.labelLut, space.predictionLut);
    boundaryCounts(maps[name], label, w, h, space, methods[name].bf);
    const bf = classBf(maps[name], label, w, h, space);
    if (bf !== null) methods[name].classBf.push(bf);
  }
  for (let i = 0; i < w * h; i++) if (maps.nearest[i] !== maps.bilinear[i]) differ++;
  pixels += w * h;
}
await engine?.dispose();
const result = {
  dataset: ds.dir,
  split: ds.split,
  images: ds.samples.length,
  model: base.card.name,
  outputOffset: base.card.outputOffset ?? 0,
  networkInput: net,
  toleratePx: TOL,
  pixelsThatDiffer: round((100 * differ) / pixels, 3),
  methods: {},
};
for (const [name, m] of Object.entries(methods)) {
  const metrics = computeMetrics(m.cm, space.freeSpace);
  result.methods[name] = {
    miou: metrics.miou,
    pixelAccuracy: metrics.pixelAccuracy,
    boundary: f1(m.bf),
    classBf: round((100 * m.classBf.reduce((a, b) => a + b, 0)) / m.classBf.length, 2),
    cpuMsPerImage: round(m.cpuMs / ds.samples.length, 3),
  };
}
console.log(JSON.stringify(result, null, 2));
if (values.out) writeFileSync(values.out, `${JSON.stringify(result, null, 2)}\n`);
