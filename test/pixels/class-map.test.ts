import { describe, expect, it } from 'vitest';
import { freeSpaceMask, upscaleClassMap } from '../../src/pixels/class-map.js';
import { nearestIndexTable } from '../../src/pixels/sampler.js';
import { firstDifference } from '../helpers/bytes.js';

/** Straightforward per-pixel reference: the map pixel under each output pixel's centre. */
function reference(map: Uint8Array, mw: number, mh: number, w: number, h: number): Uint8Array {
  const out = new Uint8Array(w * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const sx = Math.min(Math.floor(((x + 0.5) * mw) / w), mw - 1);
      const sy = Math.min(Math.floor(((y + 0.5) * mh) / h), mh - 1);
      out[y * w + x] = map[sy * mw + sx];
    }
  }
  return out;
}

describe('upscaleClassMap', () => {
  it('puts the boundary of a half/half 64x32 map at column 320 of a 641x361 frame, on every row', () => {
    const map = new Uint8Array(64 * 32);
    for (let y = 0; y < 32; y++) for (let x = 0; x < 64; x++) map[y * 64 + x] = x < 32 ? 1 : 2;
    const out = upscaleClassMap(map, 64, 32, 641, 361);
    expect(out.length).toBe(641 * 361);
    // 32 * 641 / 64 = 320.5: pixel 320's centre sits exactly on the boundary and goes right.
    for (let y = 0; y < 361; y++) {
      const row = out.subarray(y * 641, (y + 1) * 641);
      expect(row.indexOf(2)).toBe(320);
      expect(row.lastIndexOf(1)).toBe(319);
    }
  });

  it('puts a top/bottom boundary at row ceil(k * h / mapH - 0.5)', () => {
    const map = new Uint8Array(64 * 32);
    map.fill(3, 16 * 64); // rows 16.. are class 3
    const out = upscaleClassMap(map, 64, 32, 641, 361);
    const firstRow = Math.floor(out.indexOf(3) / 641);
    expect(firstRow).toBe(180); // 16 * 361 / 32 = 180.5
    expect(out.subarray(179 * 641, 180 * 641).every((v) => v === 0)).toBe(true);
  });

  it('maps every map column k to start at round(k * dstW / mapW) (halves down)', () => {
    const mw = 64,
      w = 641;
    const map = Uint8Array.from({ length: mw }, (_, k) => k);
    const out = upscaleClassMap(map, mw, 1, w, 1);
    for (let k = 1; k < mw; k++) {
      const exact = (k * w) / mw;
      const expected = exact % 1 === 0.5 ? Math.floor(exact) : Math.round(exact);
      expect(out.indexOf(k)).toBe(expected);
    }
  });

  it('matches the per-pixel reference for up, down and mixed ratios', () => {
    const cases: [number, number, number, number][] = [
      [512, 256, 1280, 720],
      [480, 360, 1241, 376],
      [7, 5, 33, 19],
      [33, 19, 7, 5],
      [10, 3, 10, 3],
    ];
    for (const [mw, mh, w, h] of cases) {
      const map = Uint8Array.from({ length: mw * mh }, (_, i) => (i * 2654435761) >>> 27);
      expect(
        firstDifference(upscaleClassMap(map, mw, mh, w, h), reference(map, mw, mh, w, h)),
        `${mw}x${mh} -> ${w}x${h}`,
      ).toBe(-1);
    }
  });

  it('gives the same bytes into an output that is not 4-byte aligned', () => {
    const map = Uint8Array.from({ length: 13 * 7 }, (_, i) => i);
    const backing = new Uint8Array(61 * 29 + 1);
    const out = upscaleClassMap(map, 13, 7, 61, 29, backing.subarray(1));
    expect(firstDifference(out, reference(map, 13, 7, 61, 29))).toBe(-1);
    expect(backing[0]).toBe(0);
  });

  it('writes into a caller buffer and rejects a short map', () => {
    const out = new Uint8Array(8);
    expect(upscaleClassMap(new Uint8Array([1, 2]), 2, 1, 4, 2, out)).toBe(out);
    expect([...out]).toEqual([1, 1, 2, 2, 1, 1, 2, 2]);
    expect(() => upscaleClassMap(new Uint8Array(3), 2, 2, 4, 4)).toThrow(/classMap/);
  });

  it('index table uses exact integer arithmetic', () => {
    expect([...nearestIndexTable(2, 5)]).toEqual([0, 0, 1, 1, 1]); // centres 0.5..4.5 -> 0.2,0.6,1.0,1.4,1.8
  });
});

describe('freeSpaceMask', () => {
  it('is 255 for the given class ids and 0 elsewhere', () => {
    const map = new Uint8Array([0, 1, 2, 3, 1, 255]);
    expect([...freeSpaceMask(map, [1, 3])]).toEqual([0, 255, 0, 255, 255, 0]);
    const out = new Uint8Array(6);
    expect(freeSpaceMask(map, [], out)).toBe(out);
    expect([...out]).toEqual([0, 0, 0, 0, 0, 0]);
  });
});
