/**
 * Live video sources (rtsp://, rtsps://, http(s):// streams) as an RxJS Observable of I420
 * frames, separate from the file decoder because the policy is the opposite one:
 *
 * * **Newest frame wins.** A live socket must be drained, so ffmpeg's stdout is read all the
 *   time. Finished frames wait in a ring of at most `ringSize` frames; while the consumer's gate
 *   is closed a new frame overwrites the oldest one, which is counted as dropped. The age of an
 *   emitted frame is therefore bounded by the ring, not by how far the consumer has fallen behind.
 *   `noDrop: true` pauses stdout instead (every frame is kept, the lag grows while the consumer is slower).
 * * **Reconnect.** When ffmpeg exits or stalls (no bytes for `timeoutMs`), it is restarted after a
 *   backoff (`reconnectDelayMs` doubling up to `reconnectDelayMaxMs`) until `reconnectMax`
 *   consecutive attempts have failed (`connectRetries` before the first frame).
 * * **Size changes.** A connection that opens at another frame size (a camera switched modes)
 *   ends the source with `STREAM_CHANGED` by default; with `onSizeChange: 'follow'` the source
 *   reconnects at the new size and its frames carry it (within one connection, ffmpeg scales to
 *   the size the connection opened with, so the pipe stays framed).
 * * **Limits.** `maxFrames` emits exactly that many frames; `maxSeconds` ends at the first frame
 *   whose `pts` (time since the first frame) reaches it, so connecting and probing never count.
 *   Reading stops at the limit; frames already waiting in the ring still go out (before a time limit).
 * * **First connection.** {@link probeLiveStream} (ffprobe) must succeed within its own budget,
 *   else the error is coded: unreachable, wrong credentials (401/403) or wrong path (404).
 * * **Credentials** in the URL never appear in messages, error contexts or status events.
 */
import { Observable } from 'rxjs';
import { ErrorCodes, SegStreamError, invalidOption } from '../../errors.js';
import type { VideoInfo } from '../probe.js';
import {
  LIVE_SOURCE_DEFAULTS,
  LiveErrorCodes,
  backoff,
  resolveConnect,
  scrubber,
  sleep,
  type Resolved,
} from './args.js';
import { LiveConnection, type ConnectionEnd, type ConnectionHost, type Size } from './connection.js';
import { probeLiveStream } from './probe.js';
import { FrameRing } from './ring.js';
import { newLiveStats, type LiveFrame, type LiveLimit, type LiveSourceOptions, type LiveStats } from './types.js';

export {
  newLiveStats,
  type LiveFrame,
  type LiveGate,
  type LiveLimit,
  type LiveSourceOptions,
  type LiveStats,
} from './types.js';

/**
 * Emits the frames of a live stream, newest first when the consumer is busy (see the module
 * comment), reconnecting on loss. Probes the stream first unless `info` is given.
 *
 * Contract with the consumer: a frame is emitted only while `gate.open`, and the source calls
 * `gate.take()` for it; the consumer calls the gate's release when the frame has left the
 * pipeline, which lets the source emit the frame waiting in its ring. With `InFlightGate(n)` the
 * latency is bounded by about `n` frame-processing times plus one frame interval.
 *
 * `pts` is the arrival time in seconds since the first frame of the first connection (monotonic
 * across reconnects, so gaps show), not the stream's own timestamps.
 *
 * @example
 * ```ts
 * const gate = new InFlightGate(2);
 * const stats = newLiveStats();
 * liveFrames({ ffmpeg, ffprobe, url: 'rtsp://cam/stream', gate, stats, stopSignal })
 *   .pipe(concatMap(async (f) => { await work(f); gate.release(); }))
 *   .subscribe();
 * ```
 * @throws via the Observable: the errors of {@link probeLiveStream}; `SEGSTREAM_ERR_STREAM_UNREACHABLE`
 * when no frame arrives in `connectRetries + 1` attempts; `SEGSTREAM_ERR_STREAM_LOST`
 * after `reconnectMax` failed reconnections; `SEGSTREAM_ERR_STREAM_CHANGED` when the frame size
 * changes; `FFMPEG_NOT_FOUND`.
 */
export function liveFrames(options: LiveSourceOptions): Observable<LiveFrame> {
  const connect = resolveConnect(options);
  const ringSize = options.ringSize ?? LIVE_SOURCE_DEFAULTS.ringSize;
  if (!Number.isInteger(ringSize) || ringSize < 1 || ringSize > 64)
    throw invalidOption('ringSize', 'an integer from 1 to 64', options.ringSize);
  const noDrop = options.noDrop ?? LIVE_SOURCE_DEFAULTS.noDrop;
  const { maxFrames = Infinity, maxSeconds = Infinity } = options;
  if (maxFrames !== Infinity && !(Number.isInteger(maxFrames) && maxFrames >= 1))
    throw invalidOption('maxFrames', 'an integer >= 1', maxFrames);
  if (!(maxSeconds > 0)) throw invalidOption('maxSeconds', 'a number of seconds > 0', maxSeconds);
  const stats = options.stats ?? newLiveStats();
  const settings: SourceSettings = { options, connect, ringSize, noDrop, maxFrames, maxSeconds, stats };

  return new Observable<LiveFrame>((subscriber) => {
    const source = new LiveSource(settings, (frame) => subscriber.next(frame));
    const onStopSignal = () => source.stop();
    const unlisten = () => connect.stopSignal?.removeEventListener('abort', onStopSignal);
    if (connect.stopSignal?.aborted) source.stop();
    connect.stopSignal?.addEventListener('abort', onStopSignal, { once: true });
    source.run().then(
      () => {
        unlisten();
        if (!subscriber.closed) subscriber.complete();
      },
      (err: unknown) => {
        unlisten();
        const wasStopped = !source.running();
        source.stop();
        if (wasStopped && err instanceof SegStreamError && err.code === ErrorCodes.ABORTED) subscriber.complete();
        else subscriber.error(err);
      },
    );
    return () => {
      unlisten();
      source.stop();
    };
  });
}

/** The checked options of one {@link liveFrames} call. */
interface SourceSettings {
  options: LiveSourceOptions;
  connect: Resolved;
  ringSize: number;
  noDrop: boolean;
  maxFrames: number;
  maxSeconds: number;
  stats: LiveStats;
}

/** One subscription's source: the ring, the current connection and the reconnect loop around it. */
class LiveSource implements ConnectionHost {
  readonly options: LiveSourceOptions;
  readonly connect: Resolved;
  readonly ring: FrameRing;
  readonly scrub: (text: string) => string;
  private readonly stats: LiveStats;
  private readonly shown: string;
  private stopped = false;
  /** A limit was reached: nothing more is read; the source stops once the ring is empty. */
  private closing = false;
  private readonly stopController = new AbortController();
  private onStopped!: () => void;
  private readonly stoppedOrClosed = new Promise<void>((resolve) => (this.onStopped = resolve));
  private connection: LiveConnection | undefined;
  private waitingForGate = false;
  private streamStart: number | undefined;
  private lastArrival: number | undefined;
  /** Connections failed in a row (reset by a frame). */
  private failures = 0;
  /** When frames stopped coming, while reconnecting. */
  private lostAt: number | undefined;
  private resizesInARow = 0;

  constructor(
    private readonly s: SourceSettings,
    private readonly next: (frame: LiveFrame) => void,
  ) {
    this.options = s.options;
    this.connect = s.connect;
    this.stats = s.stats;
    this.ring = new FrameRing(s.ringSize, s.noDrop, s.stats);
    this.scrub = scrubber(s.options.url);
    this.shown = this.scrub(s.options.url);
  }

  running(): boolean {
    return !this.stopped;
  }

  wantsFrames(): boolean {
    return !this.stopped && !this.closing;
  }

  /** Connects (probing first unless `info` was given) and reconnects until stopped, a limit or the retries are spent. */
  async run(): Promise<void> {
    const { options, connect } = this;
    let info =
      options.info ??
      (await probeLiveStream(options.url, {
        ...connect,
        ffprobe: options.ffprobe,
        stopSignal: this.stopController.signal,
      }));
    if (this.stopped) return;
    connect.onStatus?.({ type: 'connected', info });
    for (;;) {
      this.connection = new LiveConnection(this, info);
      const end = await this.connection.ended;
      this.connection = undefined;
      if (this.closing) await this.stoppedOrClosed; // the ring's last frames are still going out
      if (this.stopped) return;
      if (end.fatal) throw end.fatal;
      if (end.frames > 0) this.resizesInARow = 0;
      if (end.resized) info = this.follow(info, end.resized);
      else if (!(await this.retry(end))) return;
    }
  }

  /** The stream reopened at another size: the next connection opens at it. */
  private follow(info: VideoInfo, resized: Size): VideoInfo {
    // A stream that reports a new size on every connection without sending a frame is not followed forever.
    this.resizesInARow++;
    if (this.resizesInARow > 3) {
      throw new SegStreamError(
        LiveErrorCodes.STREAM_CHANGED,
        `${this.shown} changed its frame size on ${this.resizesInARow} connections in a row without sending a frame; check the camera`,
        { context: { stage: 'decode' } },
      );
    }
    const previous = { width: info.width, height: info.height };
    this.ring.forgetBuffers(); // buffers of the old frame size
    this.lostAt ??= this.lastArrival ?? performance.now();
    this.connect.onStatus?.({ type: 'resized', ...resized, previous });
    return { ...info, ...resized };
  }

  /** After a lost connection: waits the backoff; false when the source stopped meanwhile. */
  private async retry(end: ConnectionEnd): Promise<boolean> {
    const o = this.connect;
    if (end.frames > 0) {
      this.failures = 0;
      o.onStatus?.({ type: 'disconnected', reason: end.reason });
    }
    // The gap is measured from the last frame of the connection that was lost.
    this.lostAt ??= this.lastArrival ?? performance.now();
    this.failures++;
    const spent = this.givenUp(this.failures, end.reason);
    if (spent) throw spent;
    const delayMs = backoff(o, this.failures);
    o.onStatus?.({ type: 'reconnecting', attempt: this.failures, delayMs, reason: end.reason });
    await sleep(delayMs, this.stopController.signal);
    if (this.stopped) return false;
    this.stats.reconnectAttempts++;
    return true;
  }

  /**
   * The error once the retries are spent: before the first frame the connect budget
   * (`connectRetries`, as for the probe: a stream that answers but never sends a frame ends),
   * after it `reconnectMax`.
   */
  private givenUp(failures: number, reason: string): SegStreamError | undefined {
    const o = this.connect;
    if (this.lastArrival === undefined) {
      if (failures <= o.connectRetries) return undefined;
      return new SegStreamError(
        LiveErrorCodes.STREAM_UNREACHABLE,
        `${this.shown} answered but sent no frame in ${failures} attempts (${reason}); check the camera's stream and network, or allow more retries`,
        { context: { stage: 'decode' } },
      );
    }
    if (failures <= o.reconnectMax) return undefined;
    return new SegStreamError(
      LiveErrorCodes.STREAM_LOST,
      `lost ${this.shown} (${reason}) and ${o.reconnectMax} reconnection attempts failed; check the camera and network, or allow more attempts`,
      { context: { stage: 'decode', frameIndex: this.stats.emitted } },
    );
  }

  /** A whole frame arrived (see {@link ConnectionHost.frame}). */
  frame(pixels: Uint8Array, now: number, info: VideoInfo, first: boolean): void {
    if (first) this.reconnected();
    this.streamStart ??= now;
    this.lastArrival = now;
    this.offer({
      index: -1,
      sourceIndex: this.stats.received++,
      arrivalMs: now,
      pts: (now - this.streamStart) / 1000,
      width: info.width,
      height: info.height,
      format: 'yuv420p',
      pixels,
    });
  }

  /** A connection's first frame: when it follows a loss, the reconnect is counted. */
  private reconnected(): void {
    if (this.lostAt === undefined) return;
    const gapMs = performance.now() - this.lostAt;
    this.stats.reconnects++;
    this.stats.longestGapMs = Math.max(this.stats.longestGapMs, gapMs);
    this.connect.onStatus?.({ type: 'reconnected', attempt: this.failures, gapMs });
    this.lostAt = undefined;
    this.failures = 0;
  }

  private offer(frame: LiveFrame): void {
    if (this.closing || frame.pts >= this.s.maxSeconds) {
      // Past the limit: the frame is not the run's; what waits in the ring still goes out.
      this.ring.recycle(frame.pixels);
      this.reachLimit('seconds');
      return this.emitFromRing();
    }
    this.ring.push(frame);
    this.emitFromRing();
  }

  /** Emits the waiting frames while the gate is open; else waits for the gate's next release. */
  private emitFromRing(): void {
    const { ring, stats, s } = this;
    while (!this.stopped && ring.length > 0 && s.options.gate.open && stats.emitted < s.maxFrames) {
      const frame = ring.shift()!;
      s.options.gate.take();
      frame.index = stats.emitted++;
      this.next(frame);
    }
    if (this.stopped) return;
    if (stats.emitted >= s.maxFrames) this.reachLimit('frames');
    if (this.closing && (ring.length === 0 || stats.emitted >= s.maxFrames)) return this.stop();
    if (ring.length > 0 && !this.waitingForGate) {
      this.waitingForGate = true;
      s.options.gate.onRelease(() => {
        this.waitingForGate = false;
        this.emitFromRing();
      });
    }
    if (ring.length < ring.size) this.connection?.resume();
  }

  private reachLimit(limit: LiveLimit): void {
    if (this.closing || this.stopped) return;
    this.closing = true;
    this.options.onLimit?.(limit);
    this.connection?.resume();
    void this.connection?.proc.kill(1000);
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.onStopped();
    this.stats.waitingAtStop += this.ring.clear();
    this.stopController.abort();
    this.connection?.resume();
    void this.connection?.proc.kill(1000);
  }
}
