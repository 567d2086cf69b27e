/**
 * The overlay video sink: raw frames (I420 by default, so x264 gets them without a conversion) into ffmpeg's stdin, H.264 yuv420p with faststart so
 * browsers play it, at the source's exact frame rate, with the source's audio carried over.
 * Written under a temporary name and renamed when ffmpeg has finished.
 */
import { rename } from 'node:fs/promises';
import { setPriority } from 'node:os';
import { ErrorCodes, SegStreamError, invalidOption } from '../errors.js';
import type { PixelFormat, Rational } from '../types.js';
import { spawnManaged, type ManagedChild } from '../process/child.js';
import { adviceFor, describeSignal, spawnFailure } from '../process/run-once.js';
import { removeQuietly, temporaryPathFor } from './atomic-file.js';
import { SegmentFiles } from './segment-files.js';
import { trackTemporary, untrackTemporary } from '../process/temp-files.js';
import { trimToDuration } from './trim-audio.js';
import { FrameStamps } from './frame-stamps.js';

/** What ffmpeg logs when the output could not be written, although it may still exit 0. */
export const WRITE_FAILED = /Error writing trailer|Error closing file|No space left on device|Disk quota exceeded/;

/** Audio codecs the MP4 muxer takes as they are; others are re-encoded to AAC. */
const MP4_AUDIO_COPY = new Set(['aac', 'mp3', 'ac3', 'eac3', 'alac']);

/** How the source's audio goes into the MP4: copied when every stream's codec fits, else AAC. */
export function mp4AudioCodec(codecs: string[]): 'copy' | 'aac' {
  return codecs.every((c) => MP4_AUDIO_COPY.has(c)) ? 'copy' : 'aac';
}

/** Options for {@link VideoEncoder}. */
export interface VideoEncoderOptions {
  ffmpeg: string;
  output: string;
  width: number;
  height: number;
  /** Frame rate of the output; required for files, optional for live (frames are stamped on arrival). */
  fps?: Rational;
  /** x264 constant rate factor (default 23). */
  crf?: number;
  /** x264 preset (default `veryfast`). */
  preset?: string;
  /**
   * CPU priority of the encoder process, as a nice value (default 10: below the pipeline's own
   * threads). The encoder always has frames queued, while inference is one thread on the critical
   * path; letting inference go first and the encoder fill the gaps measured ~6 % faster on the
   * dashcam clip (bench/video-e2e.mjs). 0 keeps the encoder at the pipeline's priority.
   */
  nice?: number;
  /** Carry the audio of this input over (when it has any). */
  audio?: { input: string; codecs: string[]; maxSeconds?: number };
  /** Pad odd sizes to even with black rows/columns (H.264 4:2:0 needs even sizes). */
  padToEven?: boolean;
  /** Pixel format of the frames given to `write` (default `yuv420p`, which needs no conversion). */
  pixelFormat?: PixelFormat;
  /**
   * Live mode: each frame is stamped with the time it reaches the encoder (variable frame rate,
   * so drops and reconnect gaps keep real timing: the last frame is held through a gap), and the
   * file is a fragmented MP4 with a key frame every 2 s, playable even if the process is killed.
   */
  live?: boolean;
  /**
   * Cut the output into self-contained MP4 files of about this many seconds (`-o live.mp4` →
   * `live-00000.mp4`, `live-00001.mp4`, …), each renamed into place as soon as it is complete.
   */
  segmentSeconds?: number;
  /** Number of the first segment (default 0): a live run that changes size continues its numbering. */
  segmentStartNumber?: number;
  /**
   * Files: how frames keep their source time (`write`'s `pts`). `fill`: a constant-rate source
   * stays at its exact rate; a gap (frames that could not be decoded) is filled by holding the
   * previous frame, so what follows stays in sync with the audio. `stamped`: each frame carries
   * its own timestamp (variable-frame-rate sources). Default: frames are simply consecutive.
   */
  timing?: 'fill' | 'stamped';
}

function rate(fps: Rational | undefined): string {
  if (!fps) throw invalidOption('fps', 'the frame rate of a file input', fps);
  return `${fps.num}/${fps.den}`;
}

/** Where a frame sits: its size and its source time in seconds from the first frame. */
export interface FramePlace {
  width?: number;
  height?: number;
  pts?: number;
}

/** ffmpeg arguments for the overlay encoder. */
export function encoderArgs(options: VideoEncoderOptions, target: string): string[] {
  const { width, height, fps } = options;
  const args = ['-hide_banner', '-nostdin', '-loglevel', 'error', '-y'];
  const stamped = options.timing === 'stamped' && !options.live;
  if (stamped) args.push('-f', 'matroska');
  else args.push('-f', 'rawvideo', '-pix_fmt', options.pixelFormat ?? 'yuv420p', '-s', `${width}x${height}`);
  // Live: arrival stamps need a fine time base (rawvideo's is 1/framerate), or frames that
  // arrive close together share a timestamp and the muxer drops one.
  if (options.live) args.push('-framerate', '1000000', '-use_wallclock_as_timestamps', '1');
  else if (!stamped) args.push('-framerate', rate(fps));
  args.push('-i', 'pipe:0');
  const audio = options.audio && options.audio.codecs.length > 0 ? options.audio : undefined;
  if (audio) {
    if (audio.maxSeconds !== undefined) args.push('-t', audio.maxSeconds.toFixed(6));
    args.push('-i', audio.input);
  }
  args.push('-map', '0:v:0');
  if (audio) {
    args.push('-map', '1:a?');
    args.push('-c:a', mp4AudioCodec(audio.codecs));
  }
  if (options.padToEven && (width % 2 || height % 2)) args.push('-vf', 'pad=ceil(iw/2)*2:ceil(ih/2)*2');
  args.push(
    '-c:v',
    'libx264',
    '-preset',
    options.preset ?? 'veryfast',
    '-crf',
    String(options.crf ?? 23),
    '-pix_fmt',
    'yuv420p',
  );
  const fragmented = 'frag_keyframe+empty_moov+default_base_moof';
  if (options.segmentSeconds !== undefined) {
    const t = options.segmentSeconds;
    // Key frames where segments start, so every segment is exactly as long as asked and opens cleanly.
    args.push('-force_key_frames', `expr:gte(t,n_forced*${t})`);
    if (!options.live && !stamped) args.push('-r', rate(fps));
    else args.push('-vsync', 'passthrough');
    args.push('-f', 'segment', '-segment_time', String(t), '-reset_timestamps', '1', '-segment_format', 'mp4');
    if (options.segmentStartNumber) args.push('-segment_start_number', String(options.segmentStartNumber));
    args.push(
      '-segment_format_options',
      `movflags=+${fragmented}`,
      '-segment_list',
      'pipe:1',
      '-segment_list_type',
      'flat',
      target,
    );
  } else if (options.live) {
    // A key frame every 2 s: by frame count at the stream's declared rate, by time when it declares none.
    if (fps) args.push('-g', String(Math.max(1, Math.round((2 * fps.num) / fps.den))));
    else args.push('-force_key_frames', 'expr:gte(t,n_forced*2)');
    args.push('-vsync', 'passthrough', '-movflags', `+${fragmented}`, '-f', 'mp4', target);
  } else if (stamped) {
    args.push('-vsync', 'passthrough', '-movflags', '+faststart', '-f', 'mp4', target);
  } else {
    args.push('-r', rate(fps), '-movflags', '+faststart', '-f', 'mp4', target);
  }
  return args;
}

/**
 * Encodes frames as they arrive. `write` resolves when ffmpeg has taken the frame (stdin
 * back-pressure); `finish` closes the input, waits for the file and renames it into place;
 * `abort` kills ffmpeg and removes the temporary file. Both are idempotent.
 */
export class VideoEncoder {
  readonly output: string;
  readonly temporary: string;
  readonly child: ManagedChild;
  /** Segment mode: renames finished segments into place. */
  readonly segments: SegmentFiles | undefined;
  #failure: SegStreamError | undefined;
  #closing: Promise<void> | undefined;
  #frames = 0;
  /** Writes waiting for ffmpeg to take their bytes (ended by its exit too). */
  readonly #writing = new Set<() => void>();

  constructor(readonly options: VideoEncoderOptions) {
    this.output = options.output;
    this.segments = options.segmentSeconds !== undefined ? new SegmentFiles(options.output) : undefined;
    this.temporary = this.segments
      ? this.segments.pattern
      : temporaryPathFor(options.output, options.live ? 'recording' : 'partial');
    trackTemporary(
      this.temporary,
      this.segments
        ? { family: this.segments.family }
        : options.live
          ? { keep: 'the live recording so far (fragmented MP4, playable)' }
          : {},
    );
    this.child = spawnManaged(options.ffmpeg, encoderArgs(options, this.temporary), {
      stdin: 'pipe',
      stdout: this.segments ? 'pipe' : 'ignore',
    });
    // Set before ffmpeg starts its encoder threads, which inherit it. Best effort: a platform that
    // refuses leaves the default priority.
    const nice = options.nice ?? 10;
    if (nice !== 0 && this.child.process.pid !== undefined) {
      try {
        setPriority(this.child.process.pid, nice);
      } catch {
        // not permitted here: keep the default priority
      }
    }
    if (this.segments) this.segments.follow(this.child.process.stdout!);
    const stdin = this.child.process.stdin!;
    // EPIPE when ffmpeg dies early: the exit code and stderr say why.
    stdin.on('error', () => {});
    this.child.process.once('error', (err) => {
      this.#failure ??= spawnFailure('ffmpeg', err);
    });
    void this.child.exited.then(({ code, signal }) => {
      for (const done of [...this.#writing]) done();
      if (code !== 0 && !this.#closing)
        this.#failure ??= this.#error(
          signal
            ? `ffmpeg encoder was ${describeSignal(signal)}; ${adviceFor('ffmpeg', signal)}`
            : `ffmpeg encoder stopped early (exit code ${code})`,
        );
    });
  }

  #error(what: string): SegStreamError {
    const tail = this.child.stderrTail();
    const last = tail.split('\n').pop() ?? '';
    return new SegStreamError(ErrorCodes.ENCODE_FAILED, last ? `${what}: ${last}` : what, {
      context: { stage: 'encode', frameIndex: this.#frames, stderrTail: tail, command: this.child.command },
    });
  }

  /** Frames written so far. */
  get frames(): number {
    return this.#frames;
  }

  #stamps: FrameStamps | undefined;

  /** Frames repeated to fill gaps in a constant-rate source (`timing: 'fill'`). */
  get heldFrames(): number {
    return this.#stamps?.held ?? 0;
  }

  /**
   * Writes one frame in `pixelFormat`, shown at `at.pts` seconds (used by `timing`); resolves
   * when ffmpeg has taken its bytes, so the caller may reuse `pixels` then.
   */
  async write(pixels: Uint8Array, at?: FramePlace): Promise<void> {
    const pts = at?.pts;
    const { fps } = this.options;
    if (this.options.timing && !this.options.live && pts !== undefined && fps) {
      this.#stamps ??= new FrameStamps({ ...this.options, fps });
      for (const piece of this.#stamps.pieces(pixels, pts)) await this.#writeRaw(piece.data, piece.frame);
      return;
    }
    return this.#writeRaw(pixels, true);
  }

  async #writeRaw(pixels: Uint8Array, isFrame: boolean): Promise<void> {
    this.#throwIfFailed();
    const stdin = this.child.process.stdin!;
    if (stdin.destroyed || !stdin.writable) throw await this.#inputClosed();
    // Resolves once ffmpeg has taken these very bytes (the write's callback), not merely when
    // there is room for more: the caller may then reuse the buffer. A frame is larger than the
    // pipe's high-water mark, so waiting for 'drain' waited for the same moment.
    await new Promise<void>((resolve) => {
      const done = () => {
        this.#writing.delete(done);
        stdin.off('close', done);
        resolve();
      };
      // 'close' covers ffmpeg dying mid-wait (EPIPE destroys stdin); its exit covers anything else.
      this.#writing.add(done);
      stdin.on('close', done);
      stdin.write(pixels, () => done());
      if (isFrame) this.#frames++;
    });
    this.#throwIfFailed();
    if (stdin.destroyed) throw await this.#inputClosed();
  }

  #throwIfFailed(): void {
    if (this.#failure) throw this.#failure;
  }

  /** The error for an encoder whose input has closed: its exit status and stderr, once known. */
  async #inputClosed(): Promise<SegStreamError> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.child.exited, new Promise((r) => (timer = setTimeout(r, 5000)))]);
    clearTimeout(timer);
    return (this.#failure ??= this.#error('ffmpeg encoder closed its input'));
  }

  /**
   * Ends the input, waits for ffmpeg to write the index, renames into place. `trimSeconds` (a
   * stopped run) cuts the carried-over audio to the video written.
   */
  finish(trimSeconds?: number): Promise<void> {
    this.#closing ??= (async () => {
      this.child.process.stdin!.end();
      const exit = await this.child.exited;
      const { signal } = exit;
      // ffmpeg exits 0 even when it could not write the file's end (a full disk): its stderr says so.
      const code = exit.code === 0 && WRITE_FAILED.test(this.child.stderrTail()) ? 1 : exit.code;
      if (this.segments) {
        // Segments finished before a failure are complete files and stay; the one in progress goes.
        await this.segments.settle();
        if (this.#failure || code !== 0)
          throw (
            this.#failure ??
            this.#error(
              signal
                ? `ffmpeg encoder was ${describeSignal(signal)}; ${adviceFor('ffmpeg', signal)}`
                : `ffmpeg encoder failed (exit code ${code})`,
            )
          );
        return;
      }
      if (this.#failure || code !== 0) {
        await removeQuietly(this.temporary);
        throw (
          this.#failure ??
          this.#error(
            signal
              ? `ffmpeg encoder was ${describeSignal(signal)}; ${adviceFor('ffmpeg', signal)}`
              : `ffmpeg encoder failed (exit code ${code})`,
          )
        );
      }
      try {
        if (trimSeconds !== undefined && this.options.audio?.codecs.length)
          await trimToDuration(this.options.ffmpeg, this.temporary, trimSeconds);
      } catch (err) {
        await removeQuietly(this.temporary);
        throw err;
      }
      try {
        await rename(this.temporary, this.output);
      } catch (cause) {
        await removeQuietly(this.temporary);
        throw new SegStreamError(
          ErrorCodes.OUTPUT_UNWRITABLE,
          `could not move the finished video to ${JSON.stringify(this.output)}`,
          { cause },
        );
      }
    })().finally(() => untrackTemporary(this.temporary));
    return this.#closing;
  }

  /** Kills ffmpeg and removes the temporary file; the final name is never touched. */
  abort(): Promise<void> {
    this.#closing ??= (async () => {
      this.child.process.stdin!.destroy();
      await this.child.kill(1000);
      if (this.segments) await this.segments.settle();
      else await removeQuietly(this.temporary);
    })().finally(() => untrackTemporary(this.temporary));
    return this.#closing.catch(() => {});
  }
}
