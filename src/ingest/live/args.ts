/**
 * The connection side of live sources, shared by {@link probeLiveStream} and {@link liveFrames}:
 * which inputs are live, the connect options with their defaults and validation, retry pacing,
 * credential scrubbing, the ffmpeg/ffprobe input arguments, and the reading of a failed
 * connection's stderr.
 */
import { spawnSync } from 'node:child_process';
import { ErrorCodes, invalidOption } from '../../errors.js';
import { redact } from '../../process/redact.js';
import type { VideoInfo } from '../probe.js';

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

/** Something that happened to the connection. */
export type LiveStatus =
  | { type: 'connected'; info: VideoInfo }
  | { type: 'disconnected'; reason: string }
  | { type: 'reconnecting'; attempt: number; delayMs: number; reason: string }
  | { type: 'reconnected'; attempt: number; gapMs: number }
  /** The stream came back at another frame size and the source goes on at it (`onSizeChange: 'follow'`). */
  | { type: 'resized'; width: number; height: number; previous: { width: number; height: number } };

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

/** Defaults of {@link LiveConnectOptions} and {@link LiveSourceOptions}. */
export const LIVE_SOURCE_DEFAULTS = Object.freeze({
  transport: 'tcp',
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
export const ANALYZE_ALLOWANCE_MS = 2000;

export type Resolved = Required<Omit<LiveConnectOptions, 'stopSignal' | 'onStatus'>> &
  Pick<LiveConnectOptions, 'stopSignal' | 'onStatus'>;

export function resolveConnect(o: LiveConnectOptions): Resolved {
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
    connectRetries: positive(
      'connectRetries',
      o.connectRetries,
      Number.isFinite(reconnectMax) ? reconnectMax : d.firstConnectRetries,
      true,
    ),
    stopSignal: o.stopSignal,
    onStatus: o.onStatus,
  };
}

/** Backoff before retry number `attempt` (1-based). */
export function backoff(o: Resolved, attempt: number): number {
  return Math.min(o.reconnectDelayMaxMs, o.reconnectDelayMs * 2 ** Math.min(attempt - 1, 30));
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
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

/** Removes the URL's credentials from `text`: `scheme://user:pass@` forms and the bare secrets. */
export function scrubber(url: string): (text: string) => string {
  const secrets = new Set<string>();
  const m = /^[a-z][a-z0-9+.-]*:\/\/([^/?#]*)@/i.exec(url);
  if (m) {
    // A user name that the rest of the URL shows anyway (a path /cam/stream for user cam) is not
    // scrubbed as a bare word: it would cut the path out of every message and hide nothing.
    const visible = safeDecode(redact(url));
    const [user, ...password] = m[1].split(':');
    const parts = [m[1], ...password, ...(password.length > 0 ? [password.join(':')] : [])];
    if (!visible.includes(safeDecode(user)) && !visible.includes(user)) parts.push(user);
    for (const part of parts) {
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

export function inputArgs(binary: string, url: string, o: Resolved): string[] {
  const args: string[] = [];
  if (/^rtsps?:/i.test(url))
    args.push('-rtsp_transport', /^rtsps:/i.test(url) ? 'tcp' : o.transport, '-allowed_media_types', 'video');
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
export function liveDecoderArgs(
  binary: string,
  url: string,
  width: number,
  height: number,
  options: LiveConnectOptions = {},
): string[] {
  const o = resolveConnect(options);
  return [
    '-hide_banner',
    '-nostdin',
    '-nostats',
    '-loglevel',
    'info',
    ...inputArgs(binary, url, o),
    '-flags',
    'low_delay',
    '-fpsprobesize',
    '0',
    '-analyzeduration',
    String(ANALYZE_US),
    '-i',
    url,
    '-map',
    '0:v:0',
    '-an',
    '-sn',
    '-dn',
    // A fixed output size keeps the pipe framed if the stream changes size mid-connection.
    '-vf',
    `scale=${width}:${height}`,
    '-vsync',
    'passthrough',
    '-f',
    'rawvideo',
    '-pix_fmt',
    'yuv420p',
    'pipe:1',
  ];
}

/**
 * Classifies a failed connection from ffmpeg/ffprobe's stderr. `waited` (how long the attempt ran
 * and its socket timeout, in ms) tells a server that accepted the connection but never answered,
 * which ffmpeg reports as "Invalid data found when processing input", from a malformed stream.
 */
export function classify(
  stderr: string,
  waited?: { elapsedMs: number; timeoutMs: number },
): { code?: string; reason: string } {
  const last = stderr.trim().split('\n').pop()?.trim() ?? '';
  // Phrases, not bare numbers: a port such as :404 appears in the echoed URL.
  if (/\b401 Unauthorized|\b403 Forbidden|authorization failed/i.test(stderr))
    return { code: LiveErrorCodes.STREAM_AUTH, reason: 'the server refused the credentials (401 Unauthorized)' };
  if (/\b404 Not Found/i.test(stderr))
    return { code: LiveErrorCodes.STREAM_NOT_FOUND, reason: 'the server has no stream at that path (404 Not Found)' };
  if (/Connection refused/i.test(stderr)) return { reason: 'connection refused' };
  if (/timed out|timeout/i.test(stderr)) return { reason: 'connection timed out' };
  if (waited && waited.elapsedMs >= waited.timeoutMs * 0.9 && /Invalid data found/i.test(last)) {
    return { reason: `connection timed out: the server sent nothing for ${(waited.timeoutMs / 1000).toFixed(1)} s` };
  }
  return { reason: last || 'ffmpeg exited without a frame' };
}
