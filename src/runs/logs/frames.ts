/**
 * The frames of a log run: the chosen camera messages in log-time order (`readLogImages`), each
 * admitted by the in-flight gate, then decoded to RGB24 in the worker pool (several at once, so
 * the result may come out of order; the stages restore it). A message that cannot be decoded
 * (a corrupt JPEG) becomes a skipped item, counted and passed to the end so order holds.
 */
import { Observable, mergeMap } from 'rxjs';
import { ErrorCodes, SegStreamError, toSegStreamError } from '../../errors.js';
import type { InFlightGate } from '../../ingest/gate.js';
import type { FramePool } from '../frame-pool.js';
import type { StageClock } from '../stats.js';
import type { DecodeLogResult, DecodeLogTask, LogInputSpec } from './frame-tasks.js';
import type { LogFrame, LogSource } from './log-frame.js';
import { readLogImages } from './readers/index.js';
import type { LogDamage, LogImageMessage, LogWindow } from './types.js';

/** Errors of one bad image (skipped and counted); anything else stops the run. */
const SKIPPED_CODES = new Set<string>([
  ErrorCodes.INPUT_CORRUPT,
  ErrorCodes.DECODE_FAILED,
  ErrorCodes.LOG_ENCODING_UNSUPPORTED,
  ErrorCodes.LOG_UNREADABLE,
]);

/** A message that could not be decoded: it leaves the run with its error. */
export interface SkippedMessage {
  no: number;
  source: LogSource;
  error: SegStreamError;
}

/** What {@link logFrames} reads with. */
export interface LogFramesOptions {
  input: string;
  topics?: string[];
  /** Only the messages in this span of log time. */
  window?: LogWindow;
  gate: InFlightGate;
  pool: FramePool;
  clock: StageClock;
  /** Stops reading (no new message is admitted). */
  stop: AbortSignal;
  /** At most this many messages. */
  limit?: number;
  onDamage: (d: LogDamage) => void;
  /** Called when `limit` messages were taken and more were left. */
  onLimit?: () => void;
  /** The network input of a topic's frames and its engine key, when known before decoding: made in the decode task. */
  inputFor?: (topic: string) => (LogInputSpec & { key: string }) | undefined;
}

/** The camera messages, admitted one by one through the gate (see the module comment). */
export function gatedMessages(o: LogFramesOptions): Observable<LogImageMessage> {
  return new Observable<LogImageMessage>((subscriber) => {
    const read = { topics: o.topics, window: o.window, signal: o.stop, onDamage: o.onDamage };
    const iterator = readLogImages(o.input, read)[Symbol.asyncIterator]();
    let closed = false;
    const slot = () =>
      new Promise<void>((resolve) => (o.gate.open || o.stop.aborted ? resolve() : o.gate.onRelease(resolve)));
    const pump = async (): Promise<void> => {
      let taken = 0;
      for (;;) {
        await slot();
        if (closed || o.stop.aborted) break;
        const next = await iterator.next();
        if (closed || next.done) break;
        if (o.limit !== undefined && taken >= o.limit) {
          o.onLimit?.();
          break;
        }
        taken++;
        o.gate.take();
        subscriber.next(next.value);
      }
      if (!closed) subscriber.complete();
    };
    pump().catch((err: unknown) => subscriber.error(toSegStreamError(err)));
    return () => {
      closed = true;
      void iterator.return?.(undefined);
    };
  });
}

/** Decoded frames (and skipped messages) of the log, numbered in log-time order. */
export function logFrames(o: LogFramesOptions): Observable<LogFrame | SkippedMessage> {
  let no = 0;
  return gatedMessages(o).pipe(
    mergeMap(async (msg): Promise<LogFrame | SkippedMessage> => {
      const { data, ...source } = msg;
      const n = no++;
      const t0 = performance.now();
      const task: DecodeLogTask = {
        topic: msg.topic,
        encoding: msg.encoding,
        width: msg.width,
        height: msg.height,
        step: msg.step,
        isBigEndian: msg.isBigEndian,
        data,
      };
      const input = o.inputFor?.(msg.topic);
      if (input) task.input = { spec: input.spec, layout: input.layout };
      try {
        const bytes = movable(data);
        const d = await o.pool.run<DecodeLogResult>('decodeLogImage', { ...task, data: bytes }, { transfer: [bytes] });
        o.clock.add('decode', performance.now() - t0);
        return {
          no: n,
          source,
          index: n,
          pts: Number(msg.logTimeNs) / 1e9,
          width: d.width,
          height: d.height,
          format: 'rgb24',
          pixels: d.pixels,
          arrivalMs: performance.now(),
          ...(d.input ? { input: d.input, inputKey: input!.key } : {}),
        };
      } catch (err) {
        const error = toSegStreamError(err);
        if (!SKIPPED_CODES.has(error.code)) throw error;
        return { no: n, source, error };
      }
    }),
  );
}

/** Bytes of a buffer around a payload that may move with it (its message's header fields). */
const MOVE_SLACK = 4096;

/**
 * The payload as it can be moved to a worker: itself when its buffer holds only its message (an
 * MCAP message's own copy, a deserialised view into it: nothing else is moved along, no copy
 * made), else a copy of its own (a view into a whole bag chunk).
 */
export function movable(data: Uint8Array): Uint8Array {
  const own = data.buffer instanceof ArrayBuffer && data.buffer.byteLength - data.byteLength <= MOVE_SLACK;
  // Uint8Array's slice copies; a Node Buffer's `slice` would be a view.
  return own ? data : Uint8Array.prototype.slice.call(data);
}

/** True for a message that could not be decoded. */
export function isSkipped<T extends object>(item: T | SkippedMessage): item is SkippedMessage {
  return 'error' in item;
}
