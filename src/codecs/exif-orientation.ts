/**
 * EXIF orientation of JPEG frames. Cameras store a portrait photo as landscape pixels plus an
 * Orientation tag, and every viewer shows it turned; frames are decoded as they are displayed, so
 * masks, overlays and scores match the picture a user sees (as rotated video is handled).
 */

/** The EXIF Orientation (1–8) of a JPEG, 1 when it has none or it cannot be read. */
export function jpegOrientation(bytes: Uint8Array): number {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (b.length < 4 || b[0] !== 0xff || b[1] !== 0xd8) return 1;
  let pos = 2;
  while (pos + 4 <= b.length) {
    if (b[pos] !== 0xff) return 1;
    const marker = b[pos + 1];
    if (marker === 0xff) {
      pos++;
      continue;
    }
    // Start of scan or end of image: no EXIF before the pixels.
    if (marker === 0xda || marker === 0xd9) return 1;
    const len = b.readUInt16BE(pos + 2);
    if (marker === 0xe1 && len >= 8 && pos + 2 + len <= b.length && b.toString('latin1', pos + 4, pos + 10) === 'Exif\0\0') {
      return tiffOrientation(b.subarray(pos + 10, pos + 2 + len));
    }
    pos += 2 + len;
  }
  return 1;
}

function tiffOrientation(t: Buffer): number {
  if (t.length < 8) return 1;
  const le = t.toString('latin1', 0, 2) === 'II';
  if (!le && t.toString('latin1', 0, 2) !== 'MM') return 1;
  const u16 = (o: number) => (le ? t.readUInt16LE(o) : t.readUInt16BE(o));
  const u32 = (o: number) => (le ? t.readUInt32LE(o) : t.readUInt32BE(o));
  const ifd = u32(4);
  if (ifd + 2 > t.length) return 1;
  const count = u16(ifd);
  for (let i = 0; i < count; i++) {
    const e = ifd + 2 + i * 12;
    if (e + 12 > t.length) return 1;
    if (u16(e) === 0x0112) {
      const value = u16(e + 8);
      return value >= 1 && value <= 8 ? value : 1;
    }
  }
  return 1;
}

/** True when the orientation swaps width and height (a quarter turn). */
export const swapsAxes = (orientation: number): boolean => orientation >= 5 && orientation <= 8;

/** The ffmpeg filter that turns stored pixels into the displayed picture, or undefined for 1. */
export function orientationFilter(orientation: number): string | undefined {
  return [undefined, undefined, 'hflip', 'hflip,vflip', 'vflip', 'transpose=0', 'transpose=1', 'transpose=3', 'transpose=2'][orientation];
}
