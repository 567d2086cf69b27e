/**
 * `--kitti-road`: the model's road probability as an 8-bit confidence PNG in the KITTI road
 * benchmark's perspective-image format (`um_road_000000.png`: grey, 0..255 = probability 0..1);
 * the pixels come from `probabilityToBytes` (`src/pixels/resample.ts`).
 */

/**
 * Output file name of the road map of an input frame: KITTI road frames `<cat>_<id>.png`
 * (`um`, `umm`, `uu`) become `<cat>_road_<id>.png` as the benchmark expects; any other frame
 * `<stem>_road.png`.
 *
 * @example
 * ```ts
 * roadMapName('um_000000'); // 'um_road_000000.png'
 * roadMapName('0000000042'); // '0000000042_road.png'
 * ```
 */
export function roadMapName(stem: string): string {
  const m = /^(um|umm|uu)_(\d+)$/.exec(stem);
  return m ? `${m[1]}_road_${m[2]}.png` : `${stem}_road.png`;
}
