/**
 * The per-topic file outputs of a log run: class-id and free-space PNGs named by header stamp
 * with a `frames.jsonl` beside them (index, stamp, log time, mask name), per-frame stats and
 * free-space boundary JSONL, and an overlay video per camera whose frames keep their log times
 * (variable frame rate: each frame's presentation time is its log time from the topic's first).
 */
import path from 'node:path';
import { freeSpaceLine } from '../../../pixels/free-space-boundary.js';
import { ensureWritableDir, assertWritableFile, writeFileAtomic } from '../../../sinks/atomic-file.js';
import { VideoEncoder } from '../../../sinks/video-encoder.js';
import type { Sink } from '../../core/sink.js';
import { eachSink } from '../../core/sink.js';
import type { LogFrameOutput } from '../log-frame.js';
import { maskName } from '../outputs.js';
import { JsonlFile } from './jsonl-file.js';

/** Paths of one topic's outputs (already expanded). */
export interface TopicFilePaths {
  masks?: string;
  freeSpace?: string;
  stats?: string;
  freeSpaceJson?: string;
  video?: string;
}

/** How overlay videos are encoded. */
export interface TopicVideoOptions {
  ffmpeg: string;
  crf: number;
  preset: string;
}

/** One topic's files. */
class TopicSink implements Sink<LogFrameOutput> {
  #frames: JsonlFile | undefined;
  #stats: JsonlFile | undefined;
  #boundary: JsonlFile | undefined;
  #encoder: VideoEncoder | undefined;
  #firstLogTime: bigint | undefined;
  /** Frames of another size than the topic's first, left out of its video. */
  videoSkipped = 0;

  constructor(
    readonly topic: string,
    readonly paths: TopicFilePaths,
    readonly video: TopicVideoOptions,
  ) {}

  async open(): Promise<void> {
    const { masks, freeSpace, stats, freeSpaceJson, video } = this.paths;
    if (masks) await ensureWritableDir(masks, 'masks');
    if (freeSpace) await ensureWritableDir(freeSpace, 'freeSpace');
    const index = masks ?? freeSpace;
    if (index) this.#frames = new JsonlFile(path.join(index, 'frames.jsonl'), masks ? 'masks' : 'freeSpace');
    for (const [file, option] of [
      [stats, 'stats'],
      [freeSpaceJson, 'freeSpaceJson'],
      [video, 'output'],
    ] as const) {
      if (file) {
        await ensureWritableDir(path.dirname(path.resolve(file)), option);
        await assertWritableFile(file, option);
      }
    }
    if (stats) this.#stats = new JsonlFile(stats, 'stats');
    if (freeSpaceJson) this.#boundary = new JsonlFile(freeSpaceJson, 'freeSpaceJson');
  }

  async write(out: LogFrameOutput): Promise<void> {
    const { source: s } = out;
    const name = maskName(s.stampNs);
    await Promise.all([
      out.maskPng && this.paths.masks ? writeFileAtomic(path.join(this.paths.masks, name), out.maskPng) : undefined,
      out.freeSpacePng && this.paths.freeSpace
        ? writeFileAtomic(path.join(this.paths.freeSpace, name), out.freeSpacePng)
        : undefined,
      out.overlay && this.paths.video ? this.#videoFrame(out) : undefined,
    ]);
    await this.#frames?.write({
      index: s.seq,
      stampNs: s.stampNs,
      logTimeNs: s.logTimeNs,
      frameId: s.frameId,
      mask: name,
    });
    await this.#stats?.write({
      topic: s.topic,
      index: s.seq,
      no: out.no,
      stampNs: s.stampNs,
      logTimeNs: s.logTimeNs,
      width: out.width,
      height: out.height,
    });
    if (this.#boundary && out.boundary)
      await this.#boundary.write({
        topic: s.topic,
        stampNs: s.stampNs,
        ...freeSpaceLine(s.topic, String(s.stampNs), s.seq, out.width, out.height, {
          boundary: out.boundary,
          freeFraction: out.freeFraction ?? 0,
        }),
      });
  }

  async #videoFrame(out: LogFrameOutput): Promise<void> {
    this.#firstLogTime ??= out.source.logTimeNs;
    this.#encoder ??= new VideoEncoder({
      ffmpeg: this.video.ffmpeg,
      output: this.paths.video!,
      width: out.width,
      height: out.height,
      fps: { num: 30, den: 1 },
      crf: this.video.crf,
      preset: this.video.preset,
      padToEven: true,
      pixelFormat: 'rgb24',
      timing: 'stamped',
    });
    if (out.width !== this.#encoder.options.width || out.height !== this.#encoder.options.height) {
      this.videoSkipped++;
      return;
    }
    await this.#encoder.write(out.overlay!, { pts: Number(out.source.logTimeNs - this.#firstLogTime) / 1e9 });
  }

  /** The overlay video, when one was started. */
  get videoFile(): string | undefined {
    return this.#encoder ? this.paths.video : undefined;
  }

  async finish(): Promise<void> {
    await eachSink(
      [this.#encoder, this.#frames, this.#stats, this.#boundary].filter((s) => s !== undefined).map(asSink),
      (s) => s.finish(),
    );
  }

  async abort(): Promise<void> {
    await Promise.all([this.#encoder?.abort(), this.#frames?.abort(), this.#stats?.abort(), this.#boundary?.abort()]);
  }
}

function asSink(s: { finish(): Promise<void>; abort(): Promise<void> }): Sink<never> {
  return { open: async () => {}, write: async () => {}, finish: () => s.finish(), abort: () => s.abort() };
}

/** Every topic's files, one {@link Sink}: frames go to their topic's files. */
export class TopicFiles implements Sink<LogFrameOutput> {
  readonly topics: Map<string, TopicSink>;

  constructor(paths: Map<string, TopicFilePaths>, video: TopicVideoOptions) {
    this.topics = new Map([...paths].map(([topic, p]) => [topic, new TopicSink(topic, p, video)]));
  }

  async open(): Promise<void> {
    for (const t of this.topics.values()) await t.open();
  }

  async write(out: LogFrameOutput): Promise<void> {
    await this.topics.get(out.source.topic)?.write(out);
  }

  finish(): Promise<void> {
    return eachSink([...this.topics.values()], (t) => t.finish());
  }

  async abort(): Promise<void> {
    await Promise.all([...this.topics.values()].map((t) => t.abort()));
  }
}
