/**
 * Run statistics: per-stage milliseconds per frame, fps, peak memory; and the JSON summary
 * every run can print.
 */
import type { StageName } from '../types.js';

/** Per-stage milliseconds per frame. */
export type StageMs = Record<StageName, number>;

/** Accumulates per-stage time. */
export class StageClock {
  #total: Record<StageName, number> = { decode: 0, preprocess: 0, infer: 0, render: 0, encode: 0, masks: 0 };
  #frames = 0;
  #peakRss = 0;
  #sampler: NodeJS.Timeout | undefined;

  /** Adds `ms` to `stage`. */
  add(stage: StageName, ms: number): void {
    this.#total[stage] += ms;
  }

  /** Replaces a stage's total (for stages measured as a whole, e.g. a child's CPU time). */
  set(stage: StageName, ms: number): void {
    this.#total[stage] = ms;
  }

  /** Counts a finished frame. */
  frameDone(): void {
    this.#frames++;
  }

  get frames(): number {
    return this.#frames;
  }

  /** Samples resident memory every 250 ms until {@link stopSampling}. */
  startSampling(): void {
    this.sampleRss();
    this.#sampler = setInterval(() => this.sampleRss(), 250);
    this.#sampler.unref();
  }

  stopSampling(): void {
    if (this.#sampler) clearInterval(this.#sampler);
    this.#sampler = undefined;
    this.sampleRss();
  }

  sampleRss(): void {
    const rss = process.memoryUsage.rss();
    if (rss > this.#peakRss) this.#peakRss = rss;
  }

  /** Peak resident set size of this process in MiB (worker threads included; ffmpeg children not). */
  get peakRssMB(): number {
    return Math.round((this.#peakRss / 2 ** 20) * 10) / 10;
  }

  /** Milliseconds per frame for each stage, rounded to 0.01. */
  perFrame(): StageMs {
    const n = Math.max(1, this.#frames);
    const out = {} as StageMs;
    for (const [stage, total] of Object.entries(this.#total) as [StageName, number][])
      out[stage] = Math.round((total / n) * 100) / 100;
    return out;
  }
}

/** Progress of a run, reported to `onProgress`. */
export interface Progress {
  /** Frames that have left the pipeline. */
  frames: number;
  /** Frames expected in all (undefined for live or unknown-length inputs). */
  total?: number;
  /** Frames per second since the start. */
  fps: number;
  /** Seconds to go at the current speed, when the total is known. */
  etaSeconds?: number;
  /** Live streams: frames dropped as stale so far. */
  dropped?: number;
}

/**
 * A throttled progress callback: at most every 100 ms, and always when `final` is set.
 * `total` undefined (live or unknown length) leaves the ETA out.
 */
export function progressReporter(
  onProgress: ((p: Progress) => void) | undefined,
  total: number | undefined,
  started: number,
  dropped?: () => number,
) {
  let last = 0;
  return (frames: number, final: boolean): void => {
    if (!onProgress) return;
    const now = performance.now();
    if (!final && now - last < 100) return;
    last = now;
    const fps = frames / Math.max(1e-3, (now - started) / 1000);
    const etaSeconds = total !== undefined && fps > 0 ? Math.max(0, (total - frames) / fps) : undefined;
    onProgress({ frames, total, fps, etaSeconds, ...(dropped ? { dropped: dropped() } : {}) });
  };
}
