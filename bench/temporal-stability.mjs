// Temporal stability with and without --smooth, on real clips:
//  * the stability figure of the run summary (flicker on unchanged-source pixels, all changes),
//  * an independent optical-flow check: block matching on luma (8x8 blocks, ±6 px, at 240 px wide)
//    warps frame t-1's labels onto frame t; agreement with frame t's labels is scored on all
//    matched blocks and on the moving ones alone (a lagging or blurred label loses agreement
//    where things move, a steadier one gains),
//  * speed: fps of `-o overlay.mp4` without and with --smooth, interleaved rounds,
//  * accuracy: `eval` of CamVid val in order, without and with --smooth.
// Usage: node bench/temporal-stability.mjs [--smooth S (default: the CLI's)] [--rounds 3] [--no-clips] [--no-speed] [--no-eval]
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULTS } from '../dist/defaults.js';
import { evaluateDataset, loadModel, probeVideo, segmentVideo } from '../dist/index.js';
import { benchModel, bins, ffmpegSync, root, round, shared, work } from './lib.mjs';

const { values } = parseArgs({
  options: {
    smooth: { type: 'string', default: String(DEFAULTS.smoothStrength) },
    rounds: { type: 'string', default: '3' },
    'no-speed': { type: 'boolean' },
    'no-eval': { type: 'boolean' },
    'no-clips': { type: 'boolean' },
  },
});
const S = Number(values.smooth);
const chosen = benchModel();
const model = await loadModel(chosen.dir);
const camvid = path.join(shared, 'datasets', 'camvid');

function clips() {
  const list = [
    {
      name: 'dashcam (solidWhiteRight, 960x540, 25 fps, 221 frames)',
      file: path.join(shared, 'samples', 'solidWhiteRight.mp4'),
    },
    {
      name: 'CamVid val 0016E5 (480x360, 15 fps, 101 frames)',
      file: path.join(shared, 'samples', 'camvid_val_0016E5_15fps.mp4'),
    },
  ];
  // A third real clip: the CamVid 0006R0 run (train split), one frame a second: large motion between frames.
  const r0 = path.join(work, 'camvid_0006R0_1fps.mp4');
  if (!existsSync(r0))
    ffmpegSync([
      '-framerate',
      '1',
      '-pattern_type',
      'glob',
      '-i',
      path.join(camvid, 'train', '0006R0_*.png'),
      '-c:v',
      'libx264',
      '-preset',
      'fast',
      '-crf',
      '18',
      '-pix_fmt',
      'yuv420p',
      r0,
    ]);
  list.push({ name: 'CamVid 0006R0 (480x360, 1 fps, 101 frames)', file: r0 });
  return list;
}

/** Raw 8-bit grey frames from ffmpeg (`-vf` given), as one Buffer. */
function grey(inputArgs, vf) {
  return new Promise((resolve, reject) => {
    const child = spawn(
      bins.ffmpeg.path,
      ['-v', 'error', ...inputArgs, '-vf', vf, '-pix_fmt', 'gray', '-f', 'rawvideo', 'pipe:1'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const parts = [];
    let err = '';
    child.stdout.on('data', (d) => parts.push(d));
    child.stderr.on('data', (d) => (err += d));
    child.on('close', (code) => (code === 0 ? resolve(Buffer.concat(parts)) : reject(new Error(err))));
  });
}

const B = 8;
const R = 6;

/** Per frame pair, per block: best displacement into the previous frame and whether it matched. */
function blockFlow(luma, w, h, n) {
  const bw = Math.floor(w / B);
  const bh = Math.floor(h / B);
  const flows = [];
  for (let t = 1; t < n; t++) {
    const cur = luma.subarray(t * w * h, (t + 1) * w * h);
    const prev = luma.subarray((t - 1) * w * h, t * w * h);
    const f = new Int8Array(bw * bh * 3);
    for (let by = 0; by < bh; by++) {
      for (let bx = 0; bx < bw; bx++) {
        const x0 = bx * B;
        const y0 = by * B;
        let best = Infinity;
        let bdx = 0;
        let bdy = 0;
        let zero = 0;
        for (let dy = -R; dy <= R; dy++) {
          if (y0 + dy < 0 || y0 + dy + B > h) continue;
          for (let dx = -R; dx <= R; dx++) {
            if (x0 + dx < 0 || x0 + dx + B > w) continue;
            let sad = 0;
            for (let y = 0; y < B && sad < best; y++) {
              const a = (y0 + y) * w + x0;
              const b = (y0 + y + dy) * w + x0 + dx;
              for (let x = 0; x < B; x++) sad += Math.abs(cur[a + x] - prev[b + x]);
            }
            if (dx === 0 && dy === 0) zero = sad;
            // Prefer the smaller displacement on ties (flat areas).
            if (sad < best || (sad === best && Math.abs(dx) + Math.abs(dy) < Math.abs(bdx) + Math.abs(bdy))) {
              best = sad;
              bdx = dx;
              bdy = dy;
            }
          }
        }
        const k = (by * bw + bx) * 3;
        f[k] = bdx;
        f[k + 1] = bdy;
        // Matched: mean absolute difference ≤ 8 grey levels; moving: the match is not at (0,0) and clearly better.
        f[k + 2] = best / (B * B) <= 8 ? ((bdx !== 0 || bdy !== 0) && zero > best * 1.5 + B * B ? 2 : 1) : 0;
      }
    }
    flows.push(f);
  }
  return { flows, bw, bh };
}

/** Agreement (%) of frame t's labels with frame t-1's labels warped by the block flow. */
function flowAgreement(labels, w, h, flow) {
  const { flows, bw, bh } = flow;
  let all = 0;
  let allAgree = 0;
  let moving = 0;
  let movingAgree = 0;
  flows.forEach((f, i) => {
    const t = i + 1;
    const cur = labels.subarray(t * w * h, (t + 1) * w * h);
    const prev = labels.subarray((t - 1) * w * h, t * w * h);
    for (let by = 0; by < bh; by++) {
      for (let bx = 0; bx < bw; bx++) {
        const k = (by * bw + bx) * 3;
        if (f[k + 2] === 0) continue;
        const dx = f[k];
        const dy = f[k + 1];
        let agree = 0;
        for (let y = by * B; y < by * B + B; y++)
          for (let x = bx * B; x < bx * B + B; x++) if (cur[y * w + x] === prev[(y + dy) * w + x + dx]) agree++;
        all += B * B;
        allAgree += agree;
        if (f[k + 2] === 2) {
          moving += B * B;
          movingAgree += agree;
        }
      }
    }
  });
  return {
    all: round((100 * allAgree) / all, 3),
    moving: round((100 * movingAgree) / Math.max(1, moving), 3),
    movingShare: round((100 * moving) / Math.max(1, all), 2),
  };
}

/** @type {any} */
const results = {
  date: new Date().toISOString(),
  model: chosen.label,
  smooth: S,
  note: 'shared 2-core machine; other work ran at the same time',
  clips: [],
};
for (const clip of values['no-clips'] ? [] : clips()) {
  const info = await probeVideo(clip.file, { ffprobe: bins.ffprobe.path });
  const w = 240;
  const h = 2 * Math.round((w * info.height) / info.width / 2);
  const luma = await grey(['-i', clip.file], `scale=${w}:${h}:flags=area`);
  const n = luma.length / (w * h);
  const flow = blockFlow(luma, w, h, n);
  const entry = { clip: clip.name, frames: n };
  for (const smooth of [0, S]) {
    const dir = path.join(work, 'temporal-masks');
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir);
    const s = await segmentVideo({ input: clip.file, masks: dir, model, smooth });
    const labels = await grey(
      ['-framerate', '1', '-i', path.join(dir, `%0${readdirSync(dir)[0].length - 4}d.png`)],
      `scale=${w}:${h}:flags=neighbor`,
    );
    const { perClass, ...stability } = s.stability;
    entry[smooth === 0 ? 'perFrame' : 'smoothed'] = { ...stability, perClass, flow: flowAgreement(labels, w, h, flow) };
  }
  results.clips.push(entry);
  console.error(
    `${clip.name}: ${JSON.stringify({ perFrame: { flicker: entry.perFrame.flicker, changed: entry.perFrame.changed, flow: entry.perFrame.flow }, smoothed: { flicker: entry.smoothed.flicker, changed: entry.smoothed.changed, flow: entry.smoothed.flow } })}`,
  );
}

if (!values['no-eval']) {
  results.eval = {};
  for (const smooth of [0, S]) {
    const r = await evaluateDataset({ dir: camvid, split: 'val', model, smooth });
    results.eval[smooth === 0 ? 'perFrame' : 'smoothed'] = {
      miou: r.miou,
      pixelAccuracy: r.pixelAccuracy,
      flicker: r.stability.flicker,
      changed: r.stability.changed,
      perClass: r.perClass,
    };
  }
  console.error(
    `eval CamVid val: ${JSON.stringify({ perFrame: results.eval.perFrame.miou, smoothed: results.eval.smoothed.miou })}`,
  );
}

if (!values['no-speed']) {
  /** @type {{ perFrame: number[], smoothed: number[] }} */
  const fps = { perFrame: [], smoothed: [] };
  const input = path.join(shared, 'samples', 'solidWhiteRight.mp4');
  for (let r = 0; r < Number(values.rounds); r++) {
    for (const smooth of r % 2 ? [S, 0] : [0, S]) {
      const s = await segmentVideo({ input, output: path.join(work, `temporal-overlay-${smooth}.mp4`), model, smooth });
      fps[smooth === 0 ? 'perFrame' : 'smoothed'].push(s.fps);
    }
  }
  const median = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
  results.speed = {
    clip: 'solidWhiteRight.mp4 -o overlay.mp4',
    fps,
    ratio: round(median(fps.smoothed) / median(fps.perFrame), 3),
  };
  console.error(`speed: ${JSON.stringify(results.speed)}`);
}

writeFileSync(path.join(root, 'bench', 'results', 'temporal-stability.json'), `${JSON.stringify(results, null, 2)}\n`);
console.log(
  `| clip | flicker % (per-frame → --smooth ${S}) | changed % | flow agreement, all % | flow agreement, moving % |`,
);
console.log('|---|---|---|---|---|');
for (const c of results.clips) {
  const a = c.perFrame;
  const b = c.smoothed;
  console.log(
    `| ${c.clip} | ${a.flicker} → ${b.flicker} | ${a.changed} → ${b.changed} | ${a.flow.all} → ${b.flow.all} | ${a.flow.moving} → ${b.flow.moving} (${a.flow.movingShare} % of matched pixels) |`,
  );
}
if (results.eval)
  console.log(
    `\nCamVid val mIoU: ${results.eval.perFrame.miou} → ${results.eval.smoothed.miou}; flicker ${results.eval.perFrame.flicker} → ${results.eval.smoothed.flicker}`,
  );
if (results.speed)
  console.log(
    `overlay fps ratio (--smooth / per-frame, medians of ${values.rounds} interleaved rounds): ${results.speed.ratio}`,
  );
