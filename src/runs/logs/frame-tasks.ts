/**
 * Worker tasks of a log run: decoding a camera message into RGB24 (`decodeLogImage`), and the
 * log's outputs of a segmented frame — class ids and free space at the source size (raw, for
 * the written log, and as PNG for mask folders), the free-space boundary, the overlay as JPEG.
 * Everything per pixel happens here, in parallel across the pool's threads.
 */
import sharp from 'sharp';
import { encodePng } from '../../codecs/png-encode.js';
import { freeSpaceMask, upscaleClassMap } from '../../pixels/class-map.js';
import { freeSpaceBoundary } from '../../pixels/free-space-boundary.js';
import { decodeLogImage } from './decode.js';
import type { LogImageMessage } from './types.js';

/** Input of the `decodeLogImage` task: a camera message's payload and what describes it. */
export type DecodeLogTask = Pick<LogImageMessage, 'encoding' | 'width' | 'height' | 'step' | 'isBigEndian' | 'data' | 'topic'>;

/** Result of the `decodeLogImage` task: packed RGB24 (`width * height * 3`, its own buffer). */
export interface DecodeLogResult {
  width: number;
  height: number;
  pixels: Uint8Array;
}

/** Decodes one camera message to RGB24. */
export async function decodeLogTask(task: DecodeLogTask): Promise<DecodeLogResult> {
  const { width, height, rgb } = await decodeLogImage(task);
  // A view over a larger buffer would move unrelated bytes with it: copy once.
  const pixels = rgb.byteOffset === 0 && rgb.byteLength === rgb.buffer.byteLength ? rgb : rgb.slice();
  return { width, height, pixels };
}

/** Input of the `logOutputs` task. */
export interface LogOutputsTask {
  width: number;
  height: number;
  /** Class ids at the network's output size. */
  classMap: Uint8Array;
  mapWidth: number;
  mapHeight: number;
  freeSpaceIds: number[];
  /** Raw class ids / free space at the source size (the written log). */
  raw: boolean;
  maskPng: boolean;
  freeSpacePng: boolean;
  boundary: boolean;
  /** The overlay frame (RGB24) to encode as JPEG at `jpegQuality`; copied, not moved. */
  jpeg: Uint8Array | null;
  jpegQuality: number;
}

/** Result of the `logOutputs` task; every buffer is new and moved back. */
export interface LogOutputsResult {
  classIds?: Uint8Array;
  freeSpace?: Uint8Array;
  maskPng?: Uint8Array;
  freeSpacePng?: Uint8Array;
  boundary?: Int32Array;
  freeFraction?: number;
  overlayJpeg?: Uint8Array;
}

/** The log's outputs of one frame; see {@link LogOutputsTask}. */
export async function logOutputsTask(task: LogOutputsTask): Promise<LogOutputsResult> {
  const { width, height, freeSpaceIds } = task;
  const result: LogOutputsResult = {};
  const full = upscaleClassMap(task.classMap, task.mapWidth, task.mapHeight, width, height, new Uint8Array(width * height));
  const free = task.raw || task.freeSpacePng ? freeSpaceMask(full, freeSpaceIds) : undefined;
  if (task.raw) {
    result.classIds = full;
    result.freeSpace = free;
  }
  if (task.maskPng) result.maskPng = encodePng(full, width, height, 'gray');
  if (task.freeSpacePng) result.freeSpacePng = encodePng(free!, width, height, 'gray');
  if (task.boundary) {
    const lut = new Uint8Array(256);
    for (const id of freeSpaceIds) lut[id] = 1;
    const fs = freeSpaceBoundary(full, width, height, lut);
    result.boundary = fs.boundary;
    result.freeFraction = fs.freeFraction;
  }
  if (task.jpeg) {
    const buf = await sharp(task.jpeg, { raw: { width, height, channels: 3 } }).jpeg({ quality: task.jpegQuality }).toBuffer();
    result.overlayJpeg = new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength).slice();
  }
  return result;
}
