/**
 * The first connection to a live stream: ffprobe with retries and coded errors (see
 * {@link probeLiveStream}).
 */
import { ErrorCodes, SegStreamError } from '../errors.js';
import { spawnManaged } from '../util/child.js';
import {
  ANALYZE_ALLOWANCE_MS,
  LiveErrorCodes,
  backoff,
  classify,
  inputArgs,
  resolveConnect,
  scrubber,
  sleep,
  type LiveConnectOptions,
} from './live-args.js';
import { chooseFrameRate, parseRational, type VideoInfo } from './probe.js';

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
    const attemptStart = performance.now();
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
    const { code: fatal, reason } = classify(stderrTail, { elapsedMs: performance.now() - attemptStart, timeoutMs: o.timeoutMs });
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
