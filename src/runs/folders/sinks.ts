/**
 * The outputs of a frame-folder run on the `Sink` interface, written in work-list order: the
 * per-frame PNG folders (class-id masks, free-space masks, KITTI road maps) and the overlay video
 * of each sequence together, then the free-space JSONL line (a frame counts as complete only once
 * its files are in place, see resume in plan.ts).
 *
 * After a failure part-way, the PNGs and the JSONL lines of the finished frames are kept (a rerun
 * resumes from them); an overlay video is dropped (a sequence's video is redone whole).
 */
import { freeSpaceLine } from '../../pixels/free-space-boundary.js';
import { writeFileAtomic } from '../../sinks/atomic-file.js';
import { VideoEncoder } from '../../sinks/video-encoder.js';
import type { RunContext } from '../context.js';
import type { Sink } from '../core/sink.js';
import type { FreeSpaceJsonl } from './jsonl-store.js';
import type { FrameOutputKind } from './outputs.js';
import type { FinishFrameResult } from './frame-tasks.js';
import type { FolderPlan, Item } from './run-state.js';
import { guarded } from './steps.js';

const nothing = (): Promise<void> => Promise.resolve();

/** The sinks of a folder run, in the order they take each frame. */
export function folderSinks(p: FolderPlan, run: RunContext): Sink<Item>[] {
  const sinks = [overlayVideosSink(p)];
  for (const kind of p.outputs!.kinds) sinks.push(pngFolderSink(p, kind, run));
  if (p.jsonl) sinks.push(freeSpaceJsonlSink(p, p.jsonl));
  return sinks;
}

/** Which bytes of a frame's finish result each PNG folder takes. */
const PNG_OF: Readonly<Record<FrameOutputKind, (r: FinishFrameResult) => Uint8Array | undefined>> = Object.freeze({
  masks: (r) => r.maskPng,
  freeSpace: (r) => r.freeSpacePng,
  kittiRoad: (r) => r.roadPng,
});

/**
 * A PNG per frame in the sequence's folder of `kind`, named after the frame (see outputs.ts),
 * written atomically: a final name only ever holds a complete file, so nothing is left to publish
 * at the end or to remove after a failure. Its write time counts as `masks`.
 */
export function pngFolderSink(p: FolderPlan, kind: FrameOutputKind, run: RunContext): Sink<Item> {
  // The frame being written: finish and abort wait for it, so no file lands after the run ended.
  let writing: Promise<unknown> = Promise.resolve();
  const settled = () => writing.then(nothing, nothing);
  return {
    open: nothing,
    write: (item) => {
      const bytes = item.job.rescore ? undefined : PNG_OF[kind](item.result!);
      if (bytes === undefined) return Promise.resolve();
      const { seq, frame } = item.job;
      const t0 = performance.now();
      const written = guarded(item, () => writeFileAtomic(p.outputs!.path(kind, seq, frame), bytes)).then(() =>
        run.clock.add('masks', performance.now() - t0),
      );
      writing = written;
      return written;
    },
    finish: settled,
    abort: settled,
  };
}

/** One overlay video per sequence (`output`), started on its first frame and finished after its last. */
export function overlayVideosSink(p: FolderPlan): Sink<Item> {
  const { opts } = p;
  const fps = Number.isInteger(opts.fps) ? { num: opts.fps, den: 1 } : { num: Math.round(opts.fps * 1000), den: 1000 };
  return {
    open: nothing,
    write: (item) => {
      const { job, result } = item;
      const video = p.videos.get(job.seq);
      if (!video || job.rescore) return Promise.resolve();
      return guarded(item, async () => {
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
      });
    },
    // Stopped or limited part-way: every video that was started is closed (playable, with the frames so far).
    finish: async () => {
      let failure: { err: unknown } | undefined;
      for (const v of p.videos.values()) await v.encoder?.finish().catch((err: unknown) => (failure ??= { err }));
      if (failure) throw failure.err;
    },
    // After a failure: a video in progress is removed (one the user had stays as it was); none is claimed as an output.
    abort: async () => {
      for (const v of p.videos.values()) {
        if (v.encoder) p.abandoned.add(v.file);
        await v.encoder?.abort().catch(() => {});
      }
    },
    onKeptFailure: 'abort',
  };
}

/** The free-space boundary of each frame, one JSON line, after its PNGs are in place; finished frames keep their lines even when the run fails. */
export function freeSpaceJsonlSink(p: FolderPlan, jsonl: FreeSpaceJsonl): Sink<Item> {
  let closing: Promise<void> | undefined;
  return {
    open: () => jsonl.open(),
    write: async ({ job, result, decoded }) => {
      const r = result!;
      if (!job.rescore && r.boundary)
        await jsonl.add(
          freeSpaceLine(job.seq.id, job.frame.stem, job.index, decoded!.width, decoded!.height, {
            boundary: r.boundary,
            freeFraction: r.freeFraction!,
          }),
        );
    },
    // Also after a failure part-way (the default policy): the file rewritten with the lines kept and new.
    // A failure to rewrite it leaves the journal, which the next run reads: no line is lost.
    finish: () => (closing ??= jsonl.finish(p.sequences).catch(() => {})),
    // Nothing written to the file itself: the journal stays for the next run to read.
    abort: () => (closing ??= jsonl.abort()),
    after: true,
  };
}
