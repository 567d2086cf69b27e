import { describe, expect, it } from 'vitest';
import { linearAxisTable } from '../../src/pixels/sampler.js';
import { resizeToTensor } from '../../src/pixels/tensor.js';
import type { InputSpec } from '../../src/infer/types.js';
import { isSegStreamError } from '../../src/errors.js';

/** Spec that leaves values unnormalised, so outputs are the resampled 0..255 values. */
function rawSpec(width: number, height: number, channelOrder: 'RGB' | 'BGR' = 'RGB'): InputSpec {
  return { width, height, channelOrder, scale: 1, mean: [0, 0, 0], std: [1, 1, 1], resize: 'stretch' };
}

/** Grey image (R = G = B) from rows of values. */
function grey(rows: number[][]): Uint8Array {
  const out = new Uint8Array(rows.length * rows[0].length * 3);
  rows.flat().forEach((v, i) => out.fill(v, i * 3, i * 3 + 3));
  return out;
}

function expectClose(actual: Float32Array, expected: number[], tol = 1e-4): void {
  expect(actual.length).toBe(expected.length);
  const worst = Math.max(...expected.map((e, i) => Math.abs(actual[i] - e)));
  expect(worst).toBeLessThan(tol);
}

describe('resizeToTensor', () => {
  it('4x2 -> 2x1 averages each 2x2 block (src = (dst + 0.5) * 2 - 0.5 falls midway)', () => {
    const img = grey([
      [10, 20, 30, 40],
      [50, 60, 70, 80],
    ]);
    const out = resizeToTensor(img, 4, 2, rawSpec(2, 1), 'NCHW');
    // (10+20+50+60)/4, (30+40+70+80)/4 for each of the 3 planes
    expectClose(out, [35, 55, 35, 55, 35, 55]);
  });

  it('2x2 -> 4x4 uses weights [1,0] [.75,.25] [.25,.75] [0,1] per axis, edges clamped', () => {
    const img = grey([
      [0, 100],
      [200, 40],
    ]);
    const out = resizeToTensor(img, 2, 2, rawSpec(4, 4), 'NCHW');
    const plane = [
      [0, 25, 75, 100],
      [50, 58.75, 76.25, 85],
      [150, 126.25, 78.75, 55],
      [200, 160, 80, 40],
    ].flat();
    expectClose(out, [...plane, ...plane, ...plane]);
  });

  // Reference values printed by torch 1.13 (the training stack):
  // F.interpolate(img.float(), size=(dh, dw), mode='bilinear', align_corners=False), pixel
  // (x, y, c) = (37x + 91y + 53c) % 256.
  const pattern = (w: number, h: number) => {
    const img = new Uint8Array(w * h * 3);
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++)
        for (let c = 0; c < 3; c++) img[(y * w + x) * 3 + c] = (x * 37 + y * 91 + c * 53) % 256;
    return img;
  };
  it('matches torch for a non-integer downscale (11x7 -> 4x3)', () => {
    const torch = [
      93.0417, 194.7917, 93.875, 142.2917, 49.375, 151.125, 156.875, 98.625, 176.375, 107.4583, 123.875, 54.9583,
      146.0417, 141.125, 93.5417, 173.9583, 102.375, 204.125, 49.875, 151.625, 80.0417, 160.4583, 176.875, 107.9583,
      199.0417, 130.125, 146.5417, 77.625, 155.375, 97.125, 102.875, 204.625, 111.7083, 160.125, 59.2083, 160.9583,
    ];
    expectClose(resizeToTensor(pattern(11, 7), 11, 7, rawSpec(4, 3), 'NCHW'), torch, 1e-3);
  });
  it('matches torch for a non-integer upscale (3x2 -> 7x5), first plane', () => {
    const torch = [
      0.0, 5.2857, 21.1429, 37.0, 52.8571, 68.7143, 74.0, 9.1, 14.3857, 30.2429, 46.1, 61.9571, 77.8143, 83.1, 45.5,
      50.7857, 66.6429, 82.5, 98.3571, 114.2143, 119.5, 81.9, 87.1857, 103.0429, 118.9, 134.7571, 150.6143, 155.9, 91.0,
      96.2857, 112.1429, 128.0, 143.8571, 159.7143, 165.0,
    ];
    expectClose(resizeToTensor(pattern(3, 2), 3, 2, rawSpec(7, 5), 'NCHW').subarray(0, 35), torch, 1e-3);
  });

  it('normalises (v * scale - mean) / std per channel and honours BGR and NHWC', () => {
    const img = new Uint8Array([255, 128, 0]); // one pixel
    const spec: InputSpec = {
      width: 1,
      height: 1,
      channelOrder: 'RGB',
      scale: 1 / 255,
      mean: [0.5, 0.25, 0.125],
      std: [0.5, 0.25, 2],
      resize: 'stretch',
    };
    expectClose(resizeToTensor(img, 1, 1, spec, 'NCHW'), [1, (128 / 255 - 0.25) / 0.25, -0.0625], 1e-6);
    // BGR: channel 0 is blue (0), channel 2 is red (255)
    expectClose(
      resizeToTensor(img, 1, 1, { ...spec, channelOrder: 'BGR' }, 'NCHW'),
      [-1, (128 / 255 - 0.25) / 0.25, 0.4375],
      1e-6,
    );

    const img2 = grey([[10, 20]]);
    img2[3] = 99; // second pixel's red
    expectClose(resizeToTensor(img2, 2, 1, rawSpec(2, 1), 'NHWC'), [10, 10, 10, 99, 20, 20]);
    expectClose(resizeToTensor(img2, 2, 1, rawSpec(2, 1), 'NCHW'), [10, 99, 10, 20, 10, 20]);
  });

  it('fills a caller-supplied buffer and rejects one of the wrong size', () => {
    const out = new Float32Array(6);
    expect(resizeToTensor(grey([[1, 2, 3, 4]]), 4, 1, rawSpec(2, 1), 'NCHW', out)).toBe(out);
    expect(() => resizeToTensor(grey([[1, 2, 3, 4]]), 4, 1, rawSpec(2, 1), 'NCHW', new Float32Array(5))).toThrow(
      /exactly 6/,
    );
    try {
      resizeToTensor(new Uint8Array(5), 4, 1, rawSpec(2, 1), 'NCHW');
      expect.unreachable();
    } catch (e) {
      expect(isSegStreamError(e, 'SEGSTREAM_ERR_INVALID_OPTION')).toBe(true);
    }
  });

  it('axis table follows torch: float32 scale, clamp at 0 and at the last source pixel', () => {
    const t = linearAxisTable(2, 4);
    expect([...t.i0]).toEqual([0, 0, 0, 1]);
    expect([...t.i1]).toEqual([1, 1, 1, 1]);
    expect([...t.w1]).toEqual([0, 0.25, 0.75, 0.25]);
    // 640 -> 480: torch's float32 scale 1.33333337 makes dst 4 land at 5.50000018, not 5.5
    const u = linearAxisTable(640, 480);
    expect(u.i0[4]).toBe(5);
    expect(u.w1[4]).toBe(Math.fround(5.5000001788139343 - 5));
  });
});
