/**
 * A video camera topic (`foxglove.CompressedVideo`, H.264 or H.265 Annex B access units) decoded by
 * one ffmpeg child per topic: messages are fed in order to its stdin, frames come back in the same
 * order as PPM images (self-describing size) on its stdout, each paired with the message it came from.
 * The child is the project's managed child (own process group, stderr tail, killed on exit).
 */
import { once } from 'node:events';
import { ErrorCodes, SegStreamError } from '../../errors.js';
import { spawnManaged, type ManagedChild } from '../../process/child.js';
import { lastLine } from '../../process/run-once.js';
import type { LogImageMessage } from './types.js';

/** One decoded video frame and the message that carried it. */
export interface VideoFrame {
  message: LogImageMessage;
  width: number;
  height: number;
  rgb: Uint8Array;
}

/**
 * The decoder of one video topic. Feed messages with {@link VideoTopicDecoder.push} (it waits while
 * ffmpeg's input is full), call {@link VideoTopicDecoder.end} after the last one, and consume
 * {@link VideoTopicDecoder.frames} concurrently: frames come in message order (Foxglove's video
 * messages carry no B-frames), and messages ffmpeg could not decode are counted in `undecoded`.
 *
 * @example
 * ```ts
 * const video = openVideoTopic('/cam/video', 'h264', { ffmpeg: resolveFfmpeg().ffmpeg.path });
 * const consumer = (async () => { for await (const f of video.frames()) use(f); })();
 * for await (const m of readLogImages(log, { topics: ['/cam/video'] })) await video.push(m);
 * video.end();
 * await consumer;
 * ```
 */
export class VideoTopicDecoder {
  readonly topic: string;
  readonly #child: ManagedChild;
  readonly #pending: LogImageMessage[] = [];
  #undecoded = 0;

  constructor(topic: string, codec: 'h264' | 'h265', ffmpeg: string) {
    this.topic = topic;
    const args = ['-hide_banner', '-v', 'error', '-f', codec === 'h265' ? 'hevc' : 'h264', '-i', 'pipe:0'];
    this.#child = spawnManaged(
      ffmpeg,
      [...args, '-vsync', 'passthrough', '-f', 'image2pipe', '-c:v', 'ppm', 'pipe:1'],
      { stdin: 'pipe' },
    );
    this.#child.process.stdin!.on('error', () => undefined); // EPIPE when ffmpeg stopped: reported by frames()
  }

  /** Messages fed but not (yet) decoded; after the end, those ffmpeg could not decode. */
  get undecoded(): number {
    return this.#undecoded + this.#pending.length;
  }

  /** Feeds one access unit; resolves once ffmpeg can take more. */
  async push(message: LogImageMessage): Promise<void> {
    const stdin = this.#child.process.stdin!;
    if (stdin.destroyed || stdin.writableEnded) return void this.#undecoded++;
    this.#pending.push(message);
    if (!stdin.write(message.data)) await Promise.race([once(stdin, 'drain'), this.#child.exited]);
  }

  /** No more messages: ffmpeg flushes its last frames and exits. */
  end(): void {
    this.#child.process.stdin!.end();
  }

  /** Stops the decoder now. Idempotent. */
  async destroy(): Promise<void> {
    this.#child.process.stdin!.destroy();
    await this.#child.kill();
  }

  /**
   * Decoded frames in message order until ffmpeg exits.
   *
   * @throws {SegStreamError} `SEGSTREAM_ERR_DECODE_FAILED` when ffmpeg fails (its last stderr line in the message)
   */
  async *frames(): AsyncGenerator<VideoFrame> {
    const parser = new PpmParser();
    for await (const chunk of this.#child.process.stdout! as AsyncIterable<Buffer>) {
      for (const frame of parser.push(chunk)) {
        const message = this.#pending.shift();
        if (message) yield { message, ...frame };
      }
    }
    const { code, signal } = await this.#child.exited;
    if (code !== 0) {
      const tail = this.#child.stderrTail();
      throw new SegStreamError(
        ErrorCodes.DECODE_FAILED,
        `topic ${this.topic}: the video decoder failed (${lastLine(tail) || `exit ${code ?? signal}`})`,
        {
          context: { stage: 'decode', stderrTail: tail, command: this.#child.command },
        },
      );
    }
  }
}

/** Starts the decoder of a video topic. */
export function openVideoTopic(topic: string, codec: 'h264' | 'h265', options: { ffmpeg: string }): VideoTopicDecoder {
  return new VideoTopicDecoder(topic, codec, options.ffmpeg);
}

/** Splits ffmpeg's PPM stream (`P6 <w> <h> 255`, then w*h*3 bytes) into frames; holds at most one frame. */
class PpmParser {
  #head = Buffer.alloc(0);
  #frame?: { width: number; height: number; rgb: Uint8Array; filled: number };

  *push(chunk: Buffer): Generator<{ width: number; height: number; rgb: Uint8Array }> {
    let rest = chunk;
    while (rest.length > 0) {
      if (!this.#frame) {
        this.#head = Buffer.concat([this.#head, rest]);
        const m = /^P6\s(\d+)\s(\d+)\s(\d+)\s/.exec(this.#head.subarray(0, 64).toString('latin1'));
        if (!m) {
          if (this.#head.length > 64)
            throw new SegStreamError(
              ErrorCodes.DECODE_FAILED,
              'the video decoder wrote something other than PPM frames',
            );
          return;
        }
        const [width, height] = [Number(m[1]), Number(m[2])];
        this.#frame = { width, height, rgb: new Uint8Array(width * height * 3), filled: 0 };
        rest = this.#head.subarray(m[0].length);
        this.#head = Buffer.alloc(0);
      }
      const f = this.#frame;
      const n = Math.min(rest.length, f.rgb.length - f.filled);
      f.rgb.set(rest.subarray(0, n), f.filled);
      f.filled += n;
      rest = rest.subarray(n);
      if (f.filled === f.rgb.length) {
        this.#frame = undefined;
        yield { width: f.width, height: f.height, rgb: f.rgb };
      }
    }
  }
}
