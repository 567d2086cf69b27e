/**
 * The free-space boundary: per image column, where the drivable space that starts at the vehicle
 * (the bottom row) ends. The classic "free space" of stereo/stixel literature, computed from a
 * segmentation instead of disparity.
 */

/** Value of {@link FreeSpaceBoundary.boundary} in typed form for "no free space at the bottom". */
export const NO_FREE_SPACE = -2;

/** The free-space geometry of one frame. */
export interface FreeSpaceBoundary {
  /**
   * Per column x (0..width-1): the row of the first pixel that is NOT free space, met scanning
   * upward from the bottom row through free pixels; the free run touching the vehicle is then
   * rows `boundary[x] + 1 .. height - 1`.
   *
   * * `-1`: the whole column is free (the scan left the image at the top).
   * * {@link NO_FREE_SPACE} (`-2`, written as `null` in JSON): the bottom pixel itself is not
   *   free, there is no drivable space in front of the vehicle in that column.
   */
  boundary: Int32Array;
  /** Free-space pixels (anywhere in the frame, not only the run at the bottom) / all pixels, 0..1. */
  freeFraction: number;
}

/**
 * Computes the free-space boundary of a full-resolution map.
 *
 * @param map - `width * height` bytes, row-major, at the frame's own resolution (class ids, or a
 *   0/255 mask)
 * @param isFree - 256-entry lookup: non-zero where a map value counts as free space (e.g. the
 *   model's `freeSpace` role classes)
 * @param ego - the value the map holds under the ego mask (`EGO_CLASS`), if it has one: each column's
 *   scan then starts at the first row above its ego pixels at the bottom (the vehicle's front edge);
 *   ego pixels are never free
 * @example
 * ```ts
 * const lut = new Uint8Array(256); for (const id of model.freeSpaceIds) lut[id] = 1;
 * const { boundary, freeFraction } = freeSpaceBoundary(fullMap, width, height, lut);
 * ```
 */
export function freeSpaceBoundary(
  map: Uint8Array,
  width: number,
  height: number,
  isFree: Uint8Array,
  ego?: number,
): FreeSpaceBoundary {
  const boundary = new Int32Array(width);
  for (let x = 0; x < width; x++) {
    // The vehicle's front edge: the first row above the column's ego pixels (the bottom row without an ego mask).
    let start = height - 1;
    if (ego !== undefined) while (start >= 0 && map[start * width + x] === ego) start--;
    if (start < 0 || !isFree[map[start * width + x]]) {
      boundary[x] = NO_FREE_SPACE;
      continue;
    }
    let y = start - 1;
    for (let o = y * width + x; y >= 0 && isFree[map[o]]; y--, o -= width);
    boundary[x] = y;
  }
  let free = 0;
  const n = width * height;
  for (let i = 0; i < n; i++) if (isFree[map[i]]) free++;
  return { boundary, freeFraction: free / n };
}

/** One line of the `--free-space-json` JSONL file. */
export interface FreeSpaceLine {
  /** Sequence id (path relative to the input, `""` when the input is the sequence itself). */
  sequence: string;
  /** Input file stem. */
  frame: string;
  /** Position of the frame in its sequence (natural file-name order), 0-based. */
  index: number;
  width: number;
  height: number;
  /** See {@link FreeSpaceBoundary.boundary}; `null` where the bottom pixel is not free. */
  boundary: (number | null)[];
  /** Rounded to 6 decimals. */
  freeFraction: number;
}

/** The JSONL line object of a frame. */
export function freeSpaceLine(
  sequence: string,
  frame: string,
  index: number,
  width: number,
  height: number,
  fs: FreeSpaceBoundary,
): FreeSpaceLine {
  return {
    sequence,
    frame,
    index,
    width,
    height,
    boundary: Array.from(fs.boundary, (v) => (v === NO_FREE_SPACE ? null : v)),
    freeFraction: Math.round(fs.freeFraction * 1e6) / 1e6,
  };
}
