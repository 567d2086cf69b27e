/**
 * Worker task of a log run: decoding a camera message into RGB24 (`decodeLogImage`). The log's
 * outputs of a segmented frame (class ids and free space at the source size, raw and as PNG, the
 * free-space boundary, the overlay as JPEG) are the shared finish step (`core/finish.ts`).
 */
import { decodeLogImage } from './decode.js';
import type { LogImageMessage } from './types.js';

/** Input of the `decodeLogImage` task: a camera message's payload and what describes it. */
export type DecodeLogTask = Pick<
  LogImageMessage,
  'encoding' | 'width' | 'height' | 'step' | 'isBigEndian' | 'data' | 'topic'
>;

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
