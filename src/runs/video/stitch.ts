/**
 * Joins the overlays of a chunked run ({@link planChunks}, `segmentVideo({ range })`) into the
 * file a one-machine run writes: the parts concatenated without re-encoding (ffmpeg's concat
 * demuxer, stream copy), the source's audio muxed once with the same codec policy as the
 * overlay encoder, faststart, written under a temporary name and renamed.
 * docs/fleet.md "Chunked runs of a long video".
 */
import { rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ErrorCodes, SegStreamError, invalidOption, isSegStreamError } from '../../errors.js';
import { probeVideo, type FileVideoInfo } from '../../ingest/probe.js';
import { resolveFfmpeg } from '../../process/binaries.js';
import { isFfmpeg44OrLater } from '../../process/binary-choice.js';
import { childError, exitText, lastLine, runOnce } from '../../process/run-once.js';
import { trackTemporary, untrackTemporary } from '../../process/temp-files.js';
import { assertWritableFile, removeQuietly, temporaryPathFor } from '../../sinks/atomic-file.js';
import { assertOutputsSafe, writeTargetOf } from '../../sinks/output-identity.js';
import { WRITE_FAILED, mp4AudioCodec } from '../../sinks/video-encoder.js';
import type { Rational } from '../../types.js';

/** Options of {@link stitchVideo}. */
export interface StitchVideoOptions {
  /** The chunk overlays, in chunk order (each written by `segmentVideo({ range, output })`). */
  parts: string[];
  /** The source video file the chunks were cut from: its audio goes into the result. */
  input: string;
  /** The joined overlay (MP4); an existing file is replaced only when the join succeeded. */
  output: string;
  /** Carry the input's audio over (default true, as `segmentVideo`). */
  audio?: boolean;
  /**
   * Frames in each part, in order (the chunks' `frames`). Given, the parts are not probed one by
   * one (about 0.1-0.3 s each) and the result must hold their sum.
   */
  partFrames?: number[];
  /** Fail unless the result holds exactly this many frames (e.g. the plan's `frames`). */
  frames?: number;
  /** Explicit ffmpeg / ffprobe binaries (else FFMPEG_PATH / FFPROBE_PATH, packages, PATH). */
  ffmpegPath?: string;
  ffprobePath?: string;
  signal?: AbortSignal;
}

/** What {@link stitchVideo} wrote. */
export interface StitchResult {
  /** Absolute path of the joined overlay. */
  output: string;
  /** Video frames in it (counted). */
  frames: number;
  /** Number of parts joined. */
  parts: number;
  /** Codecs of the source audio streams carried over (empty: none). */
  audio: string[];
}

/**
 * Joins `parts` into `output` and adds the audio of `input`.
 *
 * @example
 * ```ts
 * const plan = await planChunks('drive.mp4', { chunkSeconds: 300 });
 * const parts = plan.chunks.map((c) => `part-${c.index}.mp4`);
 * for (const c of plan.chunks) await segmentVideo({ input: 'drive.mp4', output: parts[c.index], range: c });
 * await stitchVideo({ parts, input: 'drive.mp4', output: 'overlay.mp4', frames: plan.frames });
 * ```
 * @throws {SegStreamError} `INVALID_OPTION` for bad options (an output that is the
 *   input or a part); `INPUT_NOT_FOUND` for a missing part; the probe's input errors;
 *   `OUTPUT_UNWRITABLE`; `ENCODE_FAILED` when ffmpeg cannot join the parts or the frame count
 *   differs from `frames`; `ABORTED` when `signal` stops it.
 */
export async function stitchVideo(options: StitchVideoOptions): Promise<StitchResult> {
  const { parts, input, output } = options ?? ({} as StitchVideoOptions);
  if (
    !Array.isArray(parts) ||
    parts.length === 0 ||
    parts.some((p) => typeof p !== 'string' || p === '' || /[\r\n]/.test(p))
  ) {
    throw invalidOption('parts', 'a non-empty list of overlay file paths (without line breaks)', parts);
  }
  if (typeof input !== 'string' || input === '') throw invalidOption('input', 'the source video file', input);
  if (typeof output !== 'string' || output === '') throw invalidOption('output', 'an MP4 file path', output);
  if (options.frames !== undefined && !(Number.isInteger(options.frames) && options.frames > 0))
    throw invalidOption('frames', 'an integer > 0', options.frames);
  const given = options.partFrames;
  if (
    given !== undefined &&
    !(Array.isArray(given) && given.length === parts.length && given.every((n) => Number.isInteger(n) && n > 0))
  ) {
    throw invalidOption('partFrames', `${parts.length} integers > 0 (one per part)`, given);
  }
  const bins = resolveFfmpeg({ ffmpegPath: options.ffmpegPath, ffprobePath: options.ffprobePath });
  assertOutputsSafe(input, [{ option: 'output', path: output, kind: 'file' }]);
  for (const part of parts) assertOutputsSafe(part, [{ option: 'output', path: output, kind: 'file' }]);
  await assertWritableFile(output, 'output');
  if (!isFfmpeg44OrLater(bins.ffmpeg.path)) {
    throw new SegStreamError(
      ErrorCodes.FFMPEG_NOT_FOUND,
      `joining chunk overlays needs ffmpeg 4.4 or later (its setts filter keeps every frame on the exact time grid), but ${bins.ffmpeg.path} is older: install ffmpeg on PATH or set FFMPEG_PATH`,
    );
  }
  const source = await probeVideo(input, { ffprobe: bins.ffprobe.path, signal: options.signal });
  const audio = options.audio === false ? [] : source.audioCodecs;
  const partFrames =
    given ?? (await mapBounded(parts, 4, (part) => checkPart(part, source, bins.ffprobe.path, options.signal)));
  const expected = options.frames ?? (given ? given.reduce((a, b) => a + b, 0) : undefined);

  const target = writeTargetOf(output);
  const list = temporaryPathFor(`${target}.ffconcat`);
  const temporary = temporaryPathFor(target);
  trackTemporary(list);
  trackTemporary(temporary);
  try {
    await writeFile(
      list,
      concatList(parts.map((file, i) => ({ file, seconds: (partFrames[i] * source.fps.den) / source.fps.num }))),
    );
    const args = stitchArgs({ list, input, audio, fps: source.fps }, temporary);
    const result = await runOnce(bins.ffmpeg.path, args, {
      tool: 'ffmpeg',
      stage: 'encode',
      signal: options.signal,
      doing: 'joining the chunk overlays',
    });
    if (result.aborted)
      throw new SegStreamError(ErrorCodes.ABORTED, 'stopped while joining the chunk overlays', {
        context: result.context,
      });
    const tail = result.context.stderrTail;
    if (result.code !== 0 || WRITE_FAILED.test(tail)) {
      throw childError(
        ErrorCodes.ENCODE_FAILED,
        `could not join the ${parts.length} chunk overlays (${exitText(result.code, result.signal)}): ${lastLine(tail)}`,
        result,
      );
    }
    const frames = (await probeVideo(temporary, { ffprobe: bins.ffprobe.path, signal: options.signal })).frames!;
    if (expected !== undefined && frames !== expected) {
      throw new SegStreamError(
        ErrorCodes.ENCODE_FAILED,
        `the joined overlay has ${frames} frames but ${expected} were expected: a part is missing, repeated or incomplete; run its chunk again`,
      );
    }
    try {
      await rename(temporary, target);
    } catch (cause) {
      throw new SegStreamError(
        ErrorCodes.OUTPUT_UNWRITABLE,
        `could not move the joined video to ${JSON.stringify(output)}`,
        { cause },
      );
    }
    return { output: path.resolve(output), frames, parts: parts.length, audio };
  } finally {
    await removeQuietly(list);
    await removeQuietly(temporary);
    untrackTemporary(list);
    untrackTemporary(temporary);
  }
}

/**
 * An ffconcat script naming `parts` (absolute, single-quoted; `'` written as `'\''`), each with
 * its exact duration: without it the demuxer takes the MP4 header's, rounded to the millisecond,
 * and every part after the first would start up to a millisecond off.
 */
export function concatList(parts: { file: string; seconds: number }[]): string {
  const quote = (p: string) => `'${path.resolve(p).replace(/'/g, `'\\''`)}'`;
  return `ffconcat version 1.0\n${parts.map((p) => `file ${quote(p.file)}\nduration ${p.seconds.toFixed(6)}\n`).join('')}`;
}

/**
 * Probes one part: it must be a readable video at the source's size and exact rate (a chunk
 * overlay of this input). Returns its frame count.
 */
async function checkPart(part: string, source: FileVideoInfo, ffprobe: string, signal?: AbortSignal): Promise<number> {
  let info: FileVideoInfo;
  try {
    info = await probeVideo(part, { ffprobe, signal });
  } catch (err) {
    if (isSegStreamError(err, ErrorCodes.INPUT_NOT_FOUND))
      throw new SegStreamError(
        ErrorCodes.INPUT_NOT_FOUND,
        `chunk overlay ${JSON.stringify(part)} does not exist; run its chunk first`,
        { cause: err },
      );
    throw err;
  }
  const { fps } = source;
  const even = (n: number) => n + (n % 2);
  if (
    info.fps.num * fps.den !== fps.num * info.fps.den ||
    info.width !== even(source.width) ||
    info.height !== even(source.height)
  ) {
    throw invalidOption(
      'parts',
      `overlays of this input (${even(source.width)}x${even(source.height)} at ${fps.num}/${fps.den} fps)`,
      `${part} (${info.width}x${info.height} at ${info.fps.num}/${info.fps.den} fps)`,
    );
  }
  return info.frames!;
}

/** What {@link stitchArgs} needs. */
export interface StitchPlan {
  /** The ffconcat script. */
  list: string;
  /** The source video, for its audio. */
  input: string;
  /** Codecs of the audio streams to carry over (empty: none). */
  audio: string[];
  /** The parts' frame rate: every timestamp is put back on its grid (ffmpeg's `setts` filter, 4.4+). */
  fps: Rational;
}

/** ffmpeg arguments that join the parts listed in `plan.list` into MP4 `target`. */
export function stitchArgs(plan: StitchPlan, target: string): string[] {
  const args = ['-hide_banner', '-nostdin', '-loglevel', 'error', '-y', '-f', 'concat', '-safe', '0', '-i', plan.list];
  if (plan.audio.length > 0) args.push('-i', plan.input);
  args.push('-map', '0:v:0');
  if (plan.audio.length > 0) args.push('-map', '1:a?', '-c:a', mp4AudioCodec(plan.audio));
  // The concat demuxer offsets each part by the previous parts' durations in whole
  // microseconds; at rates like 30000/1001 that rounding adds up to a tick off the frame grid
  // after a few dozen parts. Rounding every timestamp to the nearest frame slot undoes it (no
  // commas: -bsf takes a comma-separated list; MP4 packets always carry both times).
  const { num, den } = plan.fps;
  const snap = (ts: string) => `round(${ts}*TB*${num}/${den})*${den}/(TB*${num})`;
  args.push('-c:v', 'copy', '-bsf:v', `setts=pts=${snap('PTS')}:dts=${snap('DTS')}`);
  args.push('-movflags', '+faststart', '-f', 'mp4', target);
  return args;
}

/** `fn` over `items`, at most `limit` at a time, results in order. */
async function mapBounded<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = [];
  for (let i = 0; i < items.length; i += limit) results.push(...(await Promise.all(items.slice(i, i + limit).map(fn))));
  return results;
}
