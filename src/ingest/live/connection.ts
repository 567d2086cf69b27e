/**
 * One ffmpeg connection to a live stream: spawns the decoder, reads whole frames from its stdout,
 * watches for a stall (no bytes for `timeoutMs`) and a changed frame size, and says how it ended.
 * The reconnect loop around it is in `source.ts`.
 */
import { SegStreamError } from '../../errors.js';
import { frameByteLength } from '../../pixels/yuv.js';
import { spawnManaged, type ManagedChild } from '../../process/child.js';
import { spawnFailure } from '../../process/run-once.js';
import type { VideoInfo } from '../probe.js';
import { RawFrameAssembler } from '../raw-frames.js';
import { ANALYZE_ALLOWANCE_MS, LiveErrorCodes, classify, liveDecoderArgs, type Resolved } from './args.js';
import type { FrameRing } from './ring.js';
import type { LiveSourceOptions } from './types.js';

const WATCHDOG_TICK_MS = 100;

const INPUT_SIZE = /Input #0[\s\S]*?Stream #0:\d+[^\n]*?: Video: [^\n]*?\b(\d{1,5})x(\d{1,5})\b/;

/** A frame size. */
export interface Size {
  width: number;
  height: number;
}

/** How one connection ended. */
export interface ConnectionEnd {
  frames: number;
  reason: string;
  fatal?: SegStreamError;
  /** The size the stream now has, when it changed and the source follows it. */
  resized?: Size;
}

/** What a connection needs from its source. */
export interface ConnectionHost {
  readonly options: LiveSourceOptions;
  readonly connect: Resolved;
  readonly ring: FrameRing;
  /** Removes credentials from a text. */
  scrub(text: string): string;
  /** False once the source wants no more frames (stopped, or a limit reached). */
  wantsFrames(): boolean;
  /** False once the source has stopped. */
  running(): boolean;
  /** A whole frame arrived at `now` (`performance.now()`); `first` for the connection's first frame. */
  frame(pixels: Uint8Array, now: number, info: VideoInfo, first: boolean): void;
}

/** Runs ffmpeg once for a stream of `info`'s size; {@link ended} resolves when it has exited. */
export class LiveConnection {
  readonly proc: ManagedChild;
  readonly ended: Promise<ConnectionEnd>;
  private frames = 0;
  private lastByteAt = performance.now();
  private paused = false;
  private done = false;
  private endReason: string | undefined;
  private fatal: SegStreamError | undefined;
  private resized: Size | undefined;
  private readonly assembler: RawFrameAssembler;

  constructor(
    private readonly host: ConnectionHost,
    private readonly info: VideoInfo,
  ) {
    const { options, connect, ring } = host;
    const frameBytes = frameByteLength('yuv420p', info.width, info.height);
    this.assembler = new RawFrameAssembler(frameBytes, () => ring.buffer(frameBytes));
    const args = liveDecoderArgs(options.ffmpeg, options.url, info.width, info.height, connect);
    this.proc = spawnManaged(options.ffmpeg, args, { stdout: 'pipe', stderrLines: 30 });
    options.onSpawn?.(this.proc);
    let spawnError: Error | undefined;
    this.proc.process.once('error', (e) => (spawnError = e));
    watchInputSize(this.proc, (size) => this.checkSize(size));
    this.proc.process.stdout!.on('data', (chunk: Buffer) => this.read(chunk));
    const watchdog = setInterval(() => this.watch(), WATCHDOG_TICK_MS);
    watchdog.unref();
    this.ended = this.proc.exited.then(({ code, signal }) => {
      clearInterval(watchdog);
      return this.end(code, signal, spawnError);
    });
  }

  /** Reads on after a pause (see {@link FrameRing.full}). */
  resume(): void {
    if (this.done || !this.paused) return;
    this.paused = false;
    this.lastByteAt = performance.now();
    this.proc.process.stdout!.resume();
  }

  private read(chunk: Buffer): void {
    if (!this.host.running() || this.resized || !this.host.wantsFrames()) return; // drained until ffmpeg exits; nothing more is counted
    const now = performance.now();
    this.lastByteAt = now;
    let offset = 0;
    while (offset < chunk.length) {
      const filled = this.assembler.fill(chunk, offset);
      offset = filled.offset;
      if (!filled.frame) continue;
      this.host.frame(filled.frame, now, this.info, this.frames++ === 0);
    }
    if (this.host.ring.full && this.host.running()) {
      this.paused = true;
      this.proc.process.stdout!.pause();
    }
  }

  /** The first size ffmpeg reports: another size than the connection's is followed or fatal. */
  private checkSize({ width: w, height: h }: Size): void {
    const { info, host } = this;
    if (w === info.width && h === info.height) return;
    if (host.options.onSizeChange === 'follow') {
      // Reopened at the new size; nothing more is read from this connection (its frames would be scaled).
      this.resized = { width: w, height: h };
    } else {
      this.fatal = new SegStreamError(
        LiveErrorCodes.STREAM_CHANGED,
        `${host.scrub(host.options.url)} now sends ${w}x${h} frames but started as ${info.width}x${info.height}; restart to process the new size`,
        { context: { stage: 'decode', command: host.scrub(this.proc.command) } },
      );
    }
    void this.proc.kill(500);
  }

  /** Ends a connection that sent nothing for too long (longer before its first frame). */
  private watch(): void {
    if (this.paused || !this.host.running() || this.endReason) return;
    const timeoutMs = this.host.connect.timeoutMs;
    const limit = this.frames === 0 ? timeoutMs + ANALYZE_ALLOWANCE_MS : timeoutMs;
    if (performance.now() - this.lastByteAt > limit) {
      this.endReason =
        this.frames === 0
          ? `no frame within ${(limit / 1000).toFixed(1)} s`
          : `no data for ${(timeoutMs / 1000).toFixed(1)} s`;
      void this.proc.kill(1000);
    }
  }

  private end(code: number | null, signal: NodeJS.Signals | null, spawnError: Error | undefined): ConnectionEnd {
    this.done = true;
    this.paused = false;
    const partial = this.assembler.discard(); // a partial frame is cut off with its connection
    if (partial) this.host.ring.recycle(partial);
    if (spawnError) this.fatal = spawnFailure('ffmpeg', spawnError);
    const tail = this.host.scrub(this.proc.stderrTail());
    const reason =
      this.endReason ?? (code === 0 ? 'the stream ended' : classify(tail).reason + (signal ? ` (${signal})` : ''));
    return { frames: this.frames, reason, fatal: this.fatal, resized: this.resized };
  }
}

/** Calls `onSize` once with the video size in ffmpeg's input report (gives up after 64 KiB of stderr). */
function watchInputSize(proc: ManagedChild, onSize: (size: Size) => void): void {
  let text = '';
  let checked = false;
  proc.process.stderr!.on('data', (chunk: string) => {
    if (checked) return;
    text += chunk;
    const m = INPUT_SIZE.exec(text);
    if (m) {
      checked = true;
      text = '';
      onSize({ width: Number(m[1]), height: Number(m[2]) });
    } else if (text.length > 65536) {
      checked = true;
    }
  });
}
