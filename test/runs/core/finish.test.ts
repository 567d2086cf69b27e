import { describe, expect, it } from 'vitest';
import { headLookup } from '../../../src/infer/argmax.js';
import type { ClassInfo } from '../../../src/infer/types.js';
import { upscaleClassMap } from '../../../src/pixels/class-map.js';
import { egoMaskFromBytes } from '../../../src/pixels/ego-mask.js';
import { classMapAt, type HeadScoresView } from '../../../src/pixels/score-upsample.js';
import { frameByteLength } from '../../../src/pixels/yuv.js';
import { blendOverlay, blendOverlayI420 } from '../../../src/render/overlay.js';
import { buildClassLut } from '../../../src/render/palette.js';
import { finishConstants, finishFrame, usesScores, type FinishConstants } from '../../../src/runs/core/finish.js';
import { noise } from '../../helpers/bytes.js';

const classes: ClassInfo[] = [
  { name: 'Sky', color: [128, 128, 128] },
  { name: 'Road', color: [128, 64, 128] },
  { name: 'Car', color: [64, 0, 128] },
  { name: 'Tree', color: [128, 128, 0] },
];
const luts = [headLookup({ output: 'a', classes: [0, 1, 2, 3] })];

/** Scores of four channels that cross each other along slanted lines, and their argmax. */
function scoresOf(w: number, h: number): { scores: HeadScoresView; classMap: Uint8Array } {
  const n = w * h;
  const data = new Float32Array(4 * n);
  const classMap = new Uint8Array(n);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const p = y * w + x;
      const v = [Math.sin(x * 0.7 + y * 0.3), Math.cos(x * 0.2 - y * 0.9), (x - y) / w, Math.sin((x * y) / 9)];
      let best = 0;
      for (let c = 0; c < 4; c++) {
        data[c * n + p] = v[c];
        if (Math.fround(v[c]) > Math.fround(v[best])) best = c;
      }
      classMap[p] = best;
    }
  }
  return { scores: { layout: 'NCHW', heads: [data] }, classMap };
}

describe('finish with scores (clean edges)', () => {
  const [mw, mh, w, h] = [40, 24, 150, 91];
  for (const format of ['yuv420p', 'rgb24'] as const) {
    it(`${format}: the overlay and the mask equal blending and writing the class map of the resized scores, under an ego mask too`, () => {
      const { scores, classMap } = scoresOf(mw, mh);
      const lut = buildClassLut(classes, [1, 2, 3]);
      const egoBytes = new Uint8Array(w * h);
      egoBytes.fill(255, w * (h - 20));
      for (const ego of [null, egoMaskFromBytes(egoBytes, w, h)]) {
        const run = finishConstants({ lut, alpha: 0.5, masks: false, freeSpaceIds: null, raw: true, luts, ego });
        const pixels = noise(format === 'rgb24' ? w * h * 3 : frameByteLength('yuv420p', w, h), 9);
        const full = classMapAt({ classMap, width: mw, height: mh, scores, luts }, w, h);
        expect(full).not.toEqual(upscaleClassMap(classMap, mw, mh, w, h)); // the edges moved
        const want = pixels.slice();
        const original = pixels.slice();
        (format === 'rgb24' ? blendOverlay : blendOverlayI420)(want, w, h, full, w, h, lut, 0.5);
        const out = finishFrame(
          { pixels, format, width: w, height: h, classMap, mapWidth: mw, mapHeight: mh, scores },
          run,
        );
        if (ego) full.fill(255, w * (h - 20));
        expect(out.classIds).toEqual(full);
        if (!ego) expect(out.pixels).toEqual(want);
        else {
          // Above the ego mask as without it; under it (RGB bytes or luma) the frame's own bytes.
          const [above, end] = format === 'rgb24' ? [3 * w * (h - 20), 3 * w * h] : [w * (h - 20), w * h];
          expect(out.pixels!.subarray(0, above)).toEqual(want.subarray(0, above));
          expect(out.pixels!.subarray(above, end)).toEqual(original.subarray(above, end));
        }
      }
    });
  }
});

describe('usesScores', () => {
  const base: Omit<FinishConstants, 'id'> = { lut: null, alpha: 0.5, masks: false, freeSpaceIds: null, luts };
  it('is false when no output takes classes at the frame size, or without the heads’ tables', () => {
    expect(usesScores(finishConstants(base))).toBe(false);
    expect(usesScores(finishConstants({ ...base, masks: true, luts: null }))).toBe(false);
  });
  it('is true for the overlay, masks, free space, raw outputs and the boundary', () => {
    const lut = buildClassLut(classes, [1]);
    for (const c of [
      { lut },
      { masks: true },
      { freeSpaceIds: [1] },
      { raw: true },
      { boundary: true, freeSpaceIds: [1] },
    ])
      expect(usesScores(finishConstants({ ...base, ...c }))).toBe(true);
  });
});
