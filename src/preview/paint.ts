/**
 * The pictures of the preview page, made from a frame and its class map at a reduced size:
 * the overlay, the class-id colours, the free-space mask; plus the share of road, vehicle and
 * free-space pixels and the free-space boundary. Runs in the preview's worker thread, never on
 * the run's main thread.
 */
import { CLAMP, CLAMP_OFFSET, yuvToRgbTables } from '../pixels/colour.js';
import { nearestIndexTable } from '../pixels/sampler.js';
import { chromaSize } from '../pixels/yuv.js';
import { NO_FREE_SPACE, freeSpaceBoundary } from '../pixels/free-space-boundary.js';
import type { PixelFormat } from '../types.js';

/** What the page can show. */
export const PREVIEW_VIEWS = ['overlay', 'classes', 'free-space'] as const;

/** One of {@link PREVIEW_VIEWS}. */
export type PreviewView = (typeof PREVIEW_VIEWS)[number];

/** A frame as the preview receives it (its own copy of the pixels and the class map). */
export interface PreviewPixels {
  index: number;
  width: number;
  height: number;
  format: PixelFormat;
  pixels: Uint8Array;
  /** Class id per pixel at the model's output size. */
  classMap: Uint8Array;
  mapWidth: number;
  mapHeight: number;
  /** True when `pixels` already carry the run's overlay (a run writing an overlay video). */
  overlaid: boolean;
}

/** How the pictures are painted. */
export interface PaintStyle {
  /** The run's class LUT (RGBA per class id, alpha 255 = painted on the overlay; see `buildClassLut`). */
  lut: Uint8Array;
  /** Overlay opacity 0..1. */
  alpha: number;
  /** 256 entries, 1 where a class id is free space. */
  isFree: Uint8Array;
  /** 256 entries each, 1 where a class id is road / a vehicle. */
  isRoad: Uint8Array;
  isVehicle: Uint8Array;
}

/** Share of the frame's pixels, 0..1. */
export interface PixelShares {
  road: number;
  vehicle: number;
  freeSpace: number;
}

/** The preview size of a frame: at most `maxWidth` wide, aspect kept, never enlarged. */
export function previewSize(width: number, height: number, maxWidth: number): { width: number; height: number } {
  if (width <= maxWidth) return { width, height };
  return { width: maxWidth, height: Math.max(1, Math.round((height * maxWidth) / width)) };
}

/**
 * Paints `view` of `frame` at `width` x `height` (nearest sample of the frame and of the class
 * map at each output pixel's centre), as packed RGB, into `out` when given (at least
 * `width * height * 3` bytes) or a new array.
 */
export function paintPreview(
  frame: PreviewPixels,
  view: PreviewView,
  style: PaintStyle,
  width: number,
  height: number,
  out = new Uint8Array(width * height * 3),
): Uint8Array {
  const xs = nearestIndexTable(frame.width, width),
    ys = nearestIndexTable(frame.height, height);
  const mxs = nearestIndexTable(frame.mapWidth, width),
    mys = nearestIndexTable(frame.mapHeight, height);
  const { lut, isFree } = style;
  const map = frame.classMap;
  if (view !== 'overlay') {
    let o = 0;
    for (let y = 0; y < height; y++) {
      const row = mys[y] * frame.mapWidth;
      for (let x = 0; x < width; x++, o += 3) {
        const c = map[row + mxs[x]];
        if (view === 'classes') {
          out[o] = lut[4 * c]!;
          out[o + 1] = lut[4 * c + 1]!;
          out[o + 2] = lut[4 * c + 2]!;
        } else {
          out[o] = out[o + 1] = out[o + 2] = isFree[c] ? 255 : 0;
        }
      }
    }
    return out;
  }
  sampleFrame(frame, xs, ys, out);
  if (frame.overlaid) return out;
  // Runs that write no overlay video: blend the run's classes here, the way the overlay would.
  let o = 0;
  for (let y = 0; y < height; y++) {
    const row = mys[y] * frame.mapWidth;
    for (let x = 0; x < width; x++, o += 3) {
      const c = 4 * map[row + mxs[x]];
      const a = (style.alpha * lut[c + 3]) / 255;
      if (a === 0) continue;
      out[o] = out[o] + (lut[c] - out[o]) * a;
      out[o + 1] = out[o + 1] + (lut[c + 1] - out[o + 1]) * a;
      out[o + 2] = out[o + 2] + (lut[c + 2] - out[o + 2]) * a;
    }
  }
  return out;
}

/** Nearest samples of the frame's pixels (rgb24 or I420, converted like ffmpeg) into `out`. */
function sampleFrame(frame: PreviewPixels, xs: Int32Array, ys: Int32Array, out: Uint8Array): void {
  const { pixels, width: W } = frame;
  let o = 0;
  if (frame.format === 'rgb24') {
    for (const sy of ys) {
      for (const sx of xs) {
        const i = (sy * W + sx) * 3;
        out[o++] = pixels[i]!;
        out[o++] = pixels[i + 1]!;
        out[o++] = pixels[i + 2]!;
      }
    }
    return;
  }
  const chroma = chromaSize(W, frame.height);
  const uBase = W * frame.height,
    vBase = uBase + chroma.width * chroma.height;
  const { y: Y, vr: VR, ug: UG, vg: VG, ub: UB, shift, round } = yuvToRgbTables(frame.height);
  const C = CLAMP_OFFSET;
  for (const sy of ys) {
    const cRow = (sy >> 1) * chroma.width;
    for (const sx of xs) {
      const yt = Y[pixels[sy * W + sx]] + round;
      const u = pixels[uBase + cRow + (sx >> 1)],
        v = pixels[vBase + cRow + (sx >> 1)];
      out[o++] = CLAMP[((yt + VR[v]) >> shift) + C]!;
      out[o++] = CLAMP[((yt + UG[u] + VG[v]) >> shift) + C]!;
      out[o++] = CLAMP[((yt + UB[u]) >> shift) + C]!;
    }
  }
}

/** Road, vehicle and free-space shares of a class map. */
export function pixelShares(
  classMap: Uint8Array,
  style: Pick<PaintStyle, 'isFree' | 'isRoad' | 'isVehicle'>,
): PixelShares {
  let road = 0,
    vehicle = 0,
    free = 0;
  for (let i = 0; i < classMap.length; i++) {
    const c = classMap[i];
    road += style.isRoad[c];
    vehicle += style.isVehicle[c];
    free += style.isFree[c];
  }
  const n = Math.max(1, classMap.length);
  return { road: road / n, vehicle: vehicle / n, freeSpace: free / n };
}

/**
 * The free-space boundary at up to `columns` evenly spaced columns: for each, the top of the free
 * run that touches the bottom of the frame as a fraction of the height (0 = the whole column is
 * free), or null when the bottom pixel is not free.
 */
export function boundaryFractions(
  frame: Pick<PreviewPixels, 'classMap' | 'mapWidth' | 'mapHeight'>,
  isFree: Uint8Array,
  columns = 128,
): (number | null)[] {
  const { boundary } = freeSpaceBoundary(frame.classMap, frame.mapWidth, frame.mapHeight, isFree);
  const n = Math.min(columns, frame.mapWidth);
  const out: (number | null)[] = [];
  for (const x of nearestIndexTable(frame.mapWidth, n)) {
    const b = boundary[x];
    out.push(b === NO_FREE_SPACE ? null : (b + 1) / frame.mapHeight);
  }
  return out;
}
