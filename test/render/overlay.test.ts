import { describe, expect, it } from 'vitest';
import { blendOverlay, blendOverlayI420 } from '../../src/render/overlay.js';
import type { ClassChanges } from '../../src/pixels/score-upsample.js';
import { frameByteLength } from '../../src/pixels/yuv.js';
import { buildClassLut } from '../../src/render/palette.js';
import { upscaleClassMap } from '../../src/pixels/class-map.js';
import type { ClassInfo } from '../../src/infer/types.js';
import { firstDifference, noise } from '../helpers/bytes.js';

const classes: ClassInfo[] = [
  { name: 'Sky', color: [128, 128, 128] },
  { name: 'Road', color: [128, 64, 128] },
  { name: 'Car', color: [64, 0, 128] },
  { name: 'Tree', color: [128, 128, 0] },
];

/** Per-pixel reference: upscale the map, then blend selected classes with fixed-point alpha. */
function reference(
  rgb: Uint8Array,
  w: number,
  h: number,
  map: Uint8Array,
  mw: number,
  mh: number,
  lut: Uint8Array,
  alpha: number,
) {
  const out = rgb.slice();
  const full = upscaleClassMap(map, mw, mh, w, h);
  const a = Math.round(alpha * 256);
  for (let i = 0; i < w * h; i++) {
    const k = full[i];
    if (lut[4 * k + 3] === 0) continue;
    for (let c = 0; c < 3; c++) out[3 * i + c] = (rgb[3 * i + c] * (256 - a) + lut[4 * k + c] * a + 128) >> 8;
  }
  return out;
}

describe('blendOverlay', () => {
  it('paints selected classes with their colour at the given alpha and leaves the others untouched', () => {
    const w = 6,
      h = 2;
    const map = new Uint8Array([0, 1, 2, 3]); // 4x1 map: Sky Road Car Tree
    const rgb = new Uint8Array(w * h * 3).fill(200);
    const lut = buildClassLut(classes, [1, 2]);
    blendOverlay(rgb, w, h, map, 4, 1, lut, 0.5);
    // 6 columns over 4 map columns: centres (x + 0.5) * 4 / 6 -> map cols 0,1,1,2,3,3
    const expectRow = [
      200,
      200,
      200, // sky: not selected
      164,
      132,
      164,
      164,
      132,
      164, // road: (200*128 + c*128 + 128) >> 8
      132,
      100,
      164, // car
      200,
      200,
      200,
      200,
      200,
      200, // tree: not selected
    ];
    expect([...rgb]).toEqual([...expectRow, ...expectRow]);
  });

  it('alpha 1 gives the exact colour and alpha 0 changes nothing', () => {
    const map = new Uint8Array([1, 0]);
    const lut = buildClassLut(classes, [1]);
    const solid = new Uint8Array(12).fill(7);
    blendOverlay(solid, 4, 1, map, 2, 1, lut, 1);
    expect([...solid]).toEqual([128, 64, 128, 128, 64, 128, 7, 7, 7, 7, 7, 7]);
    const none = new Uint8Array(12).fill(7);
    blendOverlay(none, 4, 1, map, 2, 1, lut, 0);
    expect([...none]).toEqual(new Array(12).fill(7));
  });

  it('matches the upscale-then-blend reference at non-integer ratios, up and down', () => {
    const lut = buildClassLut(classes, [1, 2, 3]);
    for (const [mw, mh, w, h, alpha] of [
      [512, 256, 1280, 720, 0.45],
      [480, 360, 1241, 376, 0.7],
      [7, 5, 33, 19, 0.3],
      [33, 19, 7, 5, 0.6],
    ]) {
      const map = noise(mw * mh, mw).map((v) => v & 3);
      const rgb = noise(w * h * 3, w);
      const expected = reference(rgb, w, h, map, mw, mh, lut, alpha);
      blendOverlay(rgb, w, h, map, mw, mh, lut, alpha);
      expect(firstDifference(rgb, expected), `${mw}x${mh} -> ${w}x${h}`).toBe(-1);
    }
  });

  it('gives the same bytes on a frame that is not 4-byte aligned (byte-wise path)', () => {
    const lut = buildClassLut(classes, [1, 2]);
    const [mw, mh, w, h] = [50, 30, 127, 71];
    const map = noise(mw * mh, 5).map((v) => v & 3);
    const backing = new Uint8Array(w * h * 3 + 1);
    const rgb = backing.subarray(1);
    rgb.set(noise(w * h * 3, 6));
    const expected = reference(rgb, w, h, map, mw, mh, lut, 0.55);
    blendOverlay(rgb, w, h, map, mw, mh, lut, 0.55);
    expect(firstDifference(rgb, expected)).toBe(-1);
    expect(backing[0]).toBe(0);
  });

  it('uses a partial LUT alpha as a fraction of the overlay alpha', () => {
    const lut = buildClassLut(classes, [1]);
    lut[4 * 1 + 3] = 51; // 20 % of alpha 1: a = round(256 * 51 / 255) = 51 of 256
    const rgb = new Uint8Array(3).fill(0);
    blendOverlay(rgb, 1, 1, new Uint8Array([1]), 1, 1, lut, 1);
    expect([...rgb]).toEqual([(128 * 51 + 128) >> 8, (64 * 51 + 128) >> 8, (128 * 51 + 128) >> 8]);
  });

  it('rejects an alpha outside 0..1', () => {
    expect(() => blendOverlay(new Uint8Array(3), 1, 1, new Uint8Array(1), 1, 1, new Uint8Array(1024), 1.5)).toThrow(
      /alpha/,
    );
  });
});

describe('blending with changed pixels (clean edges)', () => {
  /** A small map, its nearest enlargement with some pixels changed (to painted and unpainted classes), and those changes. */
  function changedMaps(mw: number, mh: number, w: number, h: number, seed: number) {
    const map = noise(mw * mh, seed).map((v) => v & 3);
    const full = upscaleClassMap(map, mw, mh, w, h);
    const index: number[] = [];
    const picks = noise(w * h, seed + 1);
    for (let i = 0; i < w * h; i++) {
      if (picks[i] % 9 !== 0) continue;
      const k = (full[i] + 1 + (picks[i] % 3)) & 3;
      full[i] = k;
      index.push(i);
    }
    const changes: ClassChanges = {
      index: Int32Array.from(index),
      classes: Uint8Array.from(index, (i) => full[i]),
      count: index.length,
    };
    return { map, full, changes };
  }

  it('RGB24: equals blending the changed frame-size map', () => {
    const lut = buildClassLut(classes, [1, 2]); // 0 and 3 unpainted: changes to and from them
    for (const [mw, mh, w, h] of [
      [72, 40, 320, 180],
      [7, 5, 33, 19],
    ]) {
      const { map, full, changes } = changedMaps(mw, mh, w, h, w);
      const rgb = noise(w * h * 3, 3);
      const want = rgb.slice();
      blendOverlay(want, w, h, full, w, h, lut, 0.6);
      blendOverlay(rgb, w, h, map, mw, mh, lut, 0.6, changes);
      expect(firstDifference(rgb, want), `${w}x${h}`).toBe(-1);
    }
  });

  it('I420: equals blending the changed frame-size map, chroma included (odd sizes)', () => {
    const lut = buildClassLut(classes, [1, 2, 3]);
    for (const [mw, mh, w, h] of [
      [72, 40, 320, 180],
      [7, 5, 33, 19],
    ]) {
      const { map, full, changes } = changedMaps(mw, mh, w, h, h);
      const yuv = noise(frameByteLength('yuv420p', w, h), 4);
      const want = yuv.slice();
      blendOverlayI420(want, w, h, full, w, h, lut, 0.45);
      blendOverlayI420(yuv, w, h, map, mw, mh, lut, 0.45, changes);
      expect(firstDifference(yuv, want), `${w}x${h}`).toBe(-1);
    }
  });
});
