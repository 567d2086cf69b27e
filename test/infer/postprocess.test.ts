import { describe, expect, it } from 'vitest';
import { ErrorCodes } from '../../src/errors.js';
import { applyHead, headLookup } from '../../src/infer/argmax.js';
import { checkInputs, fixedDim, packChunk, planBatches } from '../../src/infer/batch.js';

describe('applyHead', () => {
  // 2 pixels x 3 channels, pixel 0 wins channel 2, pixel 1 wins channel 0 (tie with channel 1).
  const nchw = Float32Array.from([/* c0 */ 0, 5, /* c1 */ 1, 5, /* c2 */ 2, -1]);
  const nhwc = Float32Array.from([0, 1, 2, 5, 5, -1]);

  it('maps the winning channel to global ids, NCHW and NHWC alike, ties to the lower channel', () => {
    for (const [data, layout] of [
      [nchw, 'NCHW'],
      [nhwc, 'NHWC'],
    ] as const) {
      const map = new Uint8Array(2);
      applyHead(map, { data, offset: 0, channels: 3, layout }, headLookup({ output: 'x', classes: [4, 5, 6] }));
      expect([...map]).toEqual([6, 4]);
    }
  });

  it('null channels keep what earlier heads wrote', () => {
    const map = Uint8Array.from([9, 9]);
    applyHead(
      map,
      { data: nchw, offset: 0, channels: 3, layout: 'NCHW' },
      headLookup({ output: 'x', classes: [null, 1, 7] }),
    );
    expect([...map]).toEqual([7, 9]);
  });

  it('reads the batch item at `offset`', () => {
    const two = Float32Array.from([...nchw, /* item 1: c0 */ 9, 9, /* c1 */ 0, 0, /* c2 */ 0, 0]);
    const map = new Uint8Array(2);
    applyHead(
      map,
      { data: two, offset: 6, channels: 3, layout: 'NCHW' },
      headLookup({ output: 'x', classes: [4, 5, 6] }),
    );
    expect([...map]).toEqual([4, 4]);
  });
});

describe('batching', () => {
  it('treats symbolic and negative dims as dynamic', () => {
    expect(fixedDim(1)).toBe(1);
    expect(fixedDim('batch')).toBeNull();
    expect(fixedDim(-1)).toBeNull();
    expect(fixedDim(null)).toBeNull();
  });

  it('runs a dynamic batch at once and a fixed batch in padded chunks', () => {
    expect(planBatches(5, null)).toEqual([{ start: 0, count: 5, size: 5 }]);
    expect(planBatches(5, 2)).toEqual([
      { start: 0, count: 2, size: 2 },
      { start: 2, count: 2, size: 2 },
      { start: 4, count: 1, size: 2 },
    ]);
    expect(planBatches(0, 1)).toEqual([]);
    const packed = packChunk(
      [Float32Array.of(1, 2), Float32Array.of(3, 4), Float32Array.of(5, 6)],
      { start: 2, count: 1, size: 2 },
      2,
    );
    expect([...packed]).toEqual([5, 6, 0, 0]);
  });

  it('rejects inputs of the wrong size with INVALID_OPTION naming the input', () => {
    expect(() => checkInputs([new Float32Array(12), new Float32Array(11)], 12, '[3,2,2]')).toThrow(
      expect.objectContaining({
        code: ErrorCodes.INVALID_OPTION,
        message: expect.stringMatching(/^Expected a Float32Array of 12 values \(\[3,2,2\]\) for inputs\[1\]/),
      }),
    );
    expect(() => checkInputs([new Uint8Array(12)], 12, '')).toThrow(
      expect.objectContaining({ code: ErrorCodes.INVALID_OPTION }),
    );
  });
});
