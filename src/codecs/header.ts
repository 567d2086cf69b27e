/**
 * Image file headers, read without decoding: the PNG signature and IHDR chunk, the JPEG size (by
 * sharp), and the question every reader asks first ("PNG, JPEG, or neither?").
 */
import { open } from 'node:fs/promises';
import { ErrorCodes, SegStreamError } from '../errors.js';

/** The eight bytes every PNG file starts with. */
export const PNG_SIGNATURE: readonly number[] = Object.freeze([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
/** Bytes from the start of a PNG through its IHDR chunk (signature, length, type, 13 data bytes, CRC). */
export const PNG_HEADER_BYTES = 33;

/** What a PNG's IHDR chunk says. */
export interface PngHeader {
  width: number;
  height: number;
  bitDepth: number;
  /** 0 grey, 2 RGB, 3 palette, 4 grey + alpha, 6 RGBA. */
  colorType: number;
}

/** True when `bytes` start with the whole eight-byte PNG signature. */
export function hasPngSignature(bytes: Uint8Array): boolean {
  return bytes.length >= 8 && PNG_SIGNATURE.every((b, i) => bytes[i] === b);
}

/**
 * What a file's first bytes say it is: `png` on the PNG magic `\x89PNG` (a damaged rest of the
 * signature is then the PNG decoder's error to report), `jpeg` on `FF D8 FF`, else `null`.
 */
export function imageKind(b: Uint8Array): 'png' | 'jpeg' | null {
  if (b.length >= 8 && b[0] === 0x89 && b[1] === 0x50 && b[2] === 0x4e && b[3] === 0x47) return 'png';
  return b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff ? 'jpeg' : null;
}

/** The IHDR header from a PNG's first {@link PNG_HEADER_BYTES} bytes; `null` unless they are a signature and an IHDR chunk. */
export function parsePngHeader(b: Uint8Array): PngHeader | null {
  if (
    b.length < PNG_HEADER_BYTES ||
    !hasPngSignature(b) ||
    b[12] !== 0x49 ||
    b[13] !== 0x48 ||
    b[14] !== 0x44 ||
    b[15] !== 0x52
  )
    return null; // IHDR
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  return { width: view.getUint32(16), height: view.getUint32(20), bitDepth: b[24], colorType: b[25] };
}

/** Width and height of a JPEG as displayed (EXIF orientation applied) from its header, or `null`. */
async function jpegSize(file: string): Promise<{ width: number; height: number } | null> {
  try {
    // Imported here: a video run reads no JPEG header and never loads sharp.
    const { default: sharp } = await import('sharp');
    const { autoOrient } = await sharp(file).metadata();
    return autoOrient.width > 0 && autoOrient.height > 0 ? autoOrient : null;
  } catch {
    return null;
  }
}

/** The first `length` bytes of `file` (fewer when it is shorter); `SEGSTREAM_ERR_INPUT_NOT_FOUND` when it cannot be read. */
async function readHead(file: string, length: number): Promise<Buffer> {
  try {
    const fh = await open(file, 'r');
    try {
      const head = Buffer.alloc(length);
      return head.subarray(0, (await fh.read(head, 0, length, 0)).bytesRead);
    } finally {
      await fh.close();
    }
  } catch (err) {
    throw new SegStreamError(ErrorCodes.INPUT_NOT_FOUND, `cannot read ${file}: ${(err as Error).message}`, {
      cause: err,
      context: { stage: 'decode' },
    });
  }
}

/**
 * Reads the IHDR header of a PNG file (the first 33 bytes).
 *
 * @throws {SegStreamError} `SEGSTREAM_ERR_INPUT_NOT_FOUND` when the file cannot be read;
 *   `SEGSTREAM_ERR_INPUT_CORRUPT` when it is not a PNG
 */
export async function readPngHeader(file: string): Promise<PngHeader> {
  const header = parsePngHeader(await readHead(file, PNG_HEADER_BYTES));
  if (header) return header;
  throw new SegStreamError(
    ErrorCodes.INPUT_CORRUPT,
    `${file} is not a PNG file (no PNG signature and IHDR header); replace or remove it`,
    { context: { stage: 'decode' } },
  );
}

/**
 * The size of a PNG or JPEG frame from its header (the IHDR, or the JPEG header as read by sharp,
 * EXIF orientation applied), without decoding it: to size the overlay video before the first frame is decoded.
 *
 * @throws {SegStreamError} `SEGSTREAM_ERR_INPUT_NOT_FOUND` when the file cannot be read;
 *   `SEGSTREAM_ERR_INPUT_CORRUPT` when the header cannot be read
 */
export async function imageSize(file: string): Promise<{ width: number; height: number }> {
  const b = await readHead(file, PNG_HEADER_BYTES);
  const kind = imageKind(b);
  const size = kind === 'png' ? parsePngHeader(b) : kind === 'jpeg' ? await jpegSize(file) : null;
  if (size) return { width: size.width, height: size.height };
  throw new SegStreamError(
    ErrorCodes.INPUT_CORRUPT,
    `${file} is not a readable PNG or JPEG image (no size in its header); replace or remove it`,
    { context: { stage: 'decode' } },
  );
}
