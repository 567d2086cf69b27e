/**
 * What travels through a log run: a decoded camera message as a {@link Frame} that remembers
 * its message (topic, stamps, frame id), and the finished outputs of one frame that the log's
 * sinks take.
 */
import type { Frame } from '../../types.js';
import type { LogImageMessage } from './types.js';

/** A camera message without its payload: where a frame came from, for every output. */
export type LogSource = Omit<LogImageMessage, 'data'>;

/** A decoded camera message on its way through the stages. */
export interface LogFrame extends Frame {
  /** Position of the message among all chosen camera messages, in log-time order. */
  no: number;
  source: LogSource;
  /** The network input, when the decode task made it (see `LogFramesOptions.inputFor`); the stages take it. */
  input?: Float32Array;
  /** The engine size key `input` was made for. */
  inputKey?: string;
}

/** One frame's outputs, as every log sink takes them. */
export interface LogFrameOutput {
  no: number;
  source: LogSource;
  width: number;
  height: number;
  /** Class index per pixel at the source size (`width * height`). */
  classIds?: Uint8Array;
  /** 0/255 free space per pixel at the source size. */
  freeSpace?: Uint8Array;
  maskPng?: Uint8Array;
  freeSpacePng?: Uint8Array;
  /** The overlay frame as JPEG (`T/seg/overlay`). */
  overlayJpeg?: Uint8Array;
  /** The overlay frame, RGB24 at the source size (overlay videos). */
  overlay?: Uint8Array;
  /** Free-space boundary row per column and the free fraction (`freeSpaceJson`). */
  boundary?: Int32Array;
  freeFraction?: number;
}
