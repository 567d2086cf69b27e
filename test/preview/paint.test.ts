/** The preview's pictures: sampled like the full-size conversion, painted like the overlay. */
import { describe, expect, it } from 'vitest';
import {
  boundaryFractions,
  paintPreview,
  pixelShares,
  previewSize,
  type PaintStyle,
  type PreviewPixels,
} from '../../src/preview/paint.js';
import { i420ToRgb24, frameByteLength } from '../../src/pixels/yuv.js';

const W = 64,
  H = 32,
  MW = 16,
  MH = 8;
// Class map: bottom half road (1), a car (2) at the left of the top half, sky (0) elsewhere.
const classMap = new Uint8Array(MW * MH).map((_, i) => (Math.floor(i / MW) >= MH / 2 ? 1 : i % MW < 4 ? 2 : 0));
const table = (ids: number[]) => new Uint8Array(256).map((_, k) => (ids.includes(k) ? 1 : 0));
const lut = new Uint8Array(1024);
lut.set([10, 20, 30, 0], 0);
lut.set([200, 0, 200, 255], 4);
lut.set([0, 0, 255, 255], 8);
const style: PaintStyle = { lut, alpha: 0.5, isFree: table([1]), isRoad: table([1]), isVehicle: table([2]) };
const frame = (pixels: Uint8Array, format: 'rgb24' | 'yuv420p', overlaid = false): PreviewPixels => ({
  index: 0,
  width: W,
  height: H,
  format,
  pixels,
  classMap,
  mapWidth: MW,
  mapHeight: MH,
  overlaid,
});

describe('preview pictures', () => {
  it('samples an I420 frame exactly as the full conversion does', () => {
    const yuv = new Uint8Array(frameByteLength('yuv420p', W, H)).map((_, i) => (i * 7919) % 251);
    const full = i420ToRgb24(yuv, W, H);
    const small = paintPreview(frame(yuv, 'yuv420p', true), 'overlay', style, W / 2, H / 2);
    for (let y = 0; y < H / 2; y++) {
      for (let x = 0; x < W / 2; x++) {
        const s = (y * (W / 2) + x) * 3,
          f = ((2 * y + 1) * W + 2 * x + 1) * 3;
        expect([...small.subarray(s, s + 3)]).toEqual([...full.subarray(f, f + 3)]);
      }
    }
  });

  it('paints the selected classes over an unpainted frame with the alpha, and the other views', () => {
    const grey = new Uint8Array(W * H * 3).fill(100);
    const overlay = paintPreview(frame(grey, 'rgb24'), 'overlay', style, W, H);
    const at = (img: Uint8Array, x: number, y: number) => [...img.subarray((y * W + x) * 3, (y * W + x) * 3 + 3)];
    expect(at(overlay, 40, 2)).toEqual([100, 100, 100]); // sky: alpha 0 in the LUT
    expect(at(overlay, 40, 30)).toEqual([150, 50, 150]); // road: halfway to its colour
    expect(at(overlay, 2, 2)).toEqual([50, 50, 177]); // car
    const classes = paintPreview(frame(grey, 'rgb24'), 'classes', style, W, H);
    expect(at(classes, 40, 2)).toEqual([10, 20, 30]);
    const free = paintPreview(frame(grey, 'rgb24'), 'free-space', style, W, H);
    expect(at(free, 40, 30)).toEqual([255, 255, 255]);
    expect(at(free, 40, 2)).toEqual([0, 0, 0]);
  });

  it('shares, boundary and size', () => {
    const s = pixelShares(classMap, style);
    expect(s.road).toBe(0.5);
    expect(s.vehicle).toBe(0.125);
    expect(s.freeSpace).toBe(0.5);
    expect(boundaryFractions({ classMap, mapWidth: MW, mapHeight: MH }, style.isFree, 4)).toEqual([0.5, 0.5, 0.5, 0.5]);
    const none = new Uint8Array(MW * MH);
    expect(boundaryFractions({ classMap: none, mapWidth: MW, mapHeight: MH }, style.isFree, 2)).toEqual([null, null]);
    expect(previewSize(1920, 1080, 640)).toEqual({ width: 640, height: 360 });
    expect(previewSize(320, 240, 640)).toEqual({ width: 320, height: 240 });
  });
});
