import { describe, expect, it } from 'vitest';
import {
  EGO_CLASS,
  egoMaskFromBytes,
  egoMaskToBytes,
  fillEgo,
  restoreUnderEgo,
  saveUnderEgo,
} from '../../src/pixels/ego-mask.js';
import { freeSpaceBoundary, NO_FREE_SPACE } from '../../src/pixels/free-space-boundary.js';
import { blendOverlayI420 } from '../../src/render/overlay.js';
import { StaticBottomFinder } from '../../src/pixels/static-bottom.js';

/** A 7x5 mask: the bottom two rows, and a notch in row 2. */
function bonnet(): Uint8Array {
  const m = new Uint8Array(7 * 5);
  m.fill(1, 3 * 7);
  m.fill(1, 2 * 7 + 2, 2 * 7 + 5);
  return m;
}

describe('ego mask spans', () => {
  it('round-trips a byte mask and counts its pixels', () => {
    const ego = egoMaskFromBytes(bonnet(), 7, 5);
    expect(ego.pixels).toBe(14 + 3);
    expect([...egoMaskToBytes(ego)]).toEqual([...bonnet()].map((v) => v * 255));
  });

  it('the overlay leaves I420 pixels under the mask as they were (luma, and chroma by top-left pixel)', () => {
    const w = 7,
      h = 5;
    const ego = egoMaskFromBytes(bonnet(), w, h);
    const frame = new Uint8Array(w * h + 2 * 4 * 3).map((_, i) => (i * 37) & 255);
    const original = frame.slice();
    const lut = new Uint8Array(1024);
    lut.set([255, 0, 0, 255], 0);
    const saved = saveUnderEgo(frame, 'yuv420p', ego);
    blendOverlayI420(frame, w, h, new Uint8Array(1), 1, 1, lut, 0.5);
    restoreUnderEgo(frame, 'yuv420p', ego, saved);
    const mask = bonnet();
    for (let i = 0; i < w * h; i++) expect(frame[i] === original[i]).toBe(mask[i] === 1);
    // Chroma (4x3): row 1 follows luma row 2 (notch, columns 2..4 → chroma columns 1..2), row 2 luma row 4 (all).
    const u = w * h;
    const expectedKept = [0, 0, 0, 0, 0, 1, 1, 0, 1, 1, 1, 1];
    for (let c = 0; c < 12; c++) expect(frame[u + c] === original[u + c]).toBe(expectedKept[c] === 1);
  });

  it('free-space boundary starts above the ego pixels; ego pixels are never free', () => {
    const w = 3,
      h = 6;
    // Column 0: ego 2 rows, then free 2 rows, then not free. Column 1: ego to the top. Column 2: no ego.
    const map = new Uint8Array(w * h).fill(1);
    map.fill(0, 0, 2 * w);
    fillEgo(
      map,
      egoMaskFromBytes(new Uint8Array([0, 1, 0, 0, 1, 0, 0, 1, 0, 0, 1, 0, 1, 1, 0, 1, 1, 0]), w, h),
      EGO_CLASS,
    );
    const isFree = new Uint8Array(256);
    isFree[1] = 1;
    const fs = freeSpaceBoundary(map, w, h, isFree, EGO_CLASS);
    expect([...fs.boundary]).toEqual([1, NO_FREE_SPACE, 1]);
    expect(fs.freeFraction).toBeCloseTo(6 / 18);
    // Without the ego value the bonnet blocks every column that has one.
    expect([...freeSpaceBoundary(map, w, h, isFree).boundary]).toEqual([NO_FREE_SPACE, NO_FREE_SPACE, 1]);
  });
});

describe('StaticBottomFinder', () => {
  it('finds a still band at the bottom of moving noise, and nothing without one', () => {
    const w = 40,
      h = 30;
    let seed = 1;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 16) & 255;
    const withBand = new StaticBottomFinder(w, h);
    const without = new StaticBottomFinder(w, h);
    for (let f = 0; f < 20; f++) {
      const grey = new Uint8Array(w * h).map(rnd);
      without.add(grey.slice());
      grey.fill(40, (h - 6) * w);
      withBand.add(grey);
    }
    const found = withBand.result()!;
    expect(found.reduce((a, b) => a + b, 0)).toBe(6 * w);
    expect(without.result()).toBeNull();
  });
});
