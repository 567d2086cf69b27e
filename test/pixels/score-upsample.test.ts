import { describe, expect, it } from 'vitest';
import { applyHead, headLookup } from '../../src/infer/argmax.js';
import type { HeadInfo } from '../../src/infer/types.js';
import { upscaleClassMap } from '../../src/pixels/class-map.js';
import { classMapAt, scoreClassChanges, type HeadScoresView } from '../../src/pixels/score-upsample.js';
import { bilinear, linearAxisTable } from '../../src/pixels/sampler.js';

/** Deterministic pseudo-random numbers (mulberry32). */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Smooth random score planes (blobs of classes, like a network's): sums of a few bumps per channel. */
function smoothScores(channels: number, w: number, h: number, layout: 'NCHW' | 'NHWC', seed: number): Float32Array {
  const r = rng(seed);
  const out = new Float32Array(channels * w * h);
  for (let c = 0; c < channels; c++) {
    const bumps = Array.from({ length: 3 }, () => ({ x: r() * w, y: r() * h, s: 1 + r() * w * 0.3, a: r() * 4 }));
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        let v = r() * 0.2;
        for (const b of bumps) v += b.a * Math.exp(-((x - b.x) ** 2 + (y - b.y) ** 2) / (2 * b.s * b.s));
        out[layout === 'NCHW' ? c * w * h + y * w + x : (y * w + x) * channels + c] = v;
      }
    }
  }
  return out;
}

/** Brute force: every channel of every head interpolated at every output pixel, then the heads' argmax rule. */
function bruteForce(
  scores: HeadScoresView,
  luts: Int16Array[],
  w: number,
  h: number,
  dstW: number,
  dstH: number,
  offset = 0,
): Uint8Array {
  const cols = linearAxisTable(w, dstW, 1, offset);
  const rows = linearAxisTable(h, dstH, 1, offset);
  const out = new Uint8Array(dstW * dstH);
  const n = w * h;
  for (let y = 0; y < dstH; y++) {
    for (let x = 0; x < dstW; x++) {
      let cls = 0;
      scores.heads.forEach((data, i) => {
        const lut = luts[i];
        const at = (r: number, c: number, ch: number) =>
          data[scores.layout === 'NCHW' ? ch * n + r * w + c : (r * w + c) * lut.length + ch];
        let best = -Infinity;
        let win = 0;
        for (let ch = 0; ch < lut.length; ch++) {
          const [r0, r1, c0, c1] = [rows.i0[y], rows.i1[y], cols.i0[x], cols.i1[x]];
          const v = bilinear(
            at(r0, c0, ch),
            at(r0, c1, ch),
            at(r1, c0, ch),
            at(r1, c1, ch),
            cols.w0[x],
            cols.w1[x],
            rows.w0[y],
            rows.w1[y],
          );
          if (v > best) [best, win] = [v, ch];
        }
        if (lut[win] >= 0) cls = lut[win]!;
      });
      out[y * dstW + x] = cls;
    }
  }
  return out;
}

/** The network-size class map as the engine makes it (applyHead per head). */
function engineArgmax(scores: HeadScoresView, luts: Int16Array[], w: number, h: number): Uint8Array {
  const map = new Uint8Array(w * h);
  scores.heads.forEach((data, i) =>
    applyHead(map, { data, offset: 0, channels: luts[i].length, layout: scores.layout }, luts[i]),
  );
  return map;
}

function check(
  heads: HeadInfo[],
  layout: 'NCHW' | 'NHWC',
  w: number,
  h: number,
  dstW: number,
  dstH: number,
  seed: number,
  offset = 0,
) {
  const luts = heads.map(headLookup);
  const scores: HeadScoresView = {
    layout,
    heads: heads.map((hd, i) => smoothScores(hd.classes.length, w, h, layout, seed + i)),
  };
  const classMap = engineArgmax(scores, luts, w, h);
  const got = classMapAt({ classMap, width: w, height: h, scores, luts, offset }, dstW, dstH);
  const want = bruteForce(scores, luts, w, h, dstW, dstH, offset);
  return { got, want, classMap };
}

describe('classMapAt (bilinear scores, then the class)', () => {
  // Random smooth scores never tie exactly after interpolation, so the cheap path must equal the brute force bit for bit.
  const cases: [string, HeadInfo[], 'NCHW' | 'NHWC', number, number, number, number, number?][] = [
    [
      'one head, output offset 0.25 (a stride-2 net trained on half-pixel nearest labels)',
      [{ output: 'a', classes: [0, 1, 2, 3, 4] }],
      'NCHW',
      60,
      34,
      250,
      141,
      0.25,
    ],
    [
      'one head NCHW, 4.44x (288x160 -> 1280x720)',
      [{ output: 'a', classes: [0, 1, 2, 3, 4, 5] }],
      'NCHW',
      288,
      160,
      1280,
      720,
    ],
    ['one head NHWC, non-integer ratio', [{ output: 'a', classes: [0, 1, 2, 3] }], 'NHWC', 37, 23, 101, 64],
    ['downscale', [{ output: 'a', classes: [0, 1, 2] }], 'NCHW', 60, 40, 33, 21],
    ['two channels of one class', [{ output: 'a', classes: [0, 1, 1, 2] }], 'NCHW', 30, 20, 97, 61],
    [
      'two heads, null channels',
      [
        { output: 'a', classes: [0, 1, 2] },
        { output: 'b', classes: [null, 3, 4] },
      ],
      'NCHW',
      40,
      24,
      150,
      90,
    ],
    [
      'two heads NHWC',
      [
        { output: 'a', classes: [0, 1] },
        { output: 'b', classes: [2, null, 3] },
      ],
      'NHWC',
      25,
      17,
      64,
      48,
    ],
  ];
  for (const [name, heads, layout, w, h, dw, dh, offset] of cases) {
    it(`equals interpolating every channel at every pixel: ${name}`, () => {
      for (const seed of [1, 2, 3]) {
        const { got, want } = check(heads, layout, w, h, dw, dh, seed * 10, offset);
        let diff = 0;
        for (let i = 0; i < got.length; i++) if (got[i] !== want[i]) diff++;
        expect(diff).toBe(0);
      }
    });
  }

  it('moves edges off the network grid: differs from nearest-neighbour enlargement near class edges', () => {
    const heads = [{ output: 'a', classes: [0, 1, 2, 3, 4, 5] }];
    const { got, classMap } = check(heads, 'NCHW', 72, 40, 320, 180, 7);
    const nearest = upscaleClassMap(classMap, 72, 40, 320, 180);
    let diff = 0;
    for (let i = 0; i < got.length; i++) if (got[i] !== nearest[i]) diff++;
    expect(diff).toBeGreaterThan(0);
    // ... and only near edges: the two agree on most pixels.
    expect(diff / got.length).toBeLessThan(0.1);
  });

  it('without scores, is the nearest-neighbour enlargement of the class map', () => {
    const classMap = Uint8Array.from({ length: 12 }, (_, i) => i % 5);
    expect(classMapAt({ classMap, width: 4, height: 3 }, 9, 7)).toEqual(upscaleClassMap(classMap, 4, 3, 9, 7));
  });

  it('checks winning channels, not classes: two channels of one class can lose to a third between them', () => {
    // Left column: channel 0 wins (class 0); right column: channel 1 wins (class 0 too); halfway, channel 2 (class 1) wins.
    const plane = (l: number, r: number) => [l, r, l, r];
    const scores: HeadScoresView = {
      layout: 'NCHW',
      heads: [Float32Array.from([...plane(10, 0), ...plane(0, 10), ...plane(8, 8)])],
    };
    const luts = [headLookup({ output: 'a', classes: [0, 0, 1] })];
    const got = classMapAt({ classMap: new Uint8Array(4), width: 2, height: 2, scores, luts }, 8, 2);
    expect([...got.subarray(0, 8)]).toEqual([0, 0, 0, 1, 1, 0, 0, 0]);
    expect(got).toEqual(bruteForce(scores, luts, 2, 2, 8, 2));
  });

  it('ties go to the lower channel, as in the engine', () => {
    const scores: HeadScoresView = { layout: 'NCHW', heads: [Float32Array.from([1, 1, 1, 1, 1, 1, 1, 1])] };
    const luts = [headLookup({ output: 'a', classes: [0, 1] })];
    const classMap = new Uint8Array(4); // the engine's argmax: ties to channel 0
    expect([...classMapAt({ classMap, width: 2, height: 2, scores, luts }, 4, 4)]).toEqual(new Array(16).fill(0));
  });

  it('rejects scores that do not fit the heads', () => {
    const luts = [headLookup({ output: 'a', classes: [0, 1] })];
    expect(() =>
      classMapAt(
        {
          classMap: new Uint8Array(4),
          width: 2,
          height: 2,
          scores: { layout: 'NCHW', heads: [new Float32Array(6)] },
          luts,
        },
        4,
        4,
      ),
    ).toThrow(/scores/);
  });
});

describe('scoreClassChanges (where the clean edges differ from nearest neighbour)', () => {
  const heads = [{ output: 'a', classes: [0, 1, 2, 3, 4] }];
  // 0.25: the nearest network pixel is a corner of the bilinear block; 0.9 and -0.9 (outside a card's range): it is not.
  for (const offset of [0, 0.25, 0.9, -0.9]) {
    it(`lists exactly the pixels whose bilinear class differs from the nearest enlargement, once each (offset ${offset})`, () => {
      const [w, h, dw, dh] = [45, 27, 161, 97];
      const luts = heads.map(headLookup);
      const scores: HeadScoresView = { layout: 'NCHW', heads: [smoothScores(5, w, h, 'NCHW', 5)] };
      const classMap = engineArgmax(scores, luts, w, h);
      const want = bruteForce(scores, luts, w, h, dw, dh, offset);
      const nearest = upscaleClassMap(classMap, w, h, dw, dh);
      const changes = scoreClassChanges({ classMap, width: w, height: h, scores, luts, offset }, dw, dh);
      const listed = new Map<number, number>();
      for (let i = 0; i < changes.count; i++) listed.set(changes.index[i], changes.classes[i]);
      expect(listed.size).toBe(changes.count);
      const differing = new Map<number, number>();
      for (let i = 0; i < want.length; i++) if (want[i] !== nearest[i]) differing.set(i, want[i]);
      expect(differing.size).toBeGreaterThan(0);
      expect(listed).toEqual(differing);
    });
  }

  it('needs the scores', () => {
    expect(() => scoreClassChanges({ classMap: new Uint8Array(4), width: 2, height: 2 }, 4, 4)).toThrow(/scores/);
  });
});
