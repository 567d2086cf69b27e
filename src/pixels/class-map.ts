/**
 * Class maps: the upscale from the model's output size to the frame's ({@link upscaleClassMap}),
 * and the free-space mask of a map ({@link freeSpaceMask}).
 *
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
import { invalidOption } from '../errors.js';
import { checkDimension, checkExactLength, checkLength } from './check.js';
import { nearestIndexTable } from './sampler.js';

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
  const words =
    LITTLE_ENDIAN && out.byteOffset % 4 === 0 ? new Uint32Array(out.buffer, out.byteOffset, (dstW * dstH) >> 2) : null;
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
        words[q] =
          map[base + cols[x]] |
          (map[base + cols[x + 1]] << 8) |
          (map[base + cols[x + 2]] << 16) |
          (map[base + cols[x + 3]] << 24);
      }
    }
    for (; x < dstW; x++) out[o + x] = map[base + cols[x]];
  }
  return out;
}

/** Word-at-a-time stores (here and in the overlay) need bytes in little-endian order within a Uint32 (x64, arm64). */
export const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/**
 * Free-space (drivable area) mask: 255 where the class id is one of `ids`, 0 elsewhere.
 *
 * Works at any resolution; since upscaling is nearest neighbour, masking the small model-size
 * map and then upscaling it gives the same bytes as the reverse, for less work.
 *
 * @param map - class ids, one byte per pixel
 * @param ids - class ids counted as free space (e.g. `model.freeSpaceIds`)
 * @param out - optional destination of exactly `map.length` bytes
 * @returns `out`, or a new Uint8Array of `map.length`
 * @example
 * ```ts
 * const mask = freeSpaceMask(seg.classMap, model.freeSpaceIds);
 * ```
 */
export function freeSpaceMask(map: Uint8Array, ids: readonly number[], out?: Uint8Array): Uint8Array {
  if (out === undefined) out = new Uint8Array(map.length);
  else checkExactLength('out', out, map.length);
  const lut = new Uint8Array(256);
  for (const id of ids) {
    if (!Number.isInteger(id) || id < 0 || id > 255) throw invalidOption('free-space class ids', 'integers 0..255', id);
    lut[id] = 255;
  }
  for (let i = 0; i < map.length; i++) out[i] = lut[map[i]];
  return out;
}
