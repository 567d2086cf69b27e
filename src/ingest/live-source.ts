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
 *   consecutive attempts have failed. The frame size must not change across connections.
 * * **First connection.** {@link probeLiveStream} (ffprobe) must succeed within its own budget,
 *   else the error is coded: unreachable, wrong credentials (401/403) or wrong path (404).
 * * **Credentials** in the URL never appear in messages, error contexts or status events.
 */
import { spawnSync } from 'node:child_process';
import { Observable } from 'rxjs';
import { ErrorCodes, SegStreamError, invalidOption } from '../errors.js';
import { frameByteLength } from '../render/yuv.js';
import type { Frame } from '../types.js';
import { spawnManaged, type ManagedChild } from '../util/child.js';
import { redact } from '../util/redact.js';
import { chooseFrameRate, parseRational, type VideoInfo } from './probe.js';

/** Error codes of live sources (a subset of {@link ErrorCodes}). */
export const LiveErrorCodes = {
  STREAM_UNREACHABLE: ErrorCodes.STREAM_UNREACHABLE,
  STREAM_AUTH: ErrorCodes.STREAM_AUTH,
  STREAM_NOT_FOUND: ErrorCodes.STREAM_NOT_FOUND,
  STREAM_LOST: ErrorCodes.STREAM_LOST,
  STREAM_CHANGED: ErrorCodes.STREAM_CHANGED,
} as const;

const LIVE_URL = /^(rtsps?|https?):\/\//i;

/** True for inputs that {@link liveFrames} handles: rtsp://, rtsps://, http:// and https:// URLs. */
export function isLiveUrl(input: string): boolean {
  return LIVE_URL.test(input);
}

/** Transport of RTP under RTSP. `rtsps://` always uses TCP. */
export type RtspTransport = 'tcp' | 'udp';

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

/** Something that happened to the connection. */
export type LiveStatus =
  | { type: 'connected'; info: VideoInfo }
  | { type: 'disconnected'; reason: string }
  | { type: 'reconnecting'; attempt: number; delayMs: number; reason: string }
  | { type: 'reconnected'; attempt: number; gapMs: number };

/** Counters of a live source, updated in place while it runs. */
export interface LiveStats {
  received: number;
  emitted: number;
  /** Frames received but never emitted (overwritten in the ring, or left in it at stop). */
  dropped: number;
  /** Connections lost and made again (each counted when its first frame arrives). */
  reconnects: number;
  /** ffmpeg restarts after a loss, successful or not. */
  reconnectAttempts: number;
  /** The longest time without frames across a reconnect, in ms. */
  longestGapMs: number;
}

/** Options shared by {@link probeLiveStream} and {@link liveFrames}. */
export interface LiveConnectOptions {
  /** RTP transport for rtsp:// (default `tcp`). */
  transport?: RtspTransport;
  /** Connect and read timeout in ms (default 5000): socket timeout given to ffmpeg, and the stall watchdog. */
  timeoutMs?: number;
  /** Delay before the first retry in ms (default 500); doubles per consecutive failure. */
  reconnectDelayMs?: number;
  /** Upper bound of the retry delay in ms (default 8000). */
  reconnectDelayMaxMs?: number;
  /** Consecutive failed reconnection attempts before giving up (default Infinity: keep trying). */
  reconnectMax?: number;
  /** Retries of the first connection (default: `reconnectMax` when finite, else 3). */
  connectRetries?: number;
  /** Aborting ends the source gracefully: ffmpeg is stopped and the Observable completes. */
  stopSignal?: AbortSignal;
  /** Called on every change of the connection. */
  onStatus?: (status: LiveStatus) => void;
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
}

/** Defaults of {@link LiveConnectOptions} and {@link LiveSourceOptions}. */
export const LIVE_SOURCE_DEFAULTS = Object.freeze({
  transport: 'tcp' as RtspTransport,
  timeoutMs: 5000,
  reconnectDelayMs: 500,
  reconnectDelayMaxMs: 8000,
  reconnectMax: Infinity,
  firstConnectRetries: 3,
  ringSize: 1,
  noDrop: false,
});

/** ffmpeg may take this long after connecting before its first frame (stream analysis). */
const ANALYZE_US = 1_000_000;
const ANALYZE_ALLOWANCE_MS = 2000;
const WATCHDOG_TICK_MS = 100;

type Resolved = Required<Omit<LiveConnectOptions, 'stopSignal' | 'onStatus'>> & Pick<LiveConnectOptions, 'stopSignal' | 'onStatus'>;

function resolveConnect(o: LiveConnectOptions): Resolved {
  const d = LIVE_SOURCE_DEFAULTS;
  const transport = o.transport ?? d.transport;
  if (transport !== 'tcp' && transport !== 'udp') throw invalidOption('transport', '"tcp" or "udp"', transport);
  const positive = (name: string, v: number | undefined, fallback: number, allowInf = false): number => {
    const value = v ?? fallback;
    if (typeof value !== 'number' || Number.isNaN(value) || value < 0 || (!allowInf && !Number.isFinite(value))) {
      throw invalidOption(name, allowInf ? 'a number >= 0 or Infinity' : 'a finite number >= 0', v);
    }
    return value;
  };
  const reconnectMax = positive('reconnectMax', o.reconnectMax, d.reconnectMax, true);
  return {
    transport,
    timeoutMs: positive('timeoutMs', o.timeoutMs, d.timeoutMs) || d.timeoutMs,
    reconnectDelayMs: positive('reconnectDelayMs', o.reconnectDelayMs, d.reconnectDelayMs),
    reconnectDelayMaxMs: positive('reconnectDelayMaxMs', o.reconnectDelayMaxMs, d.reconnectDelayMaxMs),
    reconnectMax,
    connectRetries: positive('connectRetries', o.connectRetries, Number.isFinite(reconnectMax) ? reconnectMax : d.firstConnectRetries, true),
    stopSignal: o.stopSignal,
    onStatus: o.onStatus,
  };
}

/** Backoff before retry number `attempt` (1-based). */
function backoff(o: Resolved, attempt: number): number {
  return Math.min(o.reconnectDelayMaxMs, o.reconnectDelayMs * 2 ** Math.min(attempt - 1, 30));
}

/** Removes the URL's credentials from `text`: `scheme://user:pass@` forms and the bare secrets. */
export function scrubber(url: string): (text: string) => string {
  const secrets = new Set<string>();
  const m = /^[a-z][a-z0-9+.-]*:\/\/([^/?#]*)@/i.exec(url);
  if (m) {
    for (const part of [m[1]!, ...m[1]!.split(':')]) {
      for (const s of [part, safeDecode(part)]) if (s.length >= 3) secrets.add(s);
    }
  }
  const sorted = [...secrets].sort((a, b) => b.length - a.length);
  return (text) => {
    let out = redact(text);
    for (const s of sorted) out = out.split(s).join('***');
    return out;
  };
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

const rtspTimeoutOption = new Map<string, string>();

/**
 * The socket-timeout arguments this binary understands for `url`: RTSP's is `-stimeout` (µs) up
 * to ffmpeg 4.x and `-timeout` (µs) from 5.0 (where 4.x's `-timeout` means "listen"!), so the
 * binary is asked once; other protocols take `-rw_timeout` (µs).
 */
export function timeoutArgs(binary: string, url: string, timeoutMs: number): string[] {
  const us = String(Math.round(timeoutMs * 1000));
  if (!/^rtsps?:/i.test(url)) return ['-rw_timeout', us];
  let option = rtspTimeoutOption.get(binary);
  if (option === undefined) {
    const help = spawnSync(binary, ['-hide_banner', '-h', 'demuxer=rtsp'], { encoding: 'utf8', timeout: 10_000 });
    option = /-stimeout\b/.test(`${help.stdout}${help.stderr}`) ? '-stimeout' : '-timeout';
    rtspTimeoutOption.set(binary, option);
  }
  return [option, us];
}

function inputArgs(binary: string, url: string, o: Resolved): string[] {
  const args: string[] = [];
  if (/^rtsps?:/i.test(url)) args.push('-rtsp_transport', /^rtsps:/i.test(url) ? 'tcp' : o.transport, '-allowed_media_types', 'video');
  args.push(...timeoutArgs(binary, url, o.timeoutMs));
  return args;
}

/**
 * ffmpeg arguments that decode a live stream to I420 on stdout at a fixed `width x height`.
 * `-flags low_delay` turns off frame threading (one frame of delay per thread);
 * `-fpsprobesize 0` ends stream analysis once the codec parameters are known (first frame after
 * ~0.3 s instead of ~1.1 s). `-fflags nobuffer` is deliberately absent: it only discards the
 * packets read during analysis, so decoding waits for the next key frame (+1 GOP per connect);
 * the ring drops that initial burst anyway.
 */
export function liveDecoderArgs(binary: string, url: string, width: number, height: number, options: LiveConnectOptions = {}): string[] {
  const o = resolveConnect(options);
  return [
    '-hide_banner', '-nostdin', '-nostats', '-loglevel', 'info',
    ...inputArgs(binary, url, o),
    '-flags', 'low_delay', '-fpsprobesize', '0', '-analyzeduration', String(ANALYZE_US),
    '-i', url,
    '-map', '0:v:0', '-an', '-sn', '-dn',
    // A fixed output size keeps the pipe framed if the stream changes size mid-connection.
    '-vf', `scale=${width}:${height}`,
    '-vsync', 'passthrough', '-f', 'rawvideo', '-pix_fmt', 'yuv420p', 'pipe:1',
  ];
}

/** Classifies a failed connection from ffmpeg/ffprobe's stderr. */
function classify(stderr: string): { code?: string; reason: string } {
  const last = stderr.trim().split('\n').pop()?.trim() ?? '';
  // Phrases, not bare numbers: a port such as :404 appears in the echoed URL.
  if (/\b401 Unauthorized|\b403 Forbidden|authorization failed/i.test(stderr)) return { code: LiveErrorCodes.STREAM_AUTH, reason: 'the server refused the credentials (401 Unauthorized)' };
  if (/\b404 Not Found/i.test(stderr)) return { code: LiveErrorCodes.STREAM_NOT_FOUND, reason: 'the server has no stream at that path (404 Not Found)' };
  if (/Connection refused/i.test(stderr)) return { reason: 'connection refused' };
  if (/timed out|timeout/i.test(stderr)) return { reason: 'connection timed out' };
  return { reason: last || 'ffmpeg exited without a frame' };
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** Options for {@link probeLiveStream}. */
export interface LiveProbeOptions extends LiveConnectOptions {
  ffprobe: string;
}

/**
 * Probes a live stream with ffprobe, retrying connection failures `connectRetries` times with
 * backoff. Credentials are removed from every message.
 *
 * @example
 * ```ts
 * const info = await probeLiveStream('rtsp://user:pw@cam/stream', { ffprobe, transport: 'tcp' });
 * ```
 * @throws {SegStreamError} `SEGSTREAM_ERR_STREAM_AUTH` and `SEGSTREAM_ERR_STREAM_NOT_FOUND` at
 * once; `SEGSTREAM_ERR_STREAM_UNREACHABLE` once the retries are spent; `INPUT_NOT_VIDEO` for a
 * stream without video; `FFMPEG_NOT_FOUND`; `ABORTED` when `stopSignal` fires.
 */
export async function probeLiveStream(url: string, options: LiveProbeOptions): Promise<VideoInfo> {
  const o = resolveConnect(options);
  const scrub = scrubber(url);
  const shown = scrub(url);
  const started = performance.now();
  let last = { reason: '', stderrTail: '', command: '' };
  for (let attempt = 0; attempt <= o.connectRetries; attempt++) {
    if (attempt > 0) {
      const delayMs = backoff(o, attempt);
      o.onStatus?.({ type: 'reconnecting', attempt, delayMs, reason: last.reason });
      await sleep(delayMs, o.stopSignal);
    }
    if (o.stopSignal?.aborted) throw new SegStreamError(ErrorCodes.ABORTED, `stopped while connecting to ${shown}`, { context: { stage: 'probe' } });
    const args = ['-v', 'error', ...inputArgs(options.ffprobe, url, o), '-print_format', 'json', '-show_streams', '-show_format', '-i', url];
    const child = spawnManaged(options.ffprobe, args, { stdout: 'pipe' });
    const chunks: Buffer[] = [];
    child.process.stdout!.on('data', (c: Buffer) => chunks.push(c));
    let spawnError: Error | undefined;
    child.process.once('error', (e) => (spawnError = e));
    // ffprobe's own socket timeout covers silence; this covers a server that trickles bytes.
    const timer = setTimeout(() => void child.kill(500), o.timeoutMs + ANALYZE_ALLOWANCE_MS + 3000);
    const onAbort = () => void child.kill(500);
    o.stopSignal?.addEventListener('abort', onAbort, { once: true });
    const { code } = await child.exited;
    clearTimeout(timer);
    o.stopSignal?.removeEventListener('abort', onAbort);
    if (spawnError) throw new SegStreamError(ErrorCodes.FFMPEG_NOT_FOUND, `could not run ffprobe (${spawnError.message}); set FFPROBE_PATH`, { cause: spawnError });
    const stderrTail = scrub(child.stderrTail());
    const context = { stage: 'probe', stderrTail, command: scrub([options.ffprobe, ...args].join(' ')) };
    if (code === 0) {
      const info = interpret(url, Buffer.concat(chunks).toString('utf8'));
      if (info === 'no-video') throw new SegStreamError(ErrorCodes.INPUT_NOT_VIDEO, `${shown} has no video stream`, { context });
      if (info) return info;
      last = { reason: 'ffprobe found no frame size', ...context };
      continue;
    }
    const { code: fatal, reason } = classify(stderrTail);
    if (fatal === LiveErrorCodes.STREAM_AUTH) {
      throw new SegStreamError(fatal, `${shown}: ${reason}; check the user name and password in the URL`, { context });
    }
    if (fatal === LiveErrorCodes.STREAM_NOT_FOUND) {
      throw new SegStreamError(fatal, `${shown}: ${reason}; check the path of the stream`, { context });
    }
    last = { reason, ...context };
  }
  if (o.stopSignal?.aborted) throw new SegStreamError(ErrorCodes.ABORTED, `stopped while connecting to ${shown}`, { context: { stage: 'probe' } });
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  throw new SegStreamError(
    LiveErrorCodes.STREAM_UNREACHABLE,
    `could not connect to ${shown} after ${o.connectRetries + 1} attempts in ${seconds} s (${last.reason}); check the address, port and network, or allow more retries`,
    { context: { stage: 'probe', stderrTail: last.stderrTail, command: last.command } },
  );
}

function interpret(url: string, json: string): VideoInfo | 'no-video' | undefined {
  let parsed: { streams?: Record<string, string | number | undefined>[]; format?: { format_name?: string } };
  try {
    parsed = JSON.parse(json);
  } catch {
    return undefined;
  }
  const video = parsed.streams?.find((s) => s.codec_type === 'video');
  if (!video) return 'no-video';
  const width = Number(video.width ?? 0);
  const height = Number(video.height ?? 0);
  if (!width || !height) return undefined;
  const fps = chooseFrameRate(parseRational(video.r_frame_rate as string), parseRational(video.avg_frame_rate as string)) ?? { num: 25, den: 1 };
  return {
    input: url,
    width,
    height,
    fps,
    videoCodec: String(video.codec_name ?? 'unknown'),
    audioCodecs: (parsed.streams ?? []).filter((s) => s.codec_type === 'audio').map((s) => String(s.codec_name ?? 'unknown')),
    format: parsed.format?.format_name ?? 'unknown',
  };
}

/** How one ffmpeg run ended. */
interface RunEnd {
  frames: number;
  reason: string;
  fatal?: SegStreamError;
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
 * @throws via the Observable: the errors of {@link probeLiveStream}; `SEGSTREAM_ERR_STREAM_LOST`
 * after `reconnectMax` failed reconnections; `SEGSTREAM_ERR_STREAM_CHANGED` when the frame size
 * changes; `FFMPEG_NOT_FOUND`.
 */
export function liveFrames(options: LiveSourceOptions): Observable<LiveFrame> {
  const o = resolveConnect(options);
  const ringSize = options.ringSize ?? LIVE_SOURCE_DEFAULTS.ringSize;
  if (!Number.isInteger(ringSize) || ringSize < 1 || ringSize > 64) throw invalidOption('ringSize', 'an integer from 1 to 64', options.ringSize);
  const noDrop = options.noDrop ?? LIVE_SOURCE_DEFAULTS.noDrop;
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

    const emitFromRing = () => {
      while (!stopped && ring.length > 0 && gate.open) {
        const frame = ring.shift()!;
        gate.take();
        frame.index = stats.emitted++;
        subscriber.next(frame);
      }
      if (stopped) return;
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
        let current: Uint8Array | undefined;
        let filled = 0;
        let firstByteAt = 0;
        let lastByteAt = performance.now();
        let endReason: string | undefined;
        let fatal: SegStreamError | undefined;
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
            if (w !== info.width || h !== info.height) {
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
          if (stopped) return; // drained until ffmpeg exits; nothing more is counted
          const now = performance.now();
          lastByteAt = now;
          let offset = 0;
          while (offset < chunk.length) {
            if (!current) {
              current = spare.pop() ?? new Uint8Array(frameBytes);
              filled = 0;
              firstByteAt = now;
            }
            const take = Math.min(chunk.length - offset, frameBytes - filled);
            current.set(chunk.subarray(offset, offset + take), filled);
            filled += take;
            offset += take;
            if (filled === frameBytes) {
              if (frames === 0) onFirstFrame();
              frames++;
              streamStart ??= now;
              lastArrival = now;
              const frame: LiveFrame = {
                index: -1,
                sourceIndex: stats.received++,
                arrivalMs: now,
                pts: (now - streamStart) / 1000,
                width: info.width,
                height: info.height,
                format: 'yuv420p',
                pixels: current,
                timings: { decode: now - firstByteAt },
              };
              current = undefined;
              offer(frame);
            }
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
          if (current) spare.push(current); // a partial frame is cut off with its connection
          if (spawnError) {
            fatal = new SegStreamError(ErrorCodes.FFMPEG_NOT_FOUND, `could not run ffmpeg (${spawnError.message}); set FFMPEG_PATH`, { cause: spawnError });
          }
          const tail = scrub(proc.stderrTail());
          const reason = endReason ?? (code === 0 ? 'the stream ended' : classify(tail).reason + (signal ? ` (${signal})` : ''));
          resolve({ frames, reason, fatal });
        });
      });

    const run = async () => {
      const info = options.info ?? (await probeLiveStream(url, { ...o, ffprobe: options.ffprobe, stopSignal: stopController.signal }));
      if (stopped) return;
      o.onStatus?.({ type: 'connected', info });
      let failures = 0;
      let lostAt: number | undefined;
      let lastReason = '';
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
        if (stopped) return;
        if (end.fatal) throw end.fatal;
        if (end.frames > 0) {
          failures = 0;
          o.onStatus?.({ type: 'disconnected', reason: end.reason });
        }
        // The gap is measured from the last frame of the connection that was lost.
        lostAt ??= lastArrival ?? performance.now();
        lastReason = end.reason;
        failures++;
        if (failures > o.reconnectMax) {
          throw new SegStreamError(
            LiveErrorCodes.STREAM_LOST,
            `lost ${shown} (${lastReason}) and ${o.reconnectMax} reconnection attempts failed; check the camera and network, or allow more attempts`,
            { context: { stage: 'decode', frameIndex: stats.emitted } },
          );
        }
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
      stats.dropped += ring.length;
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
  return { received: 0, emitted: 0, dropped: 0, reconnects: 0, reconnectAttempts: 0, longestGapMs: 0 };
}
