/**
 * Worker task of a log run: decoding a camera message into RGB24 (`decodeLogImage`) and, when the
 * camera's network size is known, preprocessing it into the network input in the same task (as a
 * frame folder's `decodeFrame` does: one worker round trip a frame, not two). The log's
 * outputs of a segmented frame (class ids and free space at the source size, raw and as PNG, the
 * free-space boundary, the overlay as JPEG) are the shared finish step (`core/finish.ts`).
 */
import type { InputSpec } from '../../infer/types.js';
import { resizeToTensor, type TensorLayout } from '../../pixels/tensor.js';
import { decodeLogImage } from './decode.js';
import type { LogImageMessage } from './types.js';

/** The network input a decode task also makes: the camera's engine's input size and layout. */
export interface LogInputSpec {
  spec: InputSpec;
  layout: TensorLayout;
}

/** Input of the `decodeLogImage` task: a camera message's payload and what describes it. */
export type DecodeLogTask = Pick<
  LogImageMessage,
  'encoding' | 'width' | 'height' | 'step' | 'isBigEndian' | 'data' | 'topic'
> & {
  /** When set, the frame is also preprocessed into the network input. */
  input?: LogInputSpec;
};

/** Result of the `decodeLogImage` task: packed RGB24 (`width * height * 3`, its own buffer). */
export interface DecodeLogResult {
  width: number;
  height: number;
  pixels: Uint8Array;
  /** The network input (when the task asked for it). */
  input?: Float32Array;
}

/** Decodes one camera message to RGB24. */
export async function decodeLogTask(task: DecodeLogTask): Promise<DecodeLogResult> {
  const { width, height, rgb } = await decodeLogImage(task);
  // A view over a larger buffer would move unrelated bytes with it: copy once.
  const pixels = rgb.byteOffset === 0 && rgb.byteLength === rgb.buffer.byteLength ? rgb : rgb.slice();
  if (!task.input) return { width, height, pixels };
  return { width, height, pixels, input: resizeToTensor(pixels, width, height, task.input.spec, task.input.layout) };
}
