/**
 * Phone video is stored sideways with a display matrix (or, in older files, a `rotate` tag) that
 * tells players to turn it. ffmpeg's decoder applies that turn by default, so frames come out in
 * the orientation a player shows; the pipeline must size them the same way. seg-stream works in
 * the displayed orientation: the overlay, masks and free-space masks all match what a player shows.
 */

/** The parts of an ffprobe stream that carry a rotation. */
export interface RotatedStream {
  tags?: { rotate?: string };
  side_data_list?: { side_data_type?: string; rotation?: number | string }[];
}

/** The stream's rotation in degrees (0, 90, 180 or 270), from its display matrix or `rotate` tag. */
export function displayRotation(stream: RotatedStream): number {
  const matrix = stream.side_data_list?.find((d) => d.side_data_type === 'Display Matrix' && d.rotation !== undefined);
  const raw = matrix ? Number(matrix.rotation) : Number(stream.tags?.rotate ?? 0);
  if (!Number.isFinite(raw)) return 0;
  return (((Math.round(raw / 90) * 90) % 360) + 360) % 360;
}

/** The frame size as displayed: width and height swapped for a quarter turn. */
export function displayedSize(width: number, height: number, rotation: number): { width: number; height: number } {
  return rotation % 180 === 90 ? { width: height, height: width } : { width, height };
}
