/**
 * Decodes a video input to raw frames (I420 by default, see {@link PixelFormat}) with ffmpeg
 * through a pipe, as an RxJS Observable. I420 is what H.264 decodes to, so ffmpeg converts
 * nothing and the pipe carries half the bytes of RGB24.
 * The decoder's stdout is paused whenever the {@link InFlightGate} is full, so nothing is read
 * ahead of what the pipeline can hold.
 */
import { Observable } from 'rxjs';
import { ErrorCodes, SegStreamError } from '../errors.js';
import type { InFlightGate } from './gate.js';
import { frameByteLength } from '../pixels/yuv.js';
import { RawFrameAssembler } from './raw-frames.js';
import type { Frame, PixelFormat } from '../types.js';
import { spawnManaged, type ManagedChild } from '../process/child.js';
import { adviceFor, describeSignal, spawnFailure } from '../process/run-once.js';
import type { FileVideoInfo } from './probe.js';
import { FRAME_TIME_LOG_ARGS, showinfoFilter, type FrameTimes } from './frame-times.js';

/** Options for {@link decodeFrames}. */
export interface DecodeOptions {
  ffmpeg: string;
  info: FileVideoInfo;
  gate: InFlightGate;
  /** Stop after this many frames. */
  maxFrames?: number;
  /** Pixel format of the emitted frames (default `yuv420p`). */
  format?: PixelFormat;
  /**
   * When aborted the decoder stops reading and the Observable completes normally with the
   * frames already emitted (a graceful stop); errors are reported through the Observable.
   */
  stopSignal?: AbortSignal;
  /** Called with the running ffmpeg (for CPU accounting). */
  onSpawn?: (child: ManagedChild) => void;
  /**
   * Source timestamps: frames get their own pts (seconds from the first frame, gaps kept) and
   * error lines are counted here. Without it frames are stamped index / frame rate.
   */
  frameTimes?: FrameTimes;
  /**
   * Start at this time, in seconds from the start of the file as ffmpeg's `-ss` counts it (a
   * source key frame for a chunk of a long video: the frames are exactly those a whole-file
   * decode gives from there). Frame indices and times still start at 0.
   */
  seekSeconds?: number;
}

/**
 * ffmpeg arguments that decode the first video stream to raw `format` frames (default `yuv420p`:
 * I420 with `ceil(w/2) x ceil(h/2)` chroma planes, also for odd sizes), one output frame per input frame. `seekSeconds`: see {@link DecodeOptions.seekSeconds}
 * (an input seek, so ffmpeg jumps to the key frame and drops any frame before that time).
 */
export function decoderArgs(input: string, maxFrames?: number, format: PixelFormat = 'yuv420p', timingFilter?: string, seekSeconds?: number): string[] {
  const log = timingFilter ? FRAME_TIME_LOG_ARGS : ['-loglevel', 'error'];
  const seek = seekSeconds === undefined ? [] : ['-ss', seekSeconds.toFixed(6)];
  const args = ['-hide_banner', '-nostdin', ...log, ...seek, '-i', input, '-map', '0:v:0', '-an', '-sn', '-dn'];
  if (timingFilter) args.push('-vf', timingFilter);
  // passthrough: never duplicate or drop frames to fit a rate; the output rate is set at encode.
  args.push('-vsync', 'passthrough');
  if (maxFrames !== undefined) args.push('-frames:v', String(maxFrames));
  args.push('-f', 'rawvideo', '-pix_fmt', format, 'pipe:1');
  return args;
}

/**
 * Emits the frames of `info.input` in order. Each frame takes a slot of `gate`; the consumer
 * releases it when the frame has left the pipeline.
 */
export function decodeFrames(options: DecodeOptions): Observable<Frame> {
  const { info, gate } = options;
  const format = options.format ?? 'yuv420p';
  const frameBytes = frameByteLength(format, info.width, info.height);
  const frameSeconds = info.fps.den / info.fps.num;
  return new Observable<Frame>((subscriber) => {
    const times = options.frameTimes;
    const child = spawnManaged(options.ffmpeg, decoderArgs(info.input, options.maxFrames, format, times && showinfoFilter(options.ffmpeg), options.seekSeconds), { stdout: 'pipe', onStderrLine: times?.onLine });
    let stderrDone = !times;
    let lastPts = -frameSeconds;
    child.process.stderr!.once('close', () => {
      stderrDone = true;
      if (options.stopSignal?.aborted) finish();
      else if (!stopped) emitReady();
    });
    options.onSpawn?.(child);
    const stdout = child.process.stdout!;
    const frames = new RawFrameAssembler(frameBytes);
    let index = 0;
    const pending: Buffer[] = [];
    let pendingOffset = 0;
    let stopped = false;
    let ended = false;

    // A whole frame that waits for a gate slot or for its time line.
    let ready: Uint8Array | undefined;

    const emitReady = () => {
      while (!stopped) {
        if (!ready) {
          if (pending.length === 0) break;
          const chunk = pending[0]!;
          const { offset, frame: pixels } = frames.fill(chunk, pendingOffset);
          if (offset === chunk.length) {
            pending.shift();
            pendingOffset = 0;
          } else pendingOffset = offset;
          ready = pixels;
          if (!ready) continue;
        }
        if (!gate.open) {
          stdout.pause();
          gate.onRelease(emitReady);
          return;
        }
        let pts = times ? times.shift() : index * frameSeconds;
        if (pts === undefined) {
          if (!stderrDone) {
            // The frame's time line is on its way (logged before the frame was written).
            stdout.pause();
            times!.onNext(emitReady);
            return;
          }
          pts = lastPts + frameSeconds;
        }
        lastPts = pts;
        gate.take();
        const frame: Frame = { index, pts, width: info.width, height: info.height, format, pixels: ready };
        ready = undefined;
        index++;
        subscriber.next(frame);
      }
      if (!stopped) {
        if (ended) finish();
        else stdout.resume();
      }
    };

    let finishing = false;
    const finish = () => {
      if (finishing) return;
      finishing = true;
      void child.exited.then(({ code, signal }) => {
        if (stopped) return;
        stopped = true;
        if (options.stopSignal?.aborted) {
          subscriber.complete();
        } else if (code !== 0) {
          const tail = child.stderrTail();
          subscriber.error(
            new SegStreamError(
              ErrorCodes.DECODE_FAILED,
              signal
                ? `ffmpeg decoding the input was ${describeSignal(signal)} after ${index} frames; ${adviceFor('ffmpeg', signal)}`
                : `ffmpeg could not decode the input after ${index} frames (exit code ${code}): ${tail.split('\n').pop() ?? ''}`,
              { context: { stage: 'decode', frameIndex: index, stderrTail: tail, command: child.command } },
            ),
          );
        } else if (index === 0) {
          subscriber.error(
            new SegStreamError(ErrorCodes.NO_FRAMES, `ffmpeg decoded no frames from the input`, {
              context: { stage: 'decode', stderrTail: child.stderrTail(), command: child.command },
            }),
          );
        } else {
          // A trailing partial frame means the stream ended mid-frame; it is dropped, never padded.
          subscriber.complete();
        }
      });
    };

    stdout.on('data', (chunk: Buffer) => {
      pending.push(chunk);
      emitReady();
    });
    stdout.once('end', () => {
      ended = true;
      // A frame may still wait for its time line; emitReady finishes once nothing is left.
      if (options.stopSignal?.aborted) finish();
      else if (!stopped) emitReady();
    });
    child.process.once('error', (err) => {
      if (stopped) return;
      stopped = true;
      subscriber.error(spawnFailure('ffmpeg', err));
    });

    const onStop = () => {
      pending.length = 0;
      pendingOffset = 0;
      ready = undefined;
      void child.kill(1000);
      if (!ended) stdout.resume();
    };
    options.stopSignal?.addEventListener('abort', onStop, { once: true });

    return () => {
      stopped = true;
      options.stopSignal?.removeEventListener('abort', onStop);
      stdout.removeAllListeners('data');
      void child.kill(1000);
    };
  });
}
