/**
 * The first connection to a live stream: ffprobe with retries and coded errors (see
 * {@link probeLiveStream}).
 */
import { ErrorCodes, SegStreamError } from '../../errors.js';
import { runOnce } from '../../process/run-once.js';
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
} from './args.js';
import { interpretProbe, type VideoInfo } from '../probe.js';

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
    if (o.stopSignal?.aborted)
      throw new SegStreamError(ErrorCodes.ABORTED, `stopped while connecting to ${shown}`, {
        context: { stage: 'probe' },
      });
    const args = [
      '-v',
      'error',
      ...inputArgs(options.ffprobe, url, o),
      '-print_format',
      'json',
      '-show_streams',
      '-show_format',
      '-i',
      url,
    ];
    const attemptStart = performance.now();
    // ffprobe's own socket timeout covers silence; this covers a server that trickles bytes.
    const result = await runOnce(options.ffprobe, args, {
      tool: 'ffprobe',
      stage: 'probe',
      timeoutMs: o.timeoutMs + ANALYZE_ALLOWANCE_MS + 3000,
      signal: o.stopSignal,
      scrub,
      doing: `connecting to ${shown}`,
    });
    const { context } = result;
    const stderrTail = context.stderrTail;
    if (result.code === 0) {
      const info = interpretProbe(url, result.stdout.toString('utf8'), { live: true, shown, context });
      if (info) return info;
      last = { reason: 'ffprobe found no frame size', ...context };
      continue;
    }
    const { code: fatal, reason } = classify(stderrTail, {
      elapsedMs: performance.now() - attemptStart,
      timeoutMs: o.timeoutMs,
    });
    if (fatal === LiveErrorCodes.STREAM_AUTH) {
      throw new SegStreamError(fatal, `${shown}: ${reason}; check the user name and password in the URL`, { context });
    }
    if (fatal === LiveErrorCodes.STREAM_NOT_FOUND) {
      throw new SegStreamError(fatal, `${shown}: ${reason}; check the path of the stream`, { context });
    }
    last = { reason, ...context };
  }
  if (o.stopSignal?.aborted)
    throw new SegStreamError(ErrorCodes.ABORTED, `stopped while connecting to ${shown}`, {
      context: { stage: 'probe' },
    });
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  throw new SegStreamError(
    LiveErrorCodes.STREAM_UNREACHABLE,
    `could not connect to ${shown} after ${o.connectRetries + 1} attempts in ${seconds} s (${last.reason}); check the address, port and network, or allow more retries`,
    { context: { stage: 'probe', stderrTail: last.stderrTail, command: last.command } },
  );
}
