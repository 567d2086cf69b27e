/**
 * The outputs of a video or live run on the `Sink` interface: the overlay video (one encoder, or
 * parts of a live camera that changes size), the class-id and free-space PNG folders, the
 * per-frame stats file and the live preview.
 */
import type { PngDirectory } from '../../sinks/png-directory.js';
import type { StatsFile } from '../../sinks/stats-file.js';
import type { OverlaySink } from '../../sinks/live-video-parts.js';
import type { RunPreview } from '../run-preview.js';
import type { StageClock } from '../stats.js';
import type { FrameItem } from '../core/frame-steps.js';
import type { Sink } from '../core/sink.js';
import type { VideoFrame } from './frame.js';

type Item = FrameItem<VideoFrame>;
const nothing = (): Promise<void> => Promise.resolve();

/** The overlay video. `trim()` at finish: seconds to cut the carried-over audio to (a stopped file run), else undefined. */
export function overlaySink(encoder: OverlaySink, trim: () => number | undefined): Sink<Item> {
  return {
    open: nothing,
    write: (item) => encoder.write(item.frame.pixels, item.frame),
    finish: () => encoder.finish(trim()),
    abort: () => encoder.abort(),
  };
}

/** A PNG per frame (`png` picks the item's mask), written atomically; its write time counts as `masks`. */
export function pngSink(dir: PngDirectory, png: (item: Item) => Uint8Array | undefined, clock: StageClock): Sink<Item> {
  return {
    open: nothing,
    write: async (item) => {
      const bytes = png(item);
      if (bytes === undefined) return;
      const t0 = performance.now();
      await dir.write(item.frame.index, bytes);
      clock.add('masks', performance.now() - t0);
    },
    finish: nothing,
    abort: nothing,
  };
}

/** When each frame left the other sinks: the latency the stats file and the preview report. */
export interface FrameTimer {
  /** `performance.now()` of the moment the frame left the sinks (set by {@link doneSink}). */
  doneAt: number;
}

/** Marks when a frame left the sinks before it (first of the `after` sinks). */
export function doneSink(timer: FrameTimer): Sink<Item> {
  return {
    open: nothing,
    write: async () => void (timer.doneAt = performance.now()),
    finish: nothing,
    abort: nothing,
    after: true,
  };
}

/** One line per frame: place, time, latency, drops so far. */
export function statsSink(file: StatsFile, timer: FrameTimer, wallStart: number, dropped: () => number): Sink<Item> {
  return {
    open: nothing,
    write: (item) => {
      const { frame } = item;
      const arrival = frame.arrivalMs ?? timer.doneAt;
      return file.write({
        index: frame.index,
        sourceIndex: frame.sourceIndex ?? frame.index,
        pts: frame.pts,
        arrivalUnixMs: Math.round(wallStart + arrival),
        latencyMs: Math.round((timer.doneAt - arrival) * 10) / 10,
        droppedSoFar: dropped(),
      });
    },
    finish: () => file.close(),
    abort: () => file.close().catch(() => {}),
    after: true,
  };
}

/** The live preview: the frame's latency and the (overlaid) frame itself. */
export function previewSink(preview: RunPreview, timer: FrameTimer, overlaid: boolean): Sink<Item> {
  return {
    open: nothing,
    write: async ({ frame }) => {
      preview.frameDone(timer.doneAt - (frame.arrivalMs ?? timer.doneAt));
      preview.offerFrame({ ...frame, overlaid });
    },
    finish: nothing,
    abort: nothing,
    after: true,
  };
}
