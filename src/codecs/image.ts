/**
 * The one image read path: PNG through the built-in decoder, JPEG through sharp (libvips, EXIF
 * orientation applied by `.rotate()`), unusual PNGs (16-bit, interlaced) through ffmpeg
 * (synchronously: it runs in a worker thread, which it blocks alone; a binary that cannot start is
 * `FFMPEG_NOT_FOUND` like every other ffmpeg call, never a corrupt input).
 *
 * Measured (`node bench/codecs.mjs`, under load): a JPEG frame with EXIF orientation costs
 * ~290-340 ms of CPU through an ffmpeg child and ~23-32 ms through sharp's `.rotate().raw()`
 * (10-13x less, no process per image), hence sharp for JPEG. PNG stays on the built-in decoder
 * (sharp not > 20 % better there, see png-decode.ts).
 */
import { spawnSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import sharp from 'sharp';
import { ErrorCodes, SegStreamError } from '../errors.js';
import { exitText, lastLine, spawnFailure } from '../process/run-once.js';
import { imageKind } from './header.js';
import { decodePngBytes, type DecodedPng } from './png-decode.js';

/** An image as decoded, and which decoder read it. */
export interface ReadImage {
  png: DecodedPng;
  decoder: 'ts' | 'sharp' | 'ffmpeg';
}

/**
 * Reads an image file as displayed: PNG through the built-in decoder, JPEG through sharp, other
 * PNGs through ffmpeg (`gray`: 8-bit grey instead of RGB24, for labels and masks).
 *
 * @throws {SegStreamError} `SEGSTREAM_ERR_INPUT_NOT_FOUND` when the file cannot be read;
 *   `SEGSTREAM_ERR_INPUT_CORRUPT` when it is neither PNG nor JPEG or cannot be decoded
 */
export async function readImage(file: string, ffmpeg: string, gray = false): Promise<ReadImage> {
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (err) {
    throw new SegStreamError(ErrorCodes.INPUT_NOT_FOUND, `cannot read ${file}: ${(err as Error).message}`, {
      cause: err,
      context: { stage: 'decode' },
    });
  }
  const kind = imageKind(bytes);
  if (kind === 'jpeg') return { png: await decodeJpeg(bytes, file, gray), decoder: 'sharp' };
  if (kind !== 'png') {
    throw new SegStreamError(
      ErrorCodes.INPUT_CORRUPT,
      `${file} is neither a PNG nor a JPEG image; remove it from the frame folder or replace it`,
      { context: { stage: 'decode' } },
    );
  }
  const png = decodePngBytes(bytes, file);
  return { png: png ?? decodePngWithFfmpeg(file, ffmpeg, gray), decoder: png ? 'ts' : 'ffmpeg' };
}

/** A JPEG as displayed (EXIF orientation applied), packed RGB24 or 8-bit grey. */
async function decodeJpeg(bytes: Buffer, file: string, gray: boolean): Promise<DecodedPng> {
  try {
    const { data, info } = await sharp(bytes, { failOn: 'error' })
      .rotate()
      .toColourspace(gray ? 'b-w' : 'srgb')
      .removeAlpha()
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true });
    const channels = gray ? 1 : 3;
    if (info.channels !== channels) throw new Error(`${info.channels} channels after conversion`);
    return {
      width: info.width,
      height: info.height,
      channels,
      data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
    };
  } catch (err) {
    throw new SegStreamError(
      ErrorCodes.INPUT_CORRUPT,
      `${file} could not be decoded (${(err as Error).message}); replace or remove it`,
      { cause: err, context: { stage: 'decode' } },
    );
  }
}

/** A PNG the built-in decoder does not read: ffmpeg re-encodes it to an uncompressed 8-bit PNG. */
function decodePngWithFfmpeg(file: string, ffmpeg: string, gray: boolean): DecodedPng {
  const r = spawnSync(
    ffmpeg,
    [
      '-v',
      'error',
      '-nostdin',
      '-i',
      `file:${file}`,
      '-frames:v',
      '1',
      '-f',
      'image2pipe',
      '-c:v',
      'png',
      '-compression_level',
      '0',
      '-pix_fmt',
      gray ? 'gray' : 'rgb24',
      'pipe:1',
    ],
    {
      maxBuffer: 1 << 30,
    },
  );
  if (r.error) throw spawnFailure('ffmpeg', r.error);
  if (r.status !== 0 || !r.stdout || r.stdout.length === 0) {
    const tail = String(r.stderr ?? '')
      .trim()
      .split('\n')
      .slice(-3)
      .join('\n');
    throw new SegStreamError(
      ErrorCodes.INPUT_CORRUPT,
      `${file} could not be decoded (ffmpeg: ${lastLine(tail) || exitText(r.status, r.signal)}); replace or remove it`,
      {
        context: { stage: 'decode', stderrTail: tail },
      },
    );
  }
  const png = decodePngBytes(r.stdout, file);
  if (!png)
    throw new SegStreamError(ErrorCodes.DECODE_FAILED, `ffmpeg turned ${file} into a PNG the decoder cannot read`, {
      context: { stage: 'decode' },
    });
  return png;
}
