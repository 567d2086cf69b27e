/**
 * Minimal, fast PNG writer for masks and frames: 8-bit greyscale (class-id masks, 0/255
 * free-space masks) and 8-bit RGB, one IDAT chunk, compressed with `node:zlib` at a low level.
 *
 * The default "Up" row filter turns the repeated rows of an upscaled class map into zero rows
 * (found with a native row compare), and greyscale is deflated with zlib's run-length strategy:
 * masks come out both smaller and faster than with no filter or the default strategy.
 *
 * Kept over sharp (a dependency): a class-id mask costs 3.4-4.5x less CPU here than sharp's PNG
 * writer at the same zlib level (0.7-1.4 ms vs 2.5-5.7 ms per 960x540 / 1242x375 mask; two runs
 * of `node bench/codecs.mjs`, under load; `bench/results/codecs.json`).
 */
import { constants as zlibConstants, deflateSync } from 'node:zlib';
import { invalidOption } from '../errors.js';
import { checkDimension, checkLength } from '../pixels/check.js';
import { PNG_SIGNATURE } from './header.js';

/** Pixel format of {@link encodePng}: one byte per pixel or packed RGB24. */
export type PngColor = 'gray' | 'rgb';

/** Options of {@link encodePng}. */
export interface PngOptions {
  /** zlib level 0-9. Default 1: masks are large and written every frame, speed matters more than bytes. */
  level?: number;
  /** PNG row filter applied to every row. Default `up`. */
  filter?: 'none' | 'up';
}

const DEFAULT_PNG_OPTIONS: Readonly<Required<PngOptions>> = Object.freeze({ level: 1, filter: 'up' });

const CRC_TABLE = (() => {
  const t = new Int32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c;
  }
  return t;
})();

/**
 * CRC-32 (ISO 3309 / PNG / zlib polynomial) of `data[start..end)`, table driven.
 * Pass a previous result as `crc` to continue a running checksum.
 *
 * @example
 * ```ts
 * crc32(new TextEncoder().encode('123456789')) === 0xcbf43926
 * ```
 */
export function crc32(data: Uint8Array, start = 0, end = data.length, crc = 0): number {
  let c = ~crc;
  for (let i = start; i < end; i++) c = CRC_TABLE[(c ^ data[i]) & 0xff] ^ (c >>> 8);
  return ~c >>> 0;
}

let scratch = new Uint8Array(0);

/**
 * Encodes 8-bit pixels as a PNG file.
 *
 * @param pixels - `width * height` bytes (`gray`) or `width * height * 3` bytes (`rgb`), row-major
 * @param color - `gray` (colour type 0) or `rgb` (colour type 2)
 * @param options - zlib level (default 1) and row filter (default `up`)
 * @returns the complete file; a new Uint8Array that owns its whole ArrayBuffer (safe to transfer)
 * @throws {SegStreamError} `SEGSTREAM_ERR_INVALID_OPTION` when sizes or options are wrong
 * @example
 * ```ts
 * await writeFile('mask-000001.png', encodePng(fullMap, frame.width, frame.height, 'gray'));
 * ```
 */
export function encodePng(
  pixels: Uint8Array,
  width: number,
  height: number,
  color: PngColor,
  options: PngOptions = {},
): Uint8Array {
  checkDimension('width', width);
  checkDimension('height', height);
  if (color !== 'gray' && color !== 'rgb') throw invalidOption('color', 'gray or rgb', color);
  const level = options.level ?? DEFAULT_PNG_OPTIONS.level;
  const filter = options.filter ?? DEFAULT_PNG_OPTIONS.filter;
  if (!Number.isInteger(level) || level < 0 || level > 9) throw invalidOption('level', 'an integer from 0 to 9', level);
  if (filter !== 'none' && filter !== 'up') throw invalidOption('filter', 'none or up', filter);
  const channels = color === 'gray' ? 1 : 3;
  const stride = width * channels;
  checkLength('pixels', pixels, stride * height);

  const rawLength = (stride + 1) * height;
  if (scratch.length < rawLength) scratch = new Uint8Array(rawLength);
  const raw = scratch;
  // Native memcmp to spot rows equal to the one above (most rows of an upscaled map): they filter to zeros.
  const px = Buffer.from(pixels.buffer, pixels.byteOffset, stride * height);
  for (let y = 0, o = 0, s = 0; y < height; y++, s += stride) {
    if (filter === 'none' || y === 0) {
      // "Up" on the first row subtracts an implicit zero row: identical bytes to "None".
      raw[o++] = filter === 'none' ? 0 : 2;
      raw.set(pixels.subarray(s, s + stride), o);
    } else {
      raw[o++] = 2;
      const p = s - stride;
      if (px.compare(px, p, s, s, s + stride) === 0) raw.fill(0, o, o + stride);
      else for (let x = 0; x < stride; x++) raw[o + x] = pixels[s + x] - pixels[p + x];
    }
    o += stride;
  }
  // Run-length matching suits masks (long runs, zero rows) and is the fastest deflate mode;
  // photos compress better with the default string matching.
  const strategy = color === 'gray' ? zlibConstants.Z_RLE : zlibConstants.Z_DEFAULT_STRATEGY;
  const idat = deflateSync(raw.subarray(0, rawLength), { level, strategy });

  const file = new Uint8Array(8 + (12 + 13) + (12 + idat.length) + 12);
  file.set(PNG_SIGNATURE, 0);
  const view = new DataView(file.buffer);
  let pos = 8;
  pos = writeChunk(file, view, pos, 'IHDR', 13, (at) => {
    view.setUint32(at, width);
    view.setUint32(at + 4, height);
    file[at + 8] = 8; // bit depth
    file[at + 9] = color === 'gray' ? 0 : 2; // colour type
    // compression 0, filter method 0, no interlace: already zero
  });
  pos = writeChunk(file, view, pos, 'IDAT', idat.length, (at) => file.set(idat, at));
  writeChunk(file, view, pos, 'IEND', 0, () => {});
  return file;
}

function writeChunk(
  file: Uint8Array,
  view: DataView,
  pos: number,
  type: string,
  length: number,
  fill: (at: number) => void,
): number {
  view.setUint32(pos, length);
  for (let i = 0; i < 4; i++) file[pos + 4 + i] = type.charCodeAt(i);
  fill(pos + 8);
  view.setUint32(pos + 8 + length, crc32(file, pos + 4, pos + 8 + length));
  return pos + 12 + length;
}
