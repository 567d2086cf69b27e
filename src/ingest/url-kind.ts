/**
 * Whether a URL input is a live stream or a finite file. RTSP is always live. An http(s):// URL
 * is a file when ffprobe reports a finite duration (a recording on a web server or object store,
 * a presigned URL, an HLS/DASH VOD playlist): it is read like a local file, every frame, and the
 * run ends at its end. Without a duration (HLS/DASH live, MJPEG cameras) it is live. `live`
 * (`--live` / `--no-live`) overrides the guess.
 */
import { redact } from '../process/redact.js';
import { runOnce } from '../process/run-once.js';
import { isLiveUrl } from './live/args.js';

/** Options for {@link isLiveInput}. */
export interface LiveGuessOptions {
  /** The user's choice; wins over the guess. */
  live?: boolean;
  ffprobe: string;
  /** How long the duration probe may take (default 10 s); a URL that does not answer is live. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

/** True when `input` is to be read as a live stream. */
export async function isLiveInput(input: string, options: LiveGuessOptions): Promise<boolean> {
  if (!isLiveUrl(input)) return false;
  if (options.live !== undefined) return options.live;
  if (/^rtsps?:/i.test(input)) return true;
  const duration = await probeDuration(input, options);
  return !(duration !== undefined && Number.isFinite(duration) && duration > 0);
}

async function probeDuration(input: string, options: LiveGuessOptions): Promise<number | undefined> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const args = [
    '-v',
    'error',
    '-rw_timeout',
    String(timeoutMs * 1000),
    '-show_entries',
    'format=duration',
    '-of',
    'csv=p=0',
    '-i',
    input,
  ];
  const result = await runOnce(options.ffprobe, args, {
    tool: 'ffprobe',
    stage: 'probe',
    timeoutMs,
    signal: options.signal,
    scrub: redact,
  });
  if (result.code !== 0) return undefined;
  const value = Number.parseFloat(result.stdout.toString('utf8').trim());
  return Number.isFinite(value) ? value : undefined;
}
