/**
 * The public entry of a video or live run: decides whether the input is live, then runs the
 * video kind (`kind.ts`) on the run-kind contract.
 */
import { isLiveUrl } from '../../ingest/live/args.js';
import { isLiveInput } from '../../ingest/url-kind.js';
import type { VideoInfo } from '../../ingest/probe.js';
import { resolveFfmpeg } from '../../process/binaries.js';
import { runKind } from '../core/run-kind.js';
import { videoKind } from './kind.js';
import type { SegmentVideoOptions } from './options.js';
import type { RunSummary } from './summary.js';

export type { RunSummary };

/**
 * Segments a video file or live stream: writes an overlay video and/or class-id and free-space
 * masks.
 *
 * @example
 * ```ts
 * const summary = await segmentVideo({ input: 'drive.mp4', output: 'overlay.mp4' });
 * console.log(summary.fps);
 * ```
 * @throws {SegStreamError} with a stable code for every bad input, model, stream or output.
 */
export async function segmentVideo(options: SegmentVideoOptions): Promise<RunSummary> {
  // A URL is live unless it is a finite file (an http(s):// recording) or the user says otherwise.
  const live =
    typeof options?.input === 'string' &&
    isLiveUrl(options.input) &&
    (await isLiveInput(options.input, {
      live: options.live,
      ffprobe: resolveFfmpeg({ ffmpegPath: options.ffmpegPath, ffprobePath: options.ffprobePath }).ffprobe.path,
      signal: options.signal,
    }));
  return runKind(videoKind, Object.assign({}, options, { live }));
}

export type { VideoInfo };
