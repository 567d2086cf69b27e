/**
 * The public shapes of a live source: its options, frames, counters and the consumer's gate
 * (see {@link liveFrames} in `source.ts`).
 */
import type { ManagedChild } from '../../process/child.js';
import type { Frame } from '../../types.js';
import type { VideoInfo } from '../probe.js';
import type { LiveConnectOptions } from './args.js';

/** The part of {@link InFlightGate} a live source needs (the pipeline passes its gate). */
export interface LiveGate {
  /** True when the consumer can take another frame now. */
  readonly open: boolean;
  /** Takes a slot (called once per emitted frame, only when `open`). */
  take(): void;
  /** Calls `fn` once, the next time a slot is given back. */
  onRelease(fn: () => void): void;
}

/** A frame from a live source. */
export interface LiveFrame extends Frame {
  /** Position among all frames received (emitted or dropped), over all connections. */
  sourceIndex: number;
  /** `performance.now()` when the frame's last byte arrived from ffmpeg. */
  arrivalMs: number;
}

/** Counters of a live source, updated in place while it runs. */
export interface LiveStats {
  received: number;
  emitted: number;
  /** Frames dropped as stale: overwritten in the ring by a newer one (never with `noDrop`). */
  dropped: number;
  /** Frames that had arrived but were still waiting in the ring when the source was stopped (not dropped: the run ended before them). */
  waitingAtStop: number;
  /** Connections lost and made again (each counted when its first frame arrives). */
  reconnects: number;
  /** ffmpeg restarts after a loss, successful or not. */
  reconnectAttempts: number;
  /** The longest time without frames across a reconnect, in ms. */
  longestGapMs: number;
}

/** Options for {@link liveFrames}. */
export interface LiveSourceOptions extends LiveConnectOptions {
  ffmpeg: string;
  ffprobe: string;
  url: string;
  /** The consumer's gate: a frame is emitted only while it is open (see {@link LiveGate}). */
  gate: LiveGate;
  /** The stream's facts when already probed (skips {@link probeLiveStream}). */
  info?: VideoInfo;
  /** Frames kept while the gate is closed (default 1: only the newest). */
  ringSize?: number;
  /** Keep every frame: pause reading while the ring is full instead of dropping (default false). */
  noDrop?: boolean;
  /** Counters to update (pass an object to read them while the source runs). */
  stats?: LiveStats;
  /** Called with every ffmpeg started (for CPU accounting). */
  onSpawn?: (child: ManagedChild) => void;
  /**
   * A connection that opens at another frame size: `stop` (default) ends the source with
   * `STREAM_CHANGED`; `follow` goes on at the new size (a `resized` status, then frames of that size).
   */
  onSizeChange?: 'stop' | 'follow';
  /** Emit at most this many frames, then end (exact: nothing past it reaches the consumer). */
  maxFrames?: number;
  /** End at the first frame whose `pts` reaches this many seconds: stream time from the first frame, reconnect gaps included. */
  maxSeconds?: number;
  /** Called once when `maxFrames` or `maxSeconds` ends the source. */
  onLimit?: (limit: LiveLimit) => void;
}

/** Which limit of {@link LiveSourceOptions} ended a live source. */
export type LiveLimit = 'frames' | 'seconds';

/** Fresh counters for {@link LiveSourceOptions.stats}. */
export function newLiveStats(): LiveStats {
  return {
    received: 0,
    emitted: 0,
    dropped: 0,
    waitingAtStop: 0,
    reconnects: 0,
    reconnectAttempts: 0,
    longestGapMs: 0,
  };
}
