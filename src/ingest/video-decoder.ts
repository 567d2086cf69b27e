/**
 * Decodes a video input to raw frames (I420 by default, see {@link PixelFormat}) with ffmpeg
 * through a pipe, as an RxJS Observable. I420 is what H.264 decodes to, so ffmpeg converts
 * nothing and the pipe carries half the bytes of RGB24.
 * The decoder's stdout is paused whenever the {@link InFlightGate} is full, so nothing is read
 * ahead of what the pipeline can hold.
 */
import { Socket } from 'node:net';
import type { Readable } from 'node:stream';
import { Observable, type Subscriber } from 'rxjs';
import { ErrorCodes, SegStreamError } from '../errors.js';
import type { InFlightGate } from './gate.js';
import { frameByteLength } from '../pixels/yuv.js';
import { RawFrameAssembler } from './raw-frames.js';
import { openDirectPipe } from './direct-pipe.js';
import type { FrameBuffers } from './frame-buffers.js';
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
  /**
   * Where frame buffers come from (of this decode's frame size): the consumer gives each frame's
   * `pixels` back when it is done with them. Default: a new buffer per frame.
   */
  buffers?: FrameBuffers;
}

/**
 * ffmpeg arguments that decode the first video stream to raw `format` frames (default `yuv420p`:
 * I420 with `ceil(w/2) x ceil(h/2)` chroma planes, also for odd sizes), one output frame per input frame. `seekSeconds`: see {@link DecodeOptions.seekSeconds}
 * (an input seek, so ffmpeg jumps to the key frame and drops any frame before that time).
 */
export function decoderArgs(
  input: string,
  maxFrames?: number,
  format: PixelFormat = 'yuv420p',
  timingFilter?: string,
  seekSeconds?: number,
): string[] {
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
 * releases it when the frame has left the pipeline (and, with `buffers`, gives its pixels back).
 */
export function decodeFrames(options: DecodeOptions): Observable<Frame> {
  return new Observable<Frame>((subscriber) => new FrameReader(options, subscriber).start());
}

/**
 * One decode: ffmpeg's stdout cut into frames, paced by the gate and by the frame-time lines.
 * stdout is read straight into the frame buffers where a socket pair can be made
 * (`openDirectPipe`), else through a pipe whose chunks are copied into them.
 */
class FrameReader {
  readonly #o: DecodeOptions;
  readonly #out: Subscriber<Frame>;
  readonly #format: PixelFormat;
  readonly #frameSeconds: number;
  readonly #times: FrameTimes | undefined;
  readonly #assembler: RawFrameAssembler;
  readonly #frameBytes: number;
  readonly #allocate: () => Uint8Array;
  #child: ManagedChild | undefined;
  #stdout: Readable | undefined;
  /** Direct reads: the frame being filled, its bytes so far, and whole frames not yet taken (one at most: reading pauses). */
  #current: Uint8Array | undefined;
  #filled = 0;
  readonly #whole: Uint8Array[] = [];
  /** Chunks of stdout not yet cut into frames, and where the first one's unread bytes start. */
  readonly #pending: Buffer[] = [];
  #pendingOffset = 0;
  /** A whole frame that waits for a gate slot or for its time line. */
  #ready: Uint8Array | undefined;
  #index = 0;
  #lastPts: number;
  #stderrDone: boolean;
  #stopped = false;
  #ended = false;
  #finishing = false;

  constructor(options: DecodeOptions, subscriber: Subscriber<Frame>) {
    this.#o = options;
    this.#out = subscriber;
    this.#format = options.format ?? 'yuv420p';
    const { info } = options;
    this.#frameSeconds = info.fps.den / info.fps.num;
    this.#lastPts = -this.#frameSeconds;
    this.#times = options.frameTimes;
    this.#stderrDone = !this.#times;
    const frameBytes = frameByteLength(this.#format, info.width, info.height);
    const buffers = options.buffers?.frameBytes === frameBytes ? options.buffers : undefined;
    this.#frameBytes = frameBytes;
    this.#allocate = buffers ? () => buffers.take() : () => new Uint8Array(frameBytes);
    this.#assembler = new RawFrameAssembler(frameBytes, this.#allocate);
  }

  /** Starts ffmpeg (once its output is ready) and wires its pipes; returns the teardown. */
  start(): () => void {
    const o = this.#o;
    this.#open().catch((err: unknown) => {
      // spawn itself threw (it reports most failures as an 'error' event, handled in #open).
      this.#stdout?.destroy();
      if (this.#stopped) return;
      this.#stopped = true;
      this.#out.error(err);
    });
    return () => {
      this.#stopped = true;
      o.stopSignal?.removeEventListener('abort', this.#onStop);
      this.#stdout?.removeAllListeners('data');
      if (this.#stdout instanceof Socket) this.#stdout.destroy();
      void this.#child?.kill(1000);
    };
  }

  async #open(): Promise<void> {
    const o = this.#o;
    const times = this.#times;
    const direct = await openDirectPipe(this.#directTarget, this.#directRead);
    if (this.#stopped || o.stopSignal?.aborted) {
      direct?.reader.destroy();
      direct?.childEnd.destroy();
      if (!this.#stopped) {
        this.#stopped = true;
        this.#out.complete();
      }
      return;
    }
    const args = decoderArgs(o.info.input, o.maxFrames, this.#format, times && showinfoFilter(o.ffmpeg), o.seekSeconds);
    let child: ManagedChild;
    try {
      child = this.#child = spawnManaged(o.ffmpeg, args, {
        stdout: direct ? direct.childEnd : 'pipe',
        onStderrLine: times?.onLine,
      });
    } catch (err) {
      direct?.reader.destroy();
      throw err;
    } finally {
      // The child holds its own copy of the socket: ours is closed, so the reader sees the end when ffmpeg exits.
      direct?.childEnd.destroy();
    }
    child.process.stderr!.once('close', () => {
      this.#stderrDone = true;
      this.#afterInput();
    });
    o.onSpawn?.(child);
    const stdout = (this.#stdout = direct ? direct.reader : child.process.stdout!);
    if (!direct) {
      stdout.on('data', (chunk: Buffer) => {
        this.#pending.push(chunk);
        this.#emitReady();
      });
    }
    // A socket that fails ends like a pipe that closes: the exit code then tells what happened.
    stdout.on('error', () => stdout.destroy());
    stdout.once('close', this.#onEnd);
    stdout.once('end', this.#onEnd);
    child.process.once('error', (err) => {
      direct?.reader.destroy();
      if (this.#stopped) return;
      this.#stopped = true;
      this.#out.error(spawnFailure('ffmpeg', err));
    });
    o.stopSignal?.addEventListener('abort', this.#onStop, { once: true });
  }

  readonly #onEnd = (): void => {
    if (this.#ended) return;
    this.#ended = true;
    // A frame may still wait for its time line; emitReady finishes once nothing is left.
    this.#afterInput();
  };

  /** Direct reads: where the next bytes go, the rest of the frame being filled. */
  readonly #directTarget = (): Uint8Array => {
    this.#current ??= this.#allocate();
    return this.#current.subarray(this.#filled);
  };

  /** Direct reads: `bytes` arrived; a whole frame goes to the queue (stopping: the bytes are dropped). */
  readonly #directRead = (bytes: number): boolean => {
    if (this.#stopped || this.#o.stopSignal?.aborted) return true;
    this.#filled += bytes;
    if (this.#filled < this.#frameBytes) return true;
    this.#whole.push(this.#current!);
    this.#current = undefined;
    this.#filled = 0;
    this.#emitReady(); // pauses the reader when the gate is full
    return true;
  };

  /** stdout ended or stderr closed: finish when stopped, else emit what is left. */
  #afterInput(): void {
    if (this.#o.stopSignal?.aborted) this.#finish();
    else if (!this.#stopped) this.#emitReady();
  }

  readonly #emitReady = (): void => {
    const gate = this.#o.gate;
    while (!this.#stopped) {
      this.#ready ??= this.#cutFrame();
      if (!this.#ready) break;
      if (!gate.open) {
        this.#stdout?.pause();
        gate.onRelease(this.#emitReady);
        return;
      }
      const pts = this.#nextPts();
      if (pts === undefined) return;
      gate.take();
      const { width, height } = this.#o.info;
      const frame: Frame = { index: this.#index, pts, width, height, format: this.#format, pixels: this.#ready };
      this.#ready = undefined;
      this.#index++;
      this.#out.next(frame);
    }
    if (!this.#stopped) {
      if (this.#ended) this.#finish();
      else this.#stdout?.resume();
    }
  };

  /** The next whole frame from the pending chunks, or undefined when they hold none. */
  #cutFrame(): Uint8Array | undefined {
    if (this.#whole.length > 0) return this.#whole.shift();
    while (this.#pending.length > 0) {
      const chunk = this.#pending[0];
      const { offset, frame } = this.#assembler.fill(chunk, this.#pendingOffset);
      if (offset === chunk.length) {
        this.#pending.shift();
        this.#pendingOffset = 0;
      } else this.#pendingOffset = offset;
      if (frame) return frame;
    }
    return undefined;
  }

  /**
   * The ready frame's time: its logged pts, or index / rate without frame times. Undefined when
   * its time line is still on its way (logged before the frame was written): reading pauses
   * until it comes.
   */
  #nextPts(): number | undefined {
    const times = this.#times;
    let pts = times ? times.shift() : this.#index * this.#frameSeconds;
    if (pts === undefined) {
      if (!this.#stderrDone) {
        this.#stdout?.pause();
        times!.onNext(this.#emitReady);
        return undefined;
      }
      pts = this.#lastPts + this.#frameSeconds;
    }
    this.#lastPts = pts;
    return pts;
  }

  #finish(): void {
    if (this.#finishing) return;
    this.#finishing = true;
    void this.#child!.exited.then(({ code, signal }) => {
      if (this.#stopped) return;
      this.#stopped = true;
      if (this.#o.stopSignal?.aborted) this.#out.complete();
      else if (code !== 0) this.#out.error(this.#failure(code, signal));
      else if (this.#index === 0) {
        this.#out.error(
          new SegStreamError(ErrorCodes.NO_FRAMES, `ffmpeg decoded no frames from the input`, {
            context: { stage: 'decode', stderrTail: this.#child!.stderrTail(), command: this.#child!.command },
          }),
        );
      } else {
        // A trailing partial frame means the stream ended mid-frame; it is dropped, never padded.
        this.#out.complete();
      }
    });
  }

  #failure(code: number | null, signal: NodeJS.Signals | null): SegStreamError {
    const child = this.#child!;
    const index = this.#index;
    const tail = child.stderrTail();
    return new SegStreamError(
      ErrorCodes.DECODE_FAILED,
      signal
        ? `ffmpeg decoding the input was ${describeSignal(signal)} after ${index} frames; ${adviceFor('ffmpeg', signal)}`
        : `ffmpeg could not decode the input after ${index} frames (exit code ${code}): ${tail.split('\n').pop() ?? ''}`,
      { context: { stage: 'decode', frameIndex: index, stderrTail: tail, command: child.command } },
    );
  }

  readonly #onStop = (): void => {
    this.#pending.length = 0;
    this.#pendingOffset = 0;
    this.#whole.length = 0;
    this.#ready = undefined;
    void this.#child?.kill(1000);
    if (!this.#ended) this.#stdout?.resume();
  };
}
