import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decoderArgs } from '../../src/ingest/video-decoder.js';
import { blendOverlayI420 } from '../../src/render/overlay.js';
import { buildClassLut } from '../../src/render/palette.js';
import { resizeI420ToTensor, resizeI420ToTensorExact, resizeToTensor } from '../../src/pixels/tensor.js';
import { upscaleClassMap } from '../../src/pixels/class-map.js';
import { rgbToYuv } from '../../src/pixels/colour.js';
import { chromaSize, frameByteLength, i420ToRgb24 } from '../../src/pixels/yuv.js';
import type { ClassInfo, InputSpec } from '../../src/infer/types.js';
import type { PixelFormat } from '../../src/types.js';
import { bins, haveShared, sharedDir, tempDir } from '../helpers/media.js';
import { firstDifference, noise } from '../helpers/bytes.js';

function ffmpeg(args: string[], input?: Uint8Array): Buffer {
  const r = spawnSync(bins.ffmpeg.path, args, { input, maxBuffer: 2 ** 28 });
  if (r.status !== 0) throw new Error(`ffmpeg ${args.join(' ')} failed: ${r.stderr.toString()}`);
  return r.stdout;
}

/** The first frame of `file` as the pipeline's decoder gets it. */
function firstFrame(file: string, format: PixelFormat): Uint8Array {
  return new Uint8Array(ffmpeg(decoderArgs(file, 1, format)));
}

/** A smooth, textured RGB scene (gradients, edges, saturated patches), like a camera frame. */
function scene(w: number, h: number): Uint8Array {
  const rgb = new Uint8Array(w * h * 3);
  const n = noise(w * h, 3);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const o = (y * w + x) * 3;
      const patch = ((x >> 5) + (y >> 5)) % 4;
      rgb[o] = patch === 0 ? 230 : (x * 255) / w;
      rgb[o + 1] = patch === 1 ? 20 : (y * 255) / h;
      rgb[o + 2] = patch === 2 ? 240 : 128 + (n[y * w + x] >> 5);
    }
  }
  return rgb;
}

const meanAbs = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += Math.abs(a[i] - b[i]);
  return s / a.length;
};

const meanSigned = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] - b[i];
  return s / a.length;
};

const spec = (w: number, h: number, channelOrder: 'RGB' | 'BGR' = 'RGB'): InputSpec => ({
  width: w,
  height: h,
  channelOrder,
  scale: 1 / 255,
  mean: [0.485, 0.456, 0.406],
  std: [0.229, 0.224, 0.225],
  resize: 'stretch',
});

describe('I420 frame sizes', () => {
  it('uses ceil(w/2) x ceil(h/2) chroma planes, also for odd sizes', () => {
    expect(chromaSize(641, 361)).toEqual({ width: 321, height: 181 });
    expect(frameByteLength('yuv420p', 640, 360)).toBe(640 * 360 * 1.5);
    expect(frameByteLength('yuv420p', 641, 361)).toBe(641 * 361 + 2 * 321 * 181);
    expect(frameByteLength('rgb24', 641, 361)).toBe(641 * 361 * 3);
    expect(() => frameByteLength('nv12' as PixelFormat, 2, 2)).toThrow(/rgb24 or yuv420p/);
  });
});

describe('YUV -> RGB against ffmpeg', () => {
  const tmp = tempDir();
  const clip = path.join(tmp.dir, 'scene.mp4');
  const odd = path.join(tmp.dir, 'odd.mkv');
  beforeAll(() => {
    // H.264 yuv420p, like every camera clip; and a lossless odd-size yuv420p file.
    ffmpeg(
      [
        '-v',
        'error',
        '-y',
        '-f',
        'rawvideo',
        '-pix_fmt',
        'rgb24',
        '-s',
        '320x180',
        '-i',
        'pipe:0',
        '-c:v',
        'libx264',
        '-qp',
        '18',
        '-pix_fmt',
        'yuv420p',
        clip,
      ],
      scene(320, 180),
    );
    ffmpeg(
      [
        '-v',
        'error',
        '-y',
        '-f',
        'rawvideo',
        '-pix_fmt',
        'rgb24',
        '-s',
        '641x361',
        '-i',
        'pipe:0',
        '-c:v',
        'ffv1',
        '-pix_fmt',
        'yuv420p',
        odd,
      ],
      scene(641, 361),
    );
  });
  afterAll(() => tmp.cleanup());

  // Bounds: mean abs difference to ffmpeg in levels, and in normalised tensor units. Odd heights:
  // ffmpeg interpolates chroma and we do not, which shows at this scene's hard saturated edges
  // (camera footage: ~0.25 levels, see the dashcam test below).
  const cases: [string, () => string, number, number, number, number][] = [
    ['H.264 320x180', () => clip, 320, 180, 0.5, 0.01],
    ['odd 641x361', () => odd, 641, 361, 3, 0.05],
  ];
  for (const [name, file, w, h, maxLevels, maxTensor] of cases) {
    it(`i420ToRgb24 matches ffmpeg's rgb24 decode (${name}), and ffmpeg's yuv420p frame has the expected size`, () => {
      const yuv = firstFrame(file(), 'yuv420p');
      expect(yuv.length).toBe(frameByteLength('yuv420p', w, h));
      const ours = i420ToRgb24(yuv, w, h);
      const theirs = firstFrame(file(), 'rgb24');
      // Even heights: bit-exact with the bundled ffmpeg (same fixed-point arithmetic). Odd heights:
      // ffmpeg interpolates chroma, we do not.
      const diff = meanAbs(ours, theirs);
      console.log(`i420ToRgb24 vs ffmpeg rgb24, ${name}: mean abs ${diff.toFixed(3)} levels`);
      expect(diff).toBeLessThan(maxLevels);
    });

    it(`resizeI420ToTensorExact gives the tensor of the RGB path on the same frame, resizeI420ToTensor stays close to it (${name})`, () => {
      const yuv = firstFrame(file(), 'yuv420p');
      const rgb = firstFrame(file(), 'rgb24');
      for (const layout of ['NCHW', 'NHWC'] as const) {
        const s = spec(128, 64, 'BGR');
        const exact = resizeI420ToTensorExact(yuv, w, h, s, layout);
        // Exactly the RGB path applied to our own conversion...
        expect(firstDifference(exact, resizeToTensor(i420ToRgb24(yuv, w, h), w, h, s, layout))).toBe(-1);
        // ...and within a level of the RGB path on ffmpeg's rgb24 decode (1 level = 1/255/0.225 = 0.017 here).
        const diff = meanAbs(exact, resizeToTensor(rgb, w, h, s, layout));
        // The pipeline's resampling in YUV: within a level of both on average, unbiased.
        const fast = resizeI420ToTensor(yuv, w, h, s, layout);
        const fastDiff = meanAbs(fast, exact);
        const fastToFfmpeg = meanAbs(fast, resizeToTensor(rgb, w, h, s, layout));
        console.log(
          `${name} ${layout} (normalised units): exact vs ffmpeg RGB path ${diff.toFixed(4)}, resampled in YUV vs exact ${fastDiff.toFixed(4)}, vs ffmpeg RGB path ${fastToFfmpeg.toFixed(4)}`,
        );
        expect(diff).toBeLessThan(maxTensor);
        expect(fastDiff).toBeLessThan(0.017);
        expect(fastToFfmpeg).toBeLessThan(maxTensor + 0.017);
        expect(Math.abs(meanSigned(fast, exact))).toBeLessThan(0.005);
      }
    });
  }

  it.runIf(haveShared())('matches ffmpeg on the real dashcam clip, and on an odd-size crop of it', () => {
    const file = path.join(sharedDir, 'samples', 'solidWhiteRight.mp4');
    const crop = path.join(tmp.dir, 'crop.mkv');
    ffmpeg([
      '-v',
      'error',
      '-y',
      '-i',
      file,
      '-frames:v',
      '1',
      '-vf',
      'format=yuv444p,crop=641:361:100:100',
      '-c:v',
      'ffv1',
      '-pix_fmt',
      'yuv420p',
      crop,
    ]);
    for (const [f, w, h] of [
      [file, 960, 540],
      [crop, 641, 361],
    ] as const) {
      const yuv = firstFrame(f, 'yuv420p');
      const rgb = firstFrame(f, 'rgb24');
      const diff = meanAbs(i420ToRgb24(yuv, w, h), rgb);
      const s = spec(512, 256);
      const tensorDiff = meanAbs(resizeI420ToTensorExact(yuv, w, h, s, 'NCHW'), resizeToTensor(rgb, w, h, s, 'NCHW'));
      const fastDiff = meanAbs(resizeI420ToTensor(yuv, w, h, s, 'NCHW'), resizeToTensor(rgb, w, h, s, 'NCHW'));
      console.log(
        `dashcam ${w}x${h}: rgb mean abs ${diff.toFixed(3)} levels, tensor mean abs ${tensorDiff.toFixed(4)} (exact), ${fastDiff.toFixed(4)} (resampled in YUV)`,
      );
      expect(diff).toBeLessThan(1.5);
      expect(tensorDiff).toBeLessThan(0.017);
      expect(fastDiff).toBeLessThan(0.017);
    }
  });
});

describe('rgbToYuv', () => {
  it('uses the BT.601 limited-range matrix: black, white, grey and primaries', () => {
    expect(rgbToYuv(0, 0, 0)).toEqual([16, 128, 128]);
    expect(rgbToYuv(255, 255, 255)).toEqual([235, 128, 128]);
    expect(rgbToYuv(128, 128, 128)).toEqual([126, 128, 128]);
    expect(rgbToYuv(255, 0, 0)).toEqual([81, 90, 240]);
    expect(rgbToYuv(0, 0, 255)).toEqual([41, 240, 110]);
  });

  it('round-trips through the ffmpeg conversion within 3 levels (its fixed point floors each term)', () => {
    for (const colour of [
      [128, 64, 128],
      [64, 0, 128],
      [128, 128, 0],
      [220, 20, 60],
      [0, 0, 142],
      [250, 170, 30],
    ]) {
      const [y, u, v] = rgbToYuv(colour[0], colour[1], colour[2]);
      const back = i420ToRgb24(new Uint8Array([y, u, v]), 1, 1);
      for (let c = 0; c < 3; c++)
        expect(Math.abs(back[c] - colour[c]), `${colour.join()} -> ${[...back].join()}`).toBeLessThanOrEqual(3);
    }
  });
});

describe('blendOverlayI420', () => {
  const classes: ClassInfo[] = [
    { name: 'Sky', color: [128, 128, 128] },
    { name: 'Road', color: [128, 64, 128] },
    { name: 'Car', color: [64, 0, 128] },
    { name: 'Tree', color: [128, 128, 0] },
  ];

  /** Per-sample reference: Y with each pixel's class, U/V with the class of each block's top-left pixel. */
  function reference(
    yuv: Uint8Array,
    w: number,
    h: number,
    map: Uint8Array,
    mw: number,
    mh: number,
    lut: Uint8Array,
    alpha: number,
  ) {
    const out = yuv.slice();
    const full = upscaleClassMap(map, mw, mh, w, h);
    const a = Math.round(alpha * 256);
    const blend = (i: number, k: number, plane: number) => {
      const c = rgbToYuv(lut[4 * k], lut[4 * k + 1], lut[4 * k + 2])[plane];
      out[i] = (yuv[i] * (256 - a) + c * a + 128) >> 8;
    };
    for (let i = 0; i < w * h; i++) if (lut[4 * full[i] + 3] !== 0) blend(i, full[i], 0);
    const cs = chromaSize(w, h);
    for (let cy = 0; cy < cs.height; cy++) {
      for (let cx = 0; cx < cs.width; cx++) {
        const k = full[2 * cy * w + 2 * cx];
        if (lut[4 * k + 3] === 0) continue;
        const i = cy * cs.width + cx;
        blend(w * h + i, k, 1);
        blend(w * h + cs.width * cs.height + i, k, 2);
      }
    }
    return out;
  }

  it('paints a known block: Y per pixel, U/V from the block top-left pixel class', () => {
    // 4x2 frame, 4x1 map: columns Road Sky Car Car -> blocks (0,1) = Road|Sky -> Road, (2,3) = Car.
    const lut = buildClassLut(classes, [1, 2]);
    const yuv = new Uint8Array(frameByteLength('yuv420p', 4, 2)).fill(100); // Y 8, U 2, V 2
    blendOverlayI420(yuv, 4, 2, new Uint8Array([1, 0, 2, 2]), 4, 1, lut, 0.5);
    const road = rgbToYuv(128, 64, 128);
    const car = rgbToYuv(64, 0, 128);
    const mix = (c: number) => (100 * 128 + c * 128 + 128) >> 8;
    const yRow = [mix(road[0]), 100, mix(car[0]), mix(car[0])];
    expect([...yuv]).toEqual([...yRow, ...yRow, mix(road[1]), mix(car[1]), mix(road[2]), mix(car[2])]);
  });

  it('alpha 1 gives the class colour back through the ffmpeg conversion; alpha 0 changes nothing', () => {
    const lut = buildClassLut(classes, [1]);
    const yuv = noise(frameByteLength('yuv420p', 6, 4), 9);
    const before = yuv.slice();
    blendOverlayI420(yuv, 6, 4, new Uint8Array([1]), 1, 1, lut, 0);
    expect(firstDifference(yuv, before)).toBe(-1);
    blendOverlayI420(yuv, 6, 4, new Uint8Array([1]), 1, 1, lut, 1);
    const rgb = i420ToRgb24(yuv, 6, 4);
    for (let i = 0; i < 6 * 4; i++)
      for (let c = 0; c < 3; c++) expect(Math.abs(rgb[3 * i + c] - classes[1].color[c])).toBeLessThanOrEqual(3);
  });

  it('matches the per-sample reference at non-integer ratios, odd sizes, up and down', () => {
    const lut = buildClassLut(classes, [1, 2, 3]);
    for (const [mw, mh, w, h, alpha] of [
      [512, 256, 1280, 720, 0.45],
      [480, 360, 1241, 376, 0.7],
      [64, 32, 641, 361, 0.5],
      [7, 5, 33, 19, 0.3],
      [33, 19, 7, 5, 0.6],
      [3, 3, 1, 1, 0.5],
    ] as const) {
      const map = noise(mw * mh, mw).map((v) => v & 3);
      const yuv = noise(frameByteLength('yuv420p', w, h), w);
      const expected = reference(yuv, w, h, map, mw, mh, lut, alpha);
      blendOverlayI420(yuv, w, h, map, mw, mh, lut, alpha);
      expect(firstDifference(yuv, expected), `${mw}x${mh} -> ${w}x${h}`).toBe(-1);
    }
  });

  it('gives the same bytes on a frame that is not 4-byte aligned, and leaves the bytes around it alone', () => {
    const lut = buildClassLut(classes, [1, 2]);
    const [mw, mh, w, h] = [50, 30, 127, 71];
    const map = noise(mw * mh, 5).map((v) => v & 3);
    const n = frameByteLength('yuv420p', w, h);
    const backing = new Uint8Array(n + 2);
    const yuv = backing.subarray(1, n + 1);
    yuv.set(noise(n, 6));
    const expected = reference(yuv, w, h, map, mw, mh, lut, 0.55);
    blendOverlayI420(yuv, w, h, map, mw, mh, lut, 0.55);
    expect(firstDifference(yuv, expected)).toBe(-1);
    expect([backing[0], backing[n + 1]]).toEqual([0, 0]);
  });

  it('rejects a frame too short for I420 and an alpha outside 0..1', () => {
    const lut = buildClassLut(classes, [1]);
    expect(() => blendOverlayI420(new Uint8Array(5), 2, 2, new Uint8Array(1), 1, 1, lut, 0.5)).toThrow(/at least 6/);
    expect(() => blendOverlayI420(new Uint8Array(6), 2, 2, new Uint8Array(1), 1, 1, lut, -1)).toThrow(/alpha/);
  });
});
