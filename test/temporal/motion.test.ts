import { describe, expect, it } from 'vitest';
import { blockMotion } from '../../src/temporal/motion.js';
import { TemporalSmoother } from '../../src/temporal/smoother.js';
import { TemporalTrack } from '../../src/temporal/track.js';
import type { EngineOutput, ModelCard } from '../../src/infer/types.js';

const W = 48;
const H = 32;

/** A fixed random texture (0..255), sampled at (x, y); wide enough to pan across. */
const texture = (() => {
  let seed = 12345;
  return Uint8Array.from({ length: 3 * W * H }, () => (seed = (seed * 48271) % 2147483647) % 256);
})();
const tex = (x: number, y: number) => texture[y * 3 * W + x + W];

/** Luma of frame t: the texture panned right by `step` px a frame. */
function panned(t: number, step: number): Uint8Array {
  const out = new Uint8Array(W * H);
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) out[y * W + x] = tex(x - step * t, y);
  return out;
}

describe('blockMotion', () => {
  it('finds where each block of a panned picture came from, and leaves a still one in place', () => {
    const from = blockMotion(panned(0, 3), panned(1, 3), W, H);
    // Content moved right by 3: pixel p came from p − 3; blocks at the left edge cannot look outside.
    for (let y = 0; y < H; y++) for (let x = 8; x < W; x++) expect(from[y * W + x], `(${x}, ${y})`).toBe(y * W + x - 3);
    const still = blockMotion(panned(0, 3), panned(0, 3), W, H);
    expect(still.every((v, i) => v === i)).toBe(true);
  });
});

const twoClass = [{ output: 'logits', classes: [0, 1] }];

describe('TemporalSmoother hold margin (hysteresis)', () => {
  const frames = [
    [1, 0],
    [0, 2],
    [0, 2],
    [0, 2],
  ];
  const run = (hold: number, change: number) => {
    const s = new TemporalSmoother(twoClass, 0.5, hold);
    return frames.map(([a, b], t) => {
      const map = new Uint8Array(1);
      s.apply(
        { layout: 'NCHW', heads: [new Float32Array([a, b])] },
        t === 0 ? undefined : new Uint8Array([change]),
        map,
      );
      return map[0];
    });
  };
  it('keeps the class where still until another wins by the margin, and switches at once where the picture changed', () => {
    // Averages: [1,0] → [0.5,1] → [0.25,1.5] → [0.125,1.75]: without a hold the class flips on the first doubtful frame.
    expect(run(0, 0)).toEqual([0, 1, 1, 1]);
    expect(run(1, 0)).toEqual([0, 0, 1, 1]);
    expect(run(1, 255)).toEqual([0, 1, 1, 1]);
  });
  it('holds the same way whatever the layout of the scores', () => {
    // Two pixels: the first as above, the second the other way round.
    const maps = (['NCHW', 'NHWC'] as const).map((layout) => {
      const s = new TemporalSmoother(twoClass, 0.5, 1);
      return frames.map(([a, b], t) => {
        const map = new Uint8Array(2);
        const x = layout === 'NCHW' ? [a, b, b, a] : [a, b, b, a].map((_, i, v) => v[(i % 2) * 2 + (i >> 1)]);
        s.apply({ layout, heads: [new Float32Array(x)] }, t === 0 ? undefined : new Uint8Array(2), map);
        return [...map];
      });
    });
    expect(maps[0]).toEqual([
      [0, 1],
      [0, 1],
      [1, 0],
      [1, 0],
    ]);
    expect(maps[1]).toEqual(maps[0]);
  });
  it('leaves smoothed scores whose argmax is its class map, held classes included, and keeps its own average', () => {
    for (const layout of ['NCHW', 'NHWC'] as const) {
      const s = new TemporalSmoother(twoClass, 0.5, 1);
      const heldSeen = frames.map(([a, b], t) => {
        const map = new Uint8Array(2);
        const x = layout === 'NCHW' ? [a, b, b, a] : [a, b, b, a].map((_, i, v) => v[(i % 2) * 2 + (i >> 1)]);
        const heads = [new Float32Array(x)];
        s.apply({ layout, heads }, t === 0 ? undefined : new Uint8Array(2), map);
        const at = (p: number, c: number) => heads[0][layout === 'NCHW' ? c * 2 + p : p * 2 + c];
        for (let p = 0; p < 2; p++)
          expect(at(p, map[p]) > at(p, 1 - map[p]), `${layout} frame ${t} pixel ${p}`).toBe(true);
        // Frame 1 is held (class 0 against averages [0.5, 1]): its score was raised above the average's 1.
        const held = at(0, 0) > 1;
        heads[0].fill(NaN); // handed on (moved to a worker): the smoother's average is its own
        return held;
      });
      expect(heldSeen).toEqual([false, true, false, false]);
    }
    // The same maps as the run above whose arrays were never touched.
    expect(run(1, 0)).toEqual([0, 0, 1, 1]);
  });
});

describe('TemporalTrack follows the motion', () => {
  // A camera pan of 2 px a frame; the network sees a band that moves with the picture, labelled 0
  // confidently on even frames and barely 1 on odd ones (flicker), 1 elsewhere.
  const card = {
    name: 'pan',
    input: { width: W, height: H, channelOrder: 'RGB', scale: 1, mean: [0, 0, 0], std: [1, 1, 1], resize: 'stretch' },
    heads: twoClass,
    classes: [
      { name: 'band', color: [255, 0, 0] },
      { name: 'other', color: [0, 0, 255] },
    ],
  } as unknown as ModelCard;
  const inBand = (x: number, t: number) => x >= 16 + 2 * t && x < 32 + 2 * t;

  it('keeps the label of a moving band steady where the luma gate alone resets it', () => {
    const track = new TemporalTrack(card, 'NCHW', 0.8);
    for (let t = 0; t < 6; t++) {
      const luma = panned(t, 2);
      const input = new Float32Array(3 * W * H);
      for (let c = 0; c < 3; c++) input.set(luma, c * W * H);
      const logits = new Float32Array(2 * W * H);
      for (let y = 0; y < H; y++) {
        for (let x = 0; x < W; x++) {
          const m = inBand(x, t) ? (t % 2 ? -0.2 : 1) : -3;
          logits[y * W + x] = m;
          logits[W * H + y * W + x] = -m;
        }
      }
      const out: EngineOutput = {
        classMap: new Uint8Array(W * H),
        width: W,
        height: H,
        scores: { layout: 'NCHW', heads: [logits] },
      };
      track.step(track.luma(input), out);
      // The smoothed scores go on to the finish step (clean edges), agreeing with the class map.
      const sc = out.scores!.heads[0];
      for (let p = 0; p < W * H; p++) expect(sc[p] > sc[W * H + p] ? 0 : 1).toBe(out.classMap[p]);
      for (let y = 0; y < H; y++) {
        for (let x = 0; x < W; x++)
          expect(out.classMap[y * W + x], `frame ${t} (${x}, ${y})`).toBe(inBand(x, t) ? 0 : 1);
      }
    }
  });
});
