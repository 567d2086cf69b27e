/**
 * Raw `sensor_msgs/Image` / `foxglove.RawImage` pixels to packed rgb24, row by row through `step`:
 * rgb8, bgr8, rgba8, bgra8, mono8, mono16 (high byte, either endianness), packed 4:2:2 (`yuv422`
 * and `uyvy` are U Y V Y; `yuv422_yuy2` and `yuyv` are Y U Y V; BT.601 limited range as ffmpeg
 * converts it) and 8-bit Bayer mosaics (bilinear demosaicing).
 */
import { CLAMP, CLAMP_OFFSET, yuvToRgbTables } from '../../pixels/colour.js';

/** Bytes per pixel of each raw encoding (4:2:2: per pixel on average). */
export const RAW_BYTES_PER_PIXEL: Readonly<Record<string, number>> = Object.freeze({
  rgb8: 3,
  bgr8: 3,
  rgba8: 4,
  bgra8: 4,
  mono8: 1,
  '8UC1': 1,
  mono16: 2,
  '16UC1': 2,
  yuv422: 2,
  uyvy: 2,
  yuv422_yuy2: 2,
  yuyv: 2,
  bayer_rggb8: 1,
  bayer_bggr8: 1,
  bayer_gbrg8: 1,
  bayer_grbg8: 1,
});

/** A raw image as the message carries it. */
export interface RawImage {
  encoding: string;
  width: number;
  height: number;
  step: number;
  isBigEndian: boolean;
  data: Uint8Array;
}

/** Packed rgb24 of a raw image whose sizes were checked against its data. */
export function rawToRgb(img: RawImage): Uint8Array {
  const rgb = new Uint8Array(img.width * img.height * 3);
  const e = img.encoding;
  if (e.startsWith('bayer_')) demosaic(img, e.slice(6, 10), rgb);
  else if (RAW_BYTES_PER_PIXEL[e] === 2 && !e.includes('16')) packed422(img, e === 'yuv422' || e === 'uyvy', rgb);
  else pixelwise(img, rgb);
  return rgb;
}

function pixelwise({ encoding: e, width, height, step, isBigEndian, data }: RawImage, rgb: Uint8Array): void {
  const bpp = RAW_BYTES_PER_PIXEL[e];
  const swap = e === 'bgr8' || e === 'bgra8';
  const hi = e === 'mono16' || e === '16UC1' ? (isBigEndian ? 0 : 1) : 0;
  const grey = bpp <= 2;
  let o = 0;
  for (let y = 0; y < height; y++) {
    let i = y * step;
    for (let x = 0; x < width; x++, i += bpp, o += 3) {
      if (grey) {
        rgb[o] = rgb[o + 1] = rgb[o + 2] = data[i + hi]!;
      } else {
        rgb[o] = data[swap ? i + 2 : i]!;
        rgb[o + 1] = data[i + 1]!;
        rgb[o + 2] = data[swap ? i : i + 2]!;
      }
    }
  }
}

function packed422({ width, height, step, data }: RawImage, uyvy: boolean, rgb: Uint8Array): void {
  const { y: Y, vr: VR, ug: UG, vg: VG, ub: UB, shift, round } = yuvToRgbTables(2);
  const [yo, uo, vo] = uyvy ? [1, 0, 2] : [0, 1, 3];
  for (let row = 0; row < height; row++) {
    for (let x = 0; x < width; x++) {
      const pair = row * step + (x >> 1) * 4;
      const yt = Y[data[pair + yo + (x & 1) * 2]] + round;
      const u = data[pair + uo];
      const v = data[pair + vo];
      const o = (row * width + x) * 3;
      rgb[o] = CLAMP[((yt + VR[v]) >> shift) + CLAMP_OFFSET]!;
      rgb[o + 1] = CLAMP[((yt + UG[u] + VG[v]) >> shift) + CLAMP_OFFSET]!;
      rgb[o + 2] = CLAMP[((yt + UB[u]) >> shift) + CLAMP_OFFSET]!;
    }
  }
}

const CHANNEL: Readonly<Record<string, number>> = { r: 0, g: 1, b: 2 };

/**
 * Bilinear demosaicing: each pixel keeps its own sample and takes the others as the mean of the
 * neighbours (3x3) that carry them.
 */
function demosaic({ width, height, step, data }: RawImage, pattern: string, rgb: Uint8Array): void {
  const colour = (x: number, y: number) => CHANNEL[pattern[(y & 1) * 2 + (x & 1)]];
  const sum = [0, 0, 0];
  const n = [0, 0, 0];
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      sum.fill(0);
      n.fill(0);
      for (let dy = -1; dy <= 1; dy++) {
        const yy = y + dy;
        if (yy < 0 || yy >= height) continue;
        for (let dx = -1; dx <= 1; dx++) {
          const xx = x + dx;
          if (xx < 0 || xx >= width) continue;
          const c = colour(xx, yy);
          sum[c] += data[yy * step + xx];
          n[c]++;
        }
      }
      const own = colour(x, y);
      const o = (y * width + x) * 3;
      for (let c = 0; c < 3; c++) rgb[o + c] = c === own ? data[y * step + x] : Math.round(sum[c] / n[c]);
    }
  }
}
