import { describe, expect, it } from 'vitest';
import { expandSmooth, smoothFlag } from '../../src/cli/smooth-flag.js';
import { lumaChange, lumaOfInput, resizeLuma } from '../../src/temporal/luma.js';
import { TemporalSmoother, smoothingWeight } from '../../src/temporal/smoother.js';
import { StabilityMeter, STATIC_LUMA_THRESHOLD } from '../../src/temporal/stability.js';
import { TemporalStage } from '../../src/temporal/stage.js';
import type { InputSpec, LoadedModel } from '../../src/infer/types.js';

const twoClass = [{ output: 'logits', classes: [0, 1] }];

/** Logits [red, other] per pixel, NCHW, with red winning where `red[p]` is true by `margin`. */
function logits(red: boolean[], margin: number): Float32Array {
  const n = red.length;
  const x = new Float32Array(2 * n);
  red.forEach((r, p) => {
    x[p] = r ? margin : -margin;
    x[n + p] = r ? -margin : margin;
  });
  return x;
}

describe('TemporalSmoother', () => {
  it('holds a label that flickers where the source is unchanged', () => {
    const s = new TemporalSmoother(twoClass, 0.6);
    const still = new Uint8Array(4);
    const labels: number[] = [];
    for (let t = 0; t < 10; t++) {
      // Frame by frame the network says red (confidently) then other (barely).
      const map = new Uint8Array(4);
      s.apply(
        { layout: 'NCHW', heads: [logits([true, true, true, true], t % 2 ? -0.2 : 1)] },
        t === 0 ? undefined : still,
        map,
      );
      labels.push(map[0]);
    }
    expect(labels).toEqual(Array(10).fill(0));
  });

  it('follows the current frame at once where the source changed (no trail)', () => {
    const s = new TemporalSmoother(twoClass, 0.9);
    const moved = new Uint8Array(2).fill(255);
    const map = new Uint8Array(2);
    s.apply({ layout: 'NHWC', heads: [new Float32Array([5, -5, 5, -5])] }, undefined, map);
    expect([...map]).toEqual([0, 0]);
    s.apply({ layout: 'NHWC', heads: [new Float32Array([-1, 1, -1, 1])] }, moved, map);
    expect([...map]).toEqual([1, 1]);
  });

  it('averages with weight `strength` where still, none where changed', () => {
    expect(smoothingWeight(0, 0.6)).toBe(0.6);
    expect(smoothingWeight(STATIC_LUMA_THRESHOLD, 0.6)).toBe(0.6);
    expect(smoothingWeight(2 * STATIC_LUMA_THRESHOLD, 0.6)).toBe(0);
    expect(smoothingWeight(1.5 * STATIC_LUMA_THRESHOLD, 0.6)).toBeCloseTo(0.3);
    const s = new TemporalSmoother(twoClass, 0.5);
    const a = new Float32Array([4, 0]);
    s.apply({ layout: 'NCHW', heads: [a] }, undefined, new Uint8Array(1));
    const b = new Float32Array([0, 2]);
    const map = new Uint8Array(1);
    s.apply({ layout: 'NCHW', heads: [b] }, new Uint8Array(1), map);
    expect([...b]).toEqual([2, 1]);
    expect(map[0]).toBe(0);
  });

  it('keeps the rule of heads mapped to null ("keep what earlier heads said")', () => {
    const heads = [
      { output: 'a', classes: [0, 1] },
      { output: 'b', classes: [null, 2] },
    ];
    const s = new TemporalSmoother(heads, 0.5);
    const map = new Uint8Array(2);
    const still = new Uint8Array(2);
    s.apply(
      { layout: 'NCHW', heads: [new Float32Array([1, 1, 0, 0]), new Float32Array([1, 0, 0, 1])] },
      undefined,
      map,
    );
    s.apply({ layout: 'NCHW', heads: [new Float32Array([1, 1, 0, 0]), new Float32Array([1, 0, 0, 1])] }, still, map);
    expect([...map]).toEqual([0, 2]);
  });

  it('rejects scores that do not fit the heads', () => {
    const s = new TemporalSmoother(twoClass, 0.5);
    expect(() => s.apply({ layout: 'NCHW', heads: [new Float32Array(3)] }, undefined, new Uint8Array(2))).toThrow(
      RangeError,
    );
  });
});

describe('StabilityMeter', () => {
  it('counts class changes on unchanged-source pixels as flicker, overall and per class', () => {
    const m = new StabilityMeter(['red', 'other']);
    const still = new Uint8Array(4);
    m.add(Uint8Array.of(0, 0, 1, 1), undefined);
    m.add(Uint8Array.of(0, 1, 1, 1), still);
    // Pixel 3 changed class where the source changed too: not flicker, but counted in `changed`.
    m.add(Uint8Array.of(0, 1, 1, 0), Uint8Array.of(0, 0, 0, 200));
    const s = m.summary();
    expect(s.pairs).toBe(2);
    expect(s.flicker).toBeCloseTo((100 * 1) / 7, 3);
    expect(s.changed).toBeCloseTo((100 * 2) / 8, 3);
    expect(s.staticShare).toBeCloseTo((100 * 7) / 8, 3);
    // red: union over still pairs = {p0, p1} then {p0} → 3, one flip; other: {p1,p2,p3} then {p1,p2} → 5, one flip.
    expect(s.perClass).toEqual({ red: 33.333, other: 20 });
  });

  it('counts any sequence like the plain per-pixel definition, and keeps its own copy of the previous map', () => {
    const n = 7 * 5;
    const maps = Array.from({ length: 6 }, (_, f) =>
      Uint8Array.from({ length: n }, (_, i) => ((i * 7 + f * (i % 3)) >> 2) % 4),
    );
    const changes = maps.map((_, f) => Uint8Array.from({ length: n }, (_, i) => (i * 13 + f * 5) % 12));
    const m = new StabilityMeter(['a', 'b', 'c', 'd']);
    const counts = { pairs: 0, stat: 0, statChanged: 0, changed: 0, union: [0, 0, 0, 0], flips: [0, 0, 0, 0] };
    maps.forEach((map, f) => {
      const given = map.slice();
      m.add(given, f === 3 ? undefined : changes[f]);
      given.fill(0); // the caller reuses its buffer: the meter must not see it
      if (f === 0 || f === 3) return;
      counts.pairs++;
      for (let i = 0; i < n; i++) {
        const [a, b, c] = [maps[f - 1][i], map[i], changes[f][i]];
        if (a !== b) counts.changed++;
        if (c > STATIC_LUMA_THRESHOLD) continue;
        counts.stat++;
        counts.union[a]++;
        if (a !== b) {
          counts.statChanged++;
          counts.union[b]++;
          counts.flips[a]++;
          counts.flips[b]++;
        }
      }
    });
    const pct = (x: number, y: number) => (y > 0 ? Math.round((x / y) * 1e5) / 1e3 : null);
    expect(m.summary()).toEqual({
      pairs: counts.pairs,
      flicker: pct(counts.statChanged, counts.stat),
      changed: pct(counts.changed, counts.pairs * n),
      staticShare: pct(counts.stat, counts.pairs * n),
      perClass: Object.fromEntries(
        ['a', 'b', 'c', 'd'].map((name, id) => [name, pct(counts.flips[id], counts.union[id])]),
      ),
      lumaThreshold: STATIC_LUMA_THRESHOLD,
    });
  });

  it('says null before a pair was compared', () => {
    const s = new StabilityMeter(['a']).summary();
    expect(s).toMatchObject({ pairs: 0, flicker: null, changed: null, perClass: { a: null } });
  });
});

describe('luma', () => {
  const spec: InputSpec = {
    width: 2,
    height: 1,
    channelOrder: 'BGR',
    scale: 1 / 255,
    mean: [0.5, 0.5, 0.5],
    std: [0.25, 0.25, 0.25],
    resize: 'stretch',
  };
  it('undoes the normalisation and channel order of the network input', () => {
    // Pixel 0 pure red, pixel 1 white, given as BGR, normalised.
    const n = (v: number) => (v / 255 - 0.5) / 0.25;
    const nchw = Float32Array.of(n(0), n(255), n(0), n(255), n(255), n(255));
    expect([...lumaOfInput(nchw, spec, 'NCHW')]).toEqual([76, 255]);
    const nhwc = Float32Array.of(n(0), n(0), n(255), n(255), n(255), n(255));
    expect([...lumaOfInput(nhwc, spec, 'NHWC')]).toEqual([76, 255]);
  });
  it('box-averages to the output size and takes the 3x3 neighbourhood maximum of the change', () => {
    expect([...resizeLuma(Uint8Array.of(10, 20, 30, 40), 4, 1, 2, 1)]).toEqual([15, 35]);
    // Half the size both ways: the mean of each 2x2 box, rounded half up.
    expect([...resizeLuma(Uint8Array.of(10, 20, 30, 41, 11, 20, 30, 40), 4, 2, 2, 1)]).toEqual([15, 35]);
    const big = Uint8Array.from({ length: 8 * 6 }, (_, i) => (i * 73) % 256);
    const halved = resizeLuma(big, 8, 6, 4, 3);
    for (let y = 0; y < 3; y++)
      for (let x = 0; x < 4; x++) {
        const i = 2 * y * 8 + 2 * x;
        expect(halved[y * 4 + x], `(${x},${y})`).toBe(Math.round((big[i] + big[i + 1] + big[i + 8] + big[i + 9]) / 4));
      }
    const prev = new Uint8Array(9);
    const cur = new Uint8Array(9);
    cur[0] = 50;
    expect([...lumaChange(prev, cur, 3, 3)]).toEqual([50, 50, 0, 50, 50, 0, 0, 0, 0]);
  });
  it('takes the change of any size like the plain 3x3 definition, one call after another', () => {
    const plain = (a: Uint8Array, b: Uint8Array, w: number, h: number) =>
      Uint8Array.from({ length: w * h }, (_, i) => {
        const [x, y] = [i % w, Math.floor(i / w)];
        let m = 0;
        for (let yy = Math.max(0, y - 1); yy <= Math.min(h - 1, y + 1); yy++) {
          for (let xx = Math.max(0, x - 1); xx <= Math.min(w - 1, x + 1); xx++)
            m = Math.max(m, Math.abs(a[yy * w + xx] - b[yy * w + xx]));
        }
        return m;
      });
    for (const [w, h] of [
      [9, 7],
      [1, 5],
      [6, 1],
      [1, 1],
      [2, 2],
      [9, 7],
      [16, 3],
    ] as const) {
      const a = Uint8Array.from({ length: w * h }, (_, i) => (i * 97 + w) % 256);
      const b = Uint8Array.from({ length: w * h }, (_, i) => (i * 31 + h * 7) % 256);
      expect([...lumaChange(a, b, w, h)], `${w}x${h}`).toEqual([...plain(a, b, w, h)]);
    }
    const big = Uint8Array.from({ length: 10 * 8 }, (_, i) => (i * 151) % 256);
    const halved = resizeLuma(big, 10, 8, 5, 4);
    halved.forEach((v, o) => {
      const i = 2 * Math.floor(o / 5) * 10 + 2 * (o % 5);
      expect(v).toBe(Math.round((big[i] + big[i + 1] + big[i + 10] + big[i + 11]) / 4));
    });
  });
});

describe('TemporalStage', () => {
  it('rejects a strength outside 0..0.95', () => {
    const model = {
      card: { classes: [{ name: 'a', color: [0, 0, 0] }], heads: twoClass, input: spec1 },
    } as unknown as LoadedModel;
    expect(() => new TemporalStage(model, 'NCHW', 1)).toThrow(
      /Expected a number from 0 to 0.95 for smooth but received 1/,
    );
    expect(new TemporalStage(model, 'NCHW', 0).runOptions).toEqual({});
    expect(new TemporalStage(model, 'NCHW', 0.5).runOptions).toEqual({ scores: true, argmax: false });
  });
});
const spec1: InputSpec = {
  width: 1,
  height: 1,
  channelOrder: 'RGB',
  scale: 1,
  mean: [0, 0, 0],
  std: [1, 1, 1],
  resize: 'stretch',
};

describe('--smooth [S]', () => {
  it('takes an optional strength', () => {
    expect(expandSmooth(['in.mp4', '--smooth', '-o', 'x.mp4'])).toEqual(['in.mp4', '--smooth=0.8', '-o', 'x.mp4']);
    expect(expandSmooth(['in.mp4', '--smooth'])).toEqual(['in.mp4', '--smooth=0.8']);
    expect(expandSmooth(['--smooth', '0.3', 'in.mp4'])).toEqual(['--smooth', '0.3', 'in.mp4']);
    expect(smoothFlag({ smooth: '0.3' })).toBe(0.3);
    expect(smoothFlag({})).toBeUndefined();
    expect(() => smoothFlag({ smooth: '2' })).toThrow(
      /SEGSTREAM_ERR_USAGE|Expected a number from 0 to 0.95 for --smooth but received "2"/,
    );
  });
});
