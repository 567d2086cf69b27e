/**
 * A small, fast PNG decoder in TypeScript for dataset frames and labels: `zlib.inflateSync` plus
 * the five row filters, for 8-bit greyscale, grey + alpha, RGB, RGBA and palette images without
 * interlacing. It runs inside the worker threads, so frames decode in parallel without spawning
 * a process per image. Other PNGs (16-bit, 1/2/4-bit, Adam7 interlaced) are reported as
 * unsupported (`null`), and the caller decodes them with ffmpeg instead (`image.ts`).
 *
 * Against sharp (a dependency) on 960x540 and 1242x375 RGB frames, `node bench/codecs.mjs` under
 * load gave no clear winner: sharp 20-30 % less CPU in one run (8 x 3 calls), this decoder 35 % less
 * in a longer one (30 x 5 calls); it stays until a quiet-machine run decides (`bench/results/codecs.json`).
 */
import { inflateSync } from 'node:zlib';
import { ErrorCodes, SegStreamError } from '../errors.js';
import { hasPngSignature, parsePngHeader, PNG_HEADER_BYTES } from './header.js';

/** A decoded PNG in its own channel layout (palette images are expanded to RGB). */
export interface DecodedPng {
  width: number;
  height: number;
  /** 1 grey, 2 grey + alpha, 3 RGB (also expanded palette), 4 RGBA. */
  channels: 1 | 2 | 3 | 4;
  /** `width * height * channels` bytes, row-major. */
  data: Uint8Array;
  /** Palette images only: the palette index per pixel (`width * height` bytes). */
  indices?: Uint8Array;
}

const CHANNELS: Record<number, 1 | 2 | 3 | 4> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };
/** Largest frame accepted (pixels): far above any camera, small enough to never exhaust memory. */
const MAX_PIXELS = 1 << 27;

function corrupt(file: string, what: string, cause?: unknown): SegStreamError {
  return new SegStreamError(ErrorCodes.INPUT_CORRUPT, `${file} is not a readable PNG (${what}); replace or remove it`, {
    cause,
    context: { stage: 'decode' },
  });
}

/**
 * Decodes PNG bytes.
 *
 * @param name - file name, used in error messages
 * @returns the image, or `null` when it is a valid PNG of a kind this decoder leaves to ffmpeg
 *   (bit depth other than 8, Adam7 interlacing)
 * @throws {SegStreamError} `SEGSTREAM_ERR_INPUT_CORRUPT` when the bytes are not a complete PNG
 *   (bad signature, missing chunks, truncated or damaged image data, bad filter type)
 * @example
 * ```ts
 * const png = decodePngBytes(readFileSync('0000000000.png'), '0000000000.png');
 * if (png) console.log(png.width, png.height, png.channels);
 * ```
 */
export function decodePngBytes(bytes: Uint8Array, name = 'image'): DecodedPng | null {
  if (bytes.length < PNG_HEADER_BYTES || !hasPngSignature(bytes)) throw corrupt(name, 'no PNG signature');
  const { width, height, bitDepth, colorType } = parsePngHeader(bytes) ?? {
    width: 0,
    height: 0,
    bitDepth: 0,
    colorType: -1,
  };
  if (width === 0 || height === 0 || CHANNELS[colorType] === undefined)
    throw corrupt(name, 'bad or missing IHDR header');
  const interlace = bytes[28];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let pos = 20 + view.getUint32(8); // past the IHDR chunk
  let palette: Uint8Array | undefined;
  const idat: Uint8Array[] = [];
  let ended = false;
  while (pos + 12 <= bytes.length) {
    const length = view.getUint32(pos);
    const type = String.fromCharCode(bytes[pos + 4], bytes[pos + 5], bytes[pos + 6], bytes[pos + 7]);
    const start = pos + 8;
    if (start + length + 4 > bytes.length) throw corrupt(name, `chunk ${type} is truncated`);
    if (type === 'PLTE') {
      palette = bytes.subarray(start, start + length);
    } else if (type === 'IDAT') {
      idat.push(bytes.subarray(start, start + length));
    } else if (type === 'IEND') {
      ended = true;
      break;
    }
    pos = start + length + 4;
  }
  if (width * height > MAX_PIXELS) throw corrupt(name, `${width}x${height} is too large`);
  if (bitDepth !== 8 || interlace !== 0) return null;
  if (idat.length === 0) throw corrupt(name, 'no image data');
  if (!ended) throw corrupt(name, 'the file is truncated (no IEND chunk)');
  if (colorType === 3 && !palette) throw corrupt(name, 'palette image without a PLTE chunk');

  const bpp = CHANNELS[colorType];
  const stride = width * bpp;
  let raw: Buffer;
  try {
    raw = inflateSync(idat.length === 1 ? idat[0] : Buffer.concat(idat));
  } catch (err) {
    throw corrupt(name, `damaged image data: ${(err as Error).message}`, err);
  }
  if (raw.length < (stride + 1) * height)
    throw corrupt(name, `image data holds ${raw.length} bytes, expected ${(stride + 1) * height}`);
  const out = new Uint8Array(stride * height);
  unfilter(raw, out, stride, height, bpp, name);
  if (colorType !== 3) return { width, height, channels: bpp, data: out };
  const rgb = new Uint8Array(width * height * 3);
  const entries = palette!.length / 3;
  for (let i = 0, o = 0; i < out.length; i++, o += 3) {
    const k = out[i];
    if (k >= entries) throw corrupt(name, `palette index ${k} out of range`);
    rgb[o] = palette![k * 3]!;
    rgb[o + 1] = palette![k * 3 + 1]!;
    rgb[o + 2] = palette![k * 3 + 2]!;
  }
  return { width, height, channels: 3, data: rgb, indices: out };
}

/** Reverses the per-row filters (None, Sub, Up, Average, Paeth) of 8-bit data into `out`. */
function unfilter(raw: Uint8Array, out: Uint8Array, stride: number, height: number, bpp: number, name: string): void {
  for (let y = 0; y < height; y++) {
    const f = raw[y * (stride + 1)];
    const s = y * (stride + 1) + 1;
    const o = y * stride;
    const p = o - stride; // previous row in `out` (absent on row 0)
    const first = y === 0;
    switch (f) {
      case 0:
        out.set(raw.subarray(s, s + stride), o);
        break;
      case 1:
        for (let x = 0; x < bpp; x++) out[o + x] = raw[s + x]!;
        for (let x = bpp; x < stride; x++) out[o + x] = (raw[s + x] + out[o + x - bpp]) & 0xff;
        break;
      case 2:
        if (first) out.set(raw.subarray(s, s + stride), o);
        else for (let x = 0; x < stride; x++) out[o + x] = (raw[s + x] + out[p + x]) & 0xff;
        break;
      case 3:
        for (let x = 0; x < stride; x++) {
          const left = x >= bpp ? out[o + x - bpp] : 0;
          const up = first ? 0 : out[p + x];
          out[o + x] = (raw[s + x] + ((left + up) >> 1)) & 0xff;
        }
        break;
      case 4:
        for (let x = 0; x < stride; x++) {
          const a = x >= bpp ? out[o + x - bpp] : 0;
          const b = first ? 0 : out[p + x];
          const c = x >= bpp && !first ? out[p + x - bpp] : 0;
          const pa = Math.abs(b - c);
          const pb = Math.abs(a - c);
          const pc = Math.abs(a + b - 2 * c);
          const pred = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
          out[o + x] = (raw[s + x] + pred) & 0xff;
        }
        break;
      default:
        throw corrupt(name, `unknown row filter ${f} in row ${y}`);
    }
  }
}

/**
 * Packed RGB24 of a decoded PNG: grey is replicated, alpha dropped (frames are opaque camera
 * images). Returns `png.data` itself when it already is RGB.
 */
export function toRgb24(png: DecodedPng): Uint8Array {
  const { data, channels } = png;
  if (channels === 3) return data;
  const n = png.width * png.height;
  const rgb = new Uint8Array(n * 3);
  // Grey (and grey + alpha) replicates channel 0; RGBA takes its first three.
  const g = channels <= 2 ? 0 : 1;
  const b = channels <= 2 ? 0 : 2;
  for (let i = 0, s = 0, o = 0; i < n; i++, s += channels, o += 3) {
    rgb[o] = data[s]!;
    rgb[o + 1] = data[s + g]!;
    rgb[o + 2] = data[s + b]!;
  }
  return rgb;
}
