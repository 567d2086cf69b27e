/**
 * The ordered outputs of a frame-folder run on the `Sink` interface: the overlay video of each
 * sequence and the free-space JSONL. (Mask PNGs are written atomically by the finish step, out of
 * order, so a frame's files are in place before its JSONL line says it is complete.)
 */
import { freeSpaceLine } from '../../pixels/free-space-boundary.js';
import { VideoEncoder } from '../../sinks/video-encoder.js';
import type { Sink } from '../core/sink.js';
import type { FreeSpaceJsonl } from './jsonl-store.js';
import type { FolderPlan, Item } from './run-state.js';

const nothing = (): Promise<void> => Promise.resolve();

/** One overlay video per sequence (`-o`), started on its first frame and finished after its last. */
export function overlayVideosSink(p: FolderPlan): Sink<Item> {
  const { opts } = p;
  const fps = Number.isInteger(opts.fps) ? { num: opts.fps, den: 1 } : { num: Math.round(opts.fps * 1000), den: 1000 };
  return {
    open: nothing,
    write: async ({ job, result }) => {
      const video = p.videos.get(job.seq);
      if (!video) return;
      if (result!.video) {
        video.encoder ??= new VideoEncoder({
          ffmpeg: p.ffmpeg,
          output: video.file,
          width: video.width,
          height: video.height,
          fps,
          crf: opts.crf,
          preset: opts.preset,
          padToEven: true,
          pixelFormat: 'rgb24',
        });
        await video.encoder.write(result!.video);
      }
      if (job.last) await video.encoder?.finish();
    },
    // Stopped or limited part-way: every video that was started is closed (playable, with the frames so far).
    finish: async () => {
      let failure: { err: unknown } | undefined;
      for (const v of p.videos.values()) await v.encoder?.finish().catch((err: unknown) => (failure ??= { err }));
      if (failure) throw failure.err;
    },
    // After a failure: never claimed as outputs.
    abort: async () => {
      for (const v of p.videos.values()) {
        if (v.encoder) p.abandoned.add(v.file);
        await v.encoder?.abort().catch(() => {});
      }
    },
  };
}

/** The free-space boundary of each frame, one JSON line; finished frames keep their lines even when the run fails. */
export function freeSpaceJsonlSink(p: FolderPlan, jsonl: FreeSpaceJsonl): Sink<Item> {
  let closing: Promise<void> | undefined;
  const close = () => (closing ??= jsonl.finish(p.sequences).catch(() => {}));
  return {
    open: nothing,
    write: async ({ job, result, decoded }) => {
      const r = result!;
      if (r.boundary)
        await jsonl.add(
          freeSpaceLine(job.seq.id, job.frame.stem, job.index, decoded!.width, decoded!.height, {
            boundary: r.boundary,
            freeFraction: r.freeFraction!,
          }),
        );
    },
    finish: close,
    abort: close,
  };
}
