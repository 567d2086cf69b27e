/**
 * Class map (model output size) -> class map at the original frame size, nearest neighbour with
 * pixel-centre alignment.
 *
 * Output pixel `d` takes source pixel `floor((d + 0.5) * src / dst)`: the source pixel whose
 * area contains the output pixel's centre (torch `nearest-exact`, PIL `NEAREST`). A class
 * boundary between map columns `k - 1` and `k` therefore lands at output column
 * `ceil(k * dst / src - 0.5)`, i.e. `round(k * dst / src)` (halves round down, because a centre
 * exactly on the boundary belongs to the right-hand pixel). Masks stay aligned with the frame
 * at any size ratio, including non-integer ones such as 512 -> 1280 or 64 -> 641.
 */
import { checkDimension, checkExactLength, checkLength } from './check.js';

const MAX_CACHED = 16;
const indexCache = new Map<string, Int32Array>();

/**
 * Source index per output position along one axis: `min(floor((d + 0.5) * srcSize / dstSize), srcSize - 1)`,
 * computed with exact integer arithmetic. Cached per (srcSize, dstSize); do not modify the result.
 */
export function nearestIndexTable(srcSize: number, dstSize: number): Int32Array {
  const key = `${srcSize}>${dstSize}`;
  let t = indexCache.get(key);
  if (t === undefined) {
    t = new Int32Array(dstSize);
    const den = 2 * dstSize;
    for (let d = 0; d < dstSize; d++) t[d] = Math.min(Math.floor(((2 * d + 1) * srcSize) / den), srcSize - 1);
    if (indexCache.size >= MAX_CACHED) indexCache.delete(indexCache.keys().next().value as string);
    indexCache.set(key, t);
  }
  return t;
}

/**
 * Upscales (or downscales) a one-byte-per-pixel map with pixel-centre nearest neighbour.
 *
 * Works for any single-channel byte map: class ids, 0/255 masks. Output rows that come from the
 * same map row are copied rather than recomputed.
 *
 * @param map - `mapW * mapH` bytes, row-major
 * @param out - optional destination of exactly `dstW * dstH` bytes
 * @returns `out`, or a new Uint8Array of `dstW * dstH`
 * @throws {SegStreamError} `SEGSTREAM_ERR_INVALID_OPTION` when sizes or buffer lengths disagree
 * @example
 * ```ts
 * const full = upscaleClassMap(seg.classMap, seg.width, seg.height, frame.width, frame.height);
 * ```
 */
export function upscaleClassMap(
  map: Uint8Array,
  mapW: number,
  mapH: number,
  dstW: number,
  dstH: number,
  out?: Uint8Array,
): Uint8Array {
  checkDimension('mapWidth', mapW);
  checkDimension('mapHeight', mapH);
  checkDimension('width', dstW);
  checkDimension('height', dstH);
  checkLength('classMap', map, mapW * mapH);
  if (out === undefined) out = new Uint8Array(dstW * dstH);
  else checkExactLength('out', out, dstW * dstH);

  const cols = nearestIndexTable(mapW, dstW);
  const rows = nearestIndexTable(mapH, dstH);
  // Four output bytes per store where the row allows (about twice as fast as byte stores).
  const words = LITTLE_ENDIAN && out.byteOffset % 4 === 0 ? new Uint32Array(out.buffer, out.byteOffset, (dstW * dstH) >> 2) : null;
  let prevRow = -1;
  for (let y = 0; y < dstH; y++) {
    const o = y * dstW;
    const r = rows[y];
    if (r === prevRow) {
      out.copyWithin(o, o - dstW, o);
      continue;
    }
    prevRow = r;
    const base = r * mapW;
    let x = 0;
    if (words !== null) {
      for (; (o + x) % 4 !== 0 && x < dstW; x++) out[o + x] = map[base + cols[x]];
      for (let q = (o + x) >> 2; x + 4 <= dstW; x += 4, q++) {
        words[q] = map[base + cols[x]] | (map[base + cols[x + 1]] << 8) | (map[base + cols[x + 2]] << 16) | (map[base + cols[x + 3]] << 24);
      }
    }
    for (; x < dstW; x++) out[o + x] = map[base + cols[x]];
  }
  return out;
}

/** Word stores need bytes in little-endian order within a Uint32 (x64, arm64). */
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;
