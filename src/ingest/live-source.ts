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
import { ErrorCodes, SegStreamError, invalidOption } from '../errors.js';
import { frameByteLength } from '../pixels/yuv.js';
import type { Frame } from '../types.js';
import { spawnManaged, type ManagedChild } from '../process/child.js';
import { spawnFailure } from '../process/run-once.js';
import {
  ANALYZE_ALLOWANCE_MS,
  LIVE_SOURCE_DEFAULTS,
  LiveErrorCodes,
  backoff,
  classify,
  liveDecoderArgs,
  resolveConnect,
  scrubber,
  sleep,
  type LiveConnectOptions,
} from './live-args.js';
import { probeLiveStream } from './live-probe.js';
import { RawFrameAssembler } from './raw-frames.js';
import type { VideoInfo } from './probe.js';

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

const WATCHDOG_TICK_MS = 100;

/** How one ffmpeg run ended. */
interface RunEnd {
  frames: number;
  reason: string;
  fatal?: SegStreamError;
  /** The size the stream now has, when it changed and the source follows it. */
  resized?: { width: number; height: number };
}

const INPUT_SIZE = /Input #0[\s\S]*?Stream #0:\d+[^\n]*?: Video: [^\n]*?\b(\d{1,5})x(\d{1,5})\b/;

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
  const o = resolveConnect(options);
  const ringSize = options.ringSize ?? LIVE_SOURCE_DEFAULTS.ringSize;
  if (!Number.isInteger(ringSize) || ringSize < 1 || ringSize > 64) throw invalidOption('ringSize', 'an integer from 1 to 64', options.ringSize);
  const noDrop = options.noDrop ?? LIVE_SOURCE_DEFAULTS.noDrop;
  const { maxFrames = Infinity, maxSeconds = Infinity } = options;
  if (maxFrames !== Infinity && !(Number.isInteger(maxFrames) && maxFrames >= 1)) throw invalidOption('maxFrames', 'an integer >= 1', maxFrames);
  if (!(maxSeconds > 0)) throw invalidOption('maxSeconds', 'a number of seconds > 0', maxSeconds);
  const { gate, url } = options;
  const scrub = scrubber(url);
  const shown = scrub(url);
  const stats = options.stats ?? newLiveStats();

  return new Observable<LiveFrame>((subscriber) => {
    let stopped = false;
    let child: ManagedChild | undefined;
    const ring: LiveFrame[] = [];
    const spare: Uint8Array[] = [];
    let waitingForGate = false;
    let paused = false;
    let resumeReading: (() => void) | undefined;
    let streamStart: number | undefined;
    let lastArrival: number | undefined;
    const stopController = new AbortController();
    /** A limit was reached: nothing more is read; the source stops once the ring is empty. */
    let closing = false;
    let onStopped!: () => void;
    const stoppedOrClosed = new Promise<void>((resolve) => (onStopped = resolve));

    const reachLimit = (limit: LiveLimit) => {
      if (closing || stopped) return;
      closing = true;
      options.onLimit?.(limit);
      resumeReading?.();
      void child?.kill(1000);
    };

    const emitFromRing = () => {
      while (!stopped && ring.length > 0 && gate.open && stats.emitted < maxFrames) {
        const frame = ring.shift()!;
        gate.take();
        frame.index = stats.emitted++;
        subscriber.next(frame);
      }
      if (stopped) return;
      if (stats.emitted >= maxFrames) reachLimit('frames');
      if (closing && (ring.length === 0 || stats.emitted >= maxFrames)) return stop();
      if (ring.length > 0 && !waitingForGate) {
        waitingForGate = true;
        gate.onRelease(() => {
          waitingForGate = false;
          emitFromRing();
        });
      }
      if (paused && ring.length < ringSize) resumeReading?.();
    };

    const offer = (frame: LiveFrame) => {
      if (closing || frame.pts >= maxSeconds) {
        // Past the limit: the frame is not the run's; what waits in the ring still goes out.
        spare.push(frame.pixels);
        reachLimit('seconds');
        return emitFromRing();
      }
      ring.push(frame);
      // With noDrop the ring may pass ringSize by the frames of one stdout chunk; reading pauses after it.
      while (!noDrop && ring.length > ringSize) {
        const old = ring.shift()!;
        stats.dropped++;
        spare.push(old.pixels);
      }
      emitFromRing();
    };

    /** Runs ffmpeg once; resolves when it has exited. */
    const runOnce = (info: VideoInfo, onFirstFrame: () => void): Promise<RunEnd> =>
      new Promise<RunEnd>((resolve) => {
        const frameBytes = frameByteLength('yuv420p', info.width, info.height);
        const args = liveDecoderArgs(options.ffmpeg, url, info.width, info.height, o);
        const proc = spawnManaged(options.ffmpeg, args, { stdout: 'pipe', stderrLines: 30 });
        child = proc;
        options.onSpawn?.(proc);
        const stdout = proc.process.stdout!;
        let frames = 0;
        const assembler = new RawFrameAssembler(frameBytes, () => spare.pop() ?? new Uint8Array(frameBytes));
        let lastByteAt = performance.now();
        let endReason: string | undefined;
        let fatal: SegStreamError | undefined;
        let resized: { width: number; height: number } | undefined;
        let spawnError: Error | undefined;
        proc.process.once('error', (e) => (spawnError = e));

        let stderrText = '';
        let sizeChecked = false;
        proc.process.stderr!.on('data', (chunk: string) => {
          if (sizeChecked) return;
          stderrText += chunk;
          const m = INPUT_SIZE.exec(stderrText);
          if (m) {
            sizeChecked = true;
            stderrText = '';
            const w = Number(m[1]);
            const h = Number(m[2]);
            if ((w !== info.width || h !== info.height) && options.onSizeChange === 'follow') {
              // Reopened at the new size; nothing more is read from this connection (its frames would be scaled).
              resized = { width: w, height: h };
              void proc.kill(500);
            } else if (w !== info.width || h !== info.height) {
              fatal = new SegStreamError(
                LiveErrorCodes.STREAM_CHANGED,
                `${shown} now sends ${w}x${h} frames but started as ${info.width}x${info.height}; restart to process the new size`,
                { context: { stage: 'decode', command: scrub(proc.command) } },
              );
              void proc.kill(500);
            }
          } else if (stderrText.length > 65536) {
            sizeChecked = true;
          }
        });

        resumeReading = () => {
          if (!paused) return;
          paused = false;
          lastByteAt = performance.now();
          stdout.resume();
        };

        stdout.on('data', (chunk: Buffer) => {
          if (stopped || resized || closing) return; // drained until ffmpeg exits; nothing more is counted
          const now = performance.now();
          lastByteAt = now;
          let offset = 0;
          while (offset < chunk.length) {
            const filled = assembler.fill(chunk, offset);
            offset = filled.offset;
            if (!filled.frame) continue;
            if (frames === 0) onFirstFrame();
            frames++;
            streamStart ??= now;
            lastArrival = now;
            offer({
              index: -1,
              sourceIndex: stats.received++,
              arrivalMs: now,
              pts: (now - streamStart) / 1000,
              width: info.width,
              height: info.height,
              format: 'yuv420p',
              pixels: filled.frame,
            });
          }
          if (noDrop && ring.length >= ringSize && !stopped) {
            paused = true;
            stdout.pause();
          }
        });

        const watchdog = setInterval(() => {
          if (paused || stopped || endReason) return;
          const limit = frames === 0 ? o.timeoutMs + ANALYZE_ALLOWANCE_MS : o.timeoutMs;
          if (performance.now() - lastByteAt > limit) {
            endReason = frames === 0 ? `no frame within ${(limit / 1000).toFixed(1)} s` : `no data for ${(o.timeoutMs / 1000).toFixed(1)} s`;
            void proc.kill(1000);
          }
        }, WATCHDOG_TICK_MS);
        watchdog.unref();

        void proc.exited.then(({ code, signal }) => {
          clearInterval(watchdog);
          resumeReading = undefined;
          paused = false;
          const partial = assembler.discard(); // a partial frame is cut off with its connection
          if (partial) spare.push(partial);
          if (spawnError) {
            fatal = spawnFailure('ffmpeg', spawnError);
          }
          const tail = scrub(proc.stderrTail());
          const reason = endReason ?? (code === 0 ? 'the stream ended' : classify(tail).reason + (signal ? ` (${signal})` : ''));
          resolve({ frames, reason, fatal, resized });
        });
      });

    /**
     * The error once the retries are spent: before the first frame the connect budget
     * (`connectRetries`, as for the probe: a stream that answers but never sends a frame ends),
     * after it `reconnectMax`.
     */
    const givenUp = (failures: number, reason: string): SegStreamError | undefined => {
      if (lastArrival === undefined) {
        if (failures <= o.connectRetries) return undefined;
        return new SegStreamError(
          LiveErrorCodes.STREAM_UNREACHABLE,
          `${shown} answered but sent no frame in ${failures} attempts (${reason}); check the camera's stream and network, or allow more retries`,
          { context: { stage: 'decode' } },
        );
      }
      if (failures <= o.reconnectMax) return undefined;
      return new SegStreamError(
        LiveErrorCodes.STREAM_LOST,
        `lost ${shown} (${reason}) and ${o.reconnectMax} reconnection attempts failed; check the camera and network, or allow more attempts`,
        { context: { stage: 'decode', frameIndex: stats.emitted } },
      );
    };

    const run = async () => {
      let info = options.info ?? (await probeLiveStream(url, { ...o, ffprobe: options.ffprobe, stopSignal: stopController.signal }));
      if (stopped) return;
      o.onStatus?.({ type: 'connected', info });
      let failures = 0;
      let lostAt: number | undefined;
      let lastReason = '';
      let resizesInARow = 0;
      for (;;) {
        const end = await runOnce(info, () => {
          if (lostAt === undefined) return;
          const gapMs = performance.now() - lostAt;
          stats.reconnects++;
          stats.longestGapMs = Math.max(stats.longestGapMs, gapMs);
          o.onStatus?.({ type: 'reconnected', attempt: failures, gapMs });
          lostAt = undefined;
          failures = 0;
        });
        child = undefined;
        if (closing) await stoppedOrClosed; // the ring's last frames are still going out
        if (stopped) return;
        if (end.fatal) throw end.fatal;
        if (end.frames > 0) resizesInARow = 0;
        if (end.resized) {
          // A stream that reports a new size on every connection without sending a frame is not followed forever.
          resizesInARow++;
          if (resizesInARow > 3) {
            throw new SegStreamError(LiveErrorCodes.STREAM_CHANGED, `${shown} changed its frame size on ${resizesInARow} connections in a row without sending a frame; check the camera`, { context: { stage: 'decode' } });
          }
          const previous = { width: info.width, height: info.height };
          info = { ...info, ...end.resized };
          spare.length = 0; // buffers of the old frame size
          lostAt ??= lastArrival ?? performance.now();
          o.onStatus?.({ type: 'resized', ...end.resized, previous });
          continue;
        }
        if (end.frames > 0) {
          failures = 0;
          o.onStatus?.({ type: 'disconnected', reason: end.reason });
        }
        // The gap is measured from the last frame of the connection that was lost.
        lostAt ??= lastArrival ?? performance.now();
        lastReason = end.reason;
        failures++;
        const spent = givenUp(failures, lastReason);
        if (spent) throw spent;
        const delayMs = backoff(o, failures);
        o.onStatus?.({ type: 'reconnecting', attempt: failures, delayMs, reason: lastReason });
        await sleep(delayMs, stopController.signal);
        if (stopped) return;
        stats.reconnectAttempts++;
      }
    };

    const stop = () => {
      if (stopped) return;
      stopped = true;
      onStopped();
      stats.waitingAtStop += ring.length;
      ring.length = 0;
      stopController.abort();
      resumeReading?.();
      void child?.kill(1000);
    };
    const onStopSignal = () => {
      stop();
    };
    if (o.stopSignal?.aborted) stop();
    o.stopSignal?.addEventListener('abort', onStopSignal, { once: true });

    run().then(
      () => {
        o.stopSignal?.removeEventListener('abort', onStopSignal);
        if (!subscriber.closed) subscriber.complete();
      },
      (err: unknown) => {
        o.stopSignal?.removeEventListener('abort', onStopSignal);
        const wasStopped = stopped;
        stop();
        if (wasStopped && err instanceof SegStreamError && err.code === ErrorCodes.ABORTED) subscriber.complete();
        else subscriber.error(err);
      },
    );

    return () => {
      o.stopSignal?.removeEventListener('abort', onStopSignal);
      stop();
    };
  });
}

/** Fresh counters for {@link LiveSourceOptions.stats}. */
export function newLiveStats(): LiveStats {
  return { received: 0, emitted: 0, dropped: 0, waitingAtStop: 0, reconnects: 0, reconnectAttempts: 0, longestGapMs: 0 };
}
