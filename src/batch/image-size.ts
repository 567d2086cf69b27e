/**
 * The size of a PNG or JPEG frame from its header, without decoding it (to size the overlay
 * video before the first frame is decoded).
 */
import { open } from 'node:fs/promises';
import { ErrorCodes, SegStreamError } from '../errors.js';
import { jpegOrientation, swapsAxes } from './exif-orientation.js';

/**
 * Reads width and height from a PNG IHDR or a JPEG SOF marker.
 *
 * @throws {SegStreamError} `SEGSTREAM_ERR_INPUT_CORRUPT` when the header cannot be read
 */
export async function imageSize(file: string): Promise<{ width: number; height: number }> {
  const fh = await open(file, 'r').catch((err: unknown) => {
    throw new SegStreamError(ErrorCodes.INPUT_NOT_FOUND, `cannot read ${file}: ${(err as Error).message}`, { cause: err });
  });
  try {
    const head = Buffer.alloc(65536);
    const { bytesRead } = await fh.read(head, 0, head.length, 0);
    const b = head.subarray(0, bytesRead);
    if (b.length >= 24 && b[0] === 0x89 && b.toString('latin1', 12, 16) === 'IHDR') return { width: b.readUInt32BE(16), height: b.readUInt32BE(20) };
    if (b.length >= 4 && b[0] === 0xff && b[1] === 0xd8) {
      let pos = 2;
      while (pos + 9 < b.length) {
        if (b[pos] !== 0xff) {
          pos++;
          continue;
        }
        const marker = b[pos + 1]!;
        const len = b.readUInt16BE(pos + 2);
        if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
          const stored = { height: b.readUInt16BE(pos + 5), width: b.readUInt16BE(pos + 7) };
          // The displayed size: a quarter-turn EXIF orientation swaps the axes.
          return swapsAxes(jpegOrientation(b)) ? { width: stored.height, height: stored.width } : stored;
        }
        pos += 2 + len;
      }
    }
    throw new SegStreamError(ErrorCodes.INPUT_CORRUPT, `${file} is not a readable PNG or JPEG image (no size in its header); replace or remove it`, { context: { stage: 'decode' } });
  } finally {
    await fh.close();
  }
}
