// The project's own codecs against kept libraries, on the frame path (what a worker does per frame):
//   png-decode   a frame PNG (960x540 dashcam, 1242x375 KITTI-sized) to RGB24: codecs/png-decode vs sharp
//   png-encode   a class-id mask (an upscaled CamVid label map) to PNG: codecs/png-encode vs sharp
//   jpeg-exif    a JPEG frame with EXIF orientation 6 to upright RGB24: the earlier ffmpeg child vs sharp .rotate()
//                (decided: codecs/image now reads JPEG through sharp; the glob matcher, 1.07x, became tinyglobby)
// CPU time per call (user + system of this process and its waited-for children), the median of
// interleaved rounds: robust on a shared machine, unlike wall time (also printed).
//
//   node bench/codecs.mjs [--reps 40] [--rounds 5]
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import sharp from 'sharp';
import { spawnSync } from 'node:child_process';
import { readImage } from '../dist/codecs/image.js';
import { decodePngBytes, toRgb24 } from '../dist/codecs/png-decode.js';
import { encodePng } from '../dist/codecs/png-encode.js';
import { bins, ffmpegSync, root, round, shared, work } from './lib.mjs';

const { values } = parseArgs({
  options: {
    reps: { type: 'string', default: '40' },
    rounds: { type: 'string', default: '5' },
    out: { type: 'string', default: 'codecs.json' },
  },
});
const REPS = Number(values.reps);
const ROUNDS = Number(values.rounds);
// One thread per call and no cache: a worker handles one frame at a time, and the pool owns the cores.
sharp.concurrency(1);
sharp.cache(false);

/** CPU milliseconds of this process and its reaped children so far (children from /proc: clock ticks of 10 ms). */
function cpuMs() {
  const { user, system } = process.cpuUsage();
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (user + system) / 1000 + (Number(f[13]) + Number(f[14])) * 10;
}

/** Runs `fn` `reps` times: CPU and wall milliseconds per call. */
async function measure(fn, reps) {
  const c0 = cpuMs();
  const t0 = performance.now();
  for (let i = 0; i < reps; i++) await fn();
  return { cpu: (cpuMs() - c0) / reps, wall: (performance.now() - t0) / reps };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

// Inputs: frames of the dashcam clip and a CamVid label map, at the two frame sizes.
const sample = path.join(shared, 'samples', 'solidWhiteRight.mp4');
const label = path.join(shared, 'datasets', 'camvid', 'valannot', '0016E5_07959.png');
const sizes = [
  [960, 540],
  [1242, 375],
];
const inputs = [];
for (const [w, h] of sizes) {
  const png = path.join(work, `codecs-frame-${w}x${h}.png`);
  ffmpegSync(['-ss', '3', '-i', sample, '-frames:v', '1', '-vf', `scale=${w}:${h}`, '-pix_fmt', 'rgb24', png]);
  const jpeg = path.join(work, `codecs-frame-${w}x${h}-exif6.jpg`);
  await sharp(png).jpeg({ quality: 90 }).withMetadata({ orientation: 6 }).toFile(jpeg);
  const mask = await sharp(label).resize(w, h, { kernel: 'nearest' }).extractChannel(0).raw().toBuffer();
  inputs.push({ size: `${w}x${h}`, w, h, png: readFileSync(png), jpeg, mask: new Uint8Array(mask) });
}

// Both sides must give the same pixels before their speed means anything.
for (const i of inputs) {
  const ours = toRgb24(/** @type {import('../dist/codecs/png-decode.js').DecodedPng} */ (decodePngBytes(i.png)));
  const theirs = await sharp(i.png).removeAlpha().raw().toBuffer();
  if (Buffer.compare(Buffer.from(ours), theirs) !== 0) throw new Error(`png decode differs at ${i.size}`);
  const back = await sharp(Buffer.from(encodePng(i.mask, i.w, i.h, 'gray')))
    .extractChannel(0)
    .raw()
    .toBuffer();
  if (Buffer.compare(back, Buffer.from(i.mask)) !== 0)
    throw new Error(`our mask PNG does not decode to the mask at ${i.size}`);
  const upright = (await readImage(i.jpeg, bins.ffmpeg.path)).png;
  const meta = await sharp(i.jpeg).rotate().raw().toBuffer({ resolveWithObject: true });
  if (upright.width !== meta.info.width || upright.height !== meta.info.height)
    throw new Error(`EXIF orientation differs at ${i.size}`);
}

/** The earlier JPEG path: one ffmpeg child per image, turned upright by a transpose filter (orientation 6). */
function ffmpegJpeg(/** @type {string} */ file) {
  const args = [
    '-v',
    'error',
    '-nostdin',
    '-noautorotate',
    '-i',
    `file:${file}`,
    '-vf',
    'transpose=1',
    '-frames:v',
    '1',
    '-f',
    'image2pipe',
    '-c:v',
    'png',
    '-compression_level',
    '0',
    '-pix_fmt',
    'rgb24',
    'pipe:1',
  ];
  return decodePngBytes(spawnSync(bins.ffmpeg.path, args, { maxBuffer: 1 << 30 }).stdout);
}

/** @type {Record<string, { ours: () => unknown, sharp: () => Promise<unknown> }>} */
const scenarios = {};
for (const i of inputs) {
  scenarios[`png-decode ${i.size} rgb`] = {
    ours: () => toRgb24(/** @type {any} */ (decodePngBytes(i.png))),
    sharp: () => sharp(i.png).removeAlpha().raw().toBuffer(),
  };
  scenarios[`png-encode ${i.size} mask`] = {
    ours: () => encodePng(i.mask, i.w, i.h, 'gray'),
    sharp: () =>
      sharp(i.mask, { raw: { width: i.w, height: i.h, channels: 1 } })
        .png({ compressionLevel: 1, adaptiveFiltering: false })
        .toBuffer(),
  };
  scenarios[`jpeg-exif ${i.size}`] = {
    ours: () => ffmpegJpeg(i.jpeg),
    sharp: () => sharp(i.jpeg).rotate().removeAlpha().raw().toBuffer(),
  };
}

/** @type {Record<string, any>} */
const results = {};
for (const [name, s] of Object.entries(scenarios)) {
  const reps = name.startsWith('jpeg') || name.startsWith('glob') ? Math.max(5, Math.round(REPS / 4)) : REPS;
  /** @type {Record<'ours' | 'other', { cpu: number, wall: number }[]>} */
  const runs = { ours: [], other: [] };
  await s.ours();
  await s.sharp();
  for (let r = 0; r < ROUNDS; r++) {
    for (const side of r % 2 ? ['other', 'ours'] : ['ours', 'other'])
      runs[side].push(await measure(side === 'ours' ? s.ours : s.sharp, reps));
  }
  const cpu = { ours: median(runs.ours.map((x) => x.cpu)), other: median(runs.other.map((x) => x.cpu)) };
  const wall = { ours: median(runs.ours.map((x) => x.wall)), other: median(runs.other.map((x) => x.wall)) };
  results[name] = {
    reps,
    rounds: ROUNDS,
    cpuMs: { ours: round(cpu.ours, 3), library: round(cpu.other, 3) },
    wallMs: { ours: round(wall.ours, 3), library: round(wall.other, 3) },
    libraryOverOurs: round(cpu.other / cpu.ours, 3),
  };
  console.error(`${name}: ${JSON.stringify(results[name])}`);
}
/** @type {Record<string, { oursMaskPngBytes: number, sharpMaskPngBytes?: number }>} */
const sizesOut = Object.fromEntries(
  inputs.map((i) => [i.size, { oursMaskPngBytes: encodePng(i.mask, i.w, i.h, 'gray').length }]),
);
for (const i of inputs) {
  sizesOut[i.size].sharpMaskPngBytes = (
    await sharp(i.mask, { raw: { width: i.w, height: i.h, channels: 1 } })
      .png({ compressionLevel: 1, adaptiveFiltering: false })
      .toBuffer()
  ).length;
}
const out = {
  date: new Date().toISOString(),
  note: 'CPU ms per call, median of interleaved rounds; machine shared with other work (under load)',
  sharp: sharp.versions,
  results,
  maskPngBytes: sizesOut,
};
writeFileSync(path.join(root, 'bench', 'results', values.out), `${JSON.stringify(out, null, 2)}\n`);
console.log('| scenario | ours, CPU ms | library, CPU ms | library / ours |');
console.log('|---|---|---|---|');
for (const [name, r] of Object.entries(results))
  console.log(`| ${name} | ${r.cpuMs.ours} | ${r.cpuMs.library} | ${r.libraryOverOurs} |`);
