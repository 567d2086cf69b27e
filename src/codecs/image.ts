/**
 * The one image read path: PNG through the built-in decoder, JPEG and unusual PNGs through ffmpeg
 * (synchronously: it runs in a worker thread, which it blocks alone; a binary that cannot start is
 * `FFMPEG_NOT_FOUND` like every other ffmpeg call, never a corrupt input).
 *
 * Measured (`node bench/codecs.mjs`, under load): a JPEG frame with EXIF orientation costs
 * ~290-340 ms of CPU through the ffmpeg child and ~23-32 ms through sharp's `.rotate().raw()`
 * (10-13x less, no process per image). sharp is async, so using it here makes this read path async.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { ErrorCodes, SegStreamError } from '../errors.js';
import { exitText, lastLine, spawnFailure } from '../process/run-once.js';
import { jpegOrientation, orientationFilter } from './exif-orientation.js';
import { imageKind } from './header.js';
import { decodePngBytes, type DecodedPng } from './png-decode.js';

/**
 * Reads an image file as it is stored: PNG through the built-in decoder, else ffmpeg (`gray`:
 * ask ffmpeg for 8-bit grey instead of RGB24, for labels and masks).
 *
 * @throws {SegStreamError} `SEGSTREAM_ERR_INPUT_NOT_FOUND` when the file cannot be read;
 *   `SEGSTREAM_ERR_INPUT_CORRUPT` when it is neither PNG nor JPEG or cannot be decoded
 */
export function readImage(file: string, ffmpeg: string, gray = false): { png: DecodedPng; decoder: 'ts' | 'ffmpeg' } {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (err) {
    throw new SegStreamError(ErrorCodes.INPUT_NOT_FOUND, `cannot read ${file}: ${(err as Error).message}`, { cause: err, context: { stage: 'decode' } });
  }
  const kind = imageKind(bytes);
  if (kind === 'png') {
    const png = decodePngBytes(bytes, file);
    if (png) return { png, decoder: 'ts' };
  } else if (kind !== 'jpeg') {
    throw new SegStreamError(ErrorCodes.INPUT_CORRUPT, `${file} is neither a PNG nor a JPEG image; remove it from the frame folder or replace it`, { context: { stage: 'decode' } });
  }
  // ffmpeg re-encodes to an uncompressed 8-bit PNG, which the built-in decoder reads (size included).
  // JPEG: decoded as displayed (EXIF orientation applied here, never also by ffmpeg).
  const isJpeg = kind === 'jpeg';
  const turn = isJpeg ? orientationFilter(jpegOrientation(bytes)) : undefined;
  const r = spawnSync(ffmpeg, ['-v', 'error', '-nostdin', ...(isJpeg ? ['-noautorotate'] : []), '-i', `file:${file}`, ...(turn ? ['-vf', turn] : []), '-frames:v', '1', '-f', 'image2pipe', '-c:v', 'png', '-compression_level', '0', '-pix_fmt', gray ? 'gray' : 'rgb24', 'pipe:1'], {
    maxBuffer: 1 << 30,
  });
  if (r.error) throw spawnFailure('ffmpeg', r.error);
  if (r.status !== 0 || !r.stdout || r.stdout.length === 0) {
    const tail = String(r.stderr ?? '').trim().split('\n').slice(-3).join('\n');
    throw new SegStreamError(ErrorCodes.INPUT_CORRUPT, `${file} could not be decoded (ffmpeg: ${lastLine(tail) || exitText(r.status, r.signal)}); replace or remove it`, {
      context: { stage: 'decode', stderrTail: tail },
    });
  }
  const png = decodePngBytes(r.stdout, file);
  if (!png) throw new SegStreamError(ErrorCodes.DECODE_FAILED, `ffmpeg turned ${file} into a PNG the decoder cannot read`, { context: { stage: 'decode' } });
  return { png, decoder: 'ffmpeg' };
}
