/**
 * The numbers the preview reports (`/stats`, the event stream, the page): progress, speed,
 * latency (percentiles over the run and a per-second series over the last minutes), drops,
 * reconnects, pixel shares and the run's state. Fixed memory however long the run.
 */
import { redact } from '../process/redact.js';
import { LatencyHistogram, type LatencySummary } from '../runs/latency.js';
import type { RunPreviewStart } from '../runs/run-preview.js';
import type { PixelShares } from './paint.js';

/** The run's state as the page shows it. */
export type PreviewState = 'starting' | 'connecting' | 'running' | 'reconnecting' | 'finished' | 'failed';

/** One second of the latency series. */
export interface LatencyPoint {
  /** Seconds since the run began. */
  t: number;
  mean: number;
  max: number;
}

/** What `/stats` returns and every `stats` event carries. */
export interface PreviewSnapshot {
  state: PreviewState;
  input: string;
  live: boolean;
  frames: number;
  total?: number;
  fps: number;
  etaSeconds?: number;
  latencyMs?: LatencySummary;
  /** The last {@link SERIES_SECONDS} seconds, one point per second with frames. */
  latencySeries: LatencyPoint[];
  droppedFrames: number;
  reconnects: number;
  /** Of the most recent frame the preview looked at (only while someone watches). */
  shares?: PixelShares & { frame: number };
  error?: { code: string; message: string };
  /** The run's final summary (the same as `--json`), once it has ended. */
  summary?: unknown;
}

/** The model's classes, roles and colours as the page's legend shows them (in `/stats` and every event). */
export interface PreviewLegend {
  model: string;
  classes: { id: number; name: string; color: [number, number, number]; painted: boolean }[];
  roles: { road: number[]; vehicle: number[]; freeSpace: number[] };
  /** True when the pictures carry the free-space boundary. */
  boundary: boolean;
}

/** The legend of `run`, in the colours of `lut` (RGBA per class id, the run's palette); painted where it is opaque. */
export function legendOf(run: RunPreviewStart, lut: Uint8Array): PreviewLegend {
  const { model } = run;
  return {
    model: model.card.name,
    classes: model.card.classes.map((c, id) => ({
      id,
      name: c.name,
      color: [lut[4 * id], lut[4 * id + 1], lut[4 * id + 2]],
      painted: lut[4 * id + 3] > 0,
    })),
    roles: { road: model.roadIds, vehicle: model.vehicleIds, freeSpace: model.freeSpaceIds },
    boundary: run.freeSpace,
  };
}

/** Seconds of latency history kept for the plot. */
export const SERIES_SECONDS = 300;

/** Accumulates a run's numbers. */
export class RunStats {
  state: PreviewState = 'starting';
  input = '';
  live = false;
  total: number | undefined;
  shares: PreviewSnapshot['shares'];
  error: PreviewSnapshot['error'];
  summary: unknown;
  counters: (() => { dropped: number; reconnects: number }) | undefined;
  #frames = 0;
  #began: number | undefined;
  #ended: number | undefined;
  #latency = new LatencyHistogram();
  // Ring of per-second buckets: second number, sum, count, max.
  #sec = new Float64Array(SERIES_SECONDS).fill(-1);
  #sum = new Float64Array(SERIES_SECONDS);
  #count = new Uint32Array(SERIES_SECONDS);
  #max = new Float64Array(SERIES_SECONDS);

  /** The run is set up: what it reads (credentials removed), how many frames, its live counters; the clock starts. */
  start(run: RunPreviewStart): void {
    this.input = redact(run.input);
    this.live = run.live;
    this.total = run.total;
    this.counters = run.counters;
    this.begin();
  }

  /** The clock starts (frames follow). */
  begin(now = performance.now()): void {
    this.#began = now;
    this.state = 'running';
  }

  /** Counts a frame and its latency. */
  frameDone(latencyMs: number | undefined, now = performance.now()): void {
    this.#frames++;
    if (latencyMs === undefined || this.#began === undefined) return;
    this.#latency.add(latencyMs);
    const second = Math.floor((now - this.#began) / 1000);
    const slot = second % SERIES_SECONDS;
    if (this.#sec[slot] !== second) {
      this.#sec[slot] = second;
      this.#sum[slot] = 0;
      this.#count[slot] = 0;
      this.#max[slot] = 0;
    }
    this.#sum[slot] += latencyMs;
    this.#count[slot]++;
    if (latencyMs > this.#max[slot]) this.#max[slot] = latencyMs;
  }

  /** Stops the clock. */
  end(state: 'finished' | 'failed', now = performance.now()): void {
    this.state = state;
    this.#ended ??= now;
  }

  get frames(): number {
    return this.#frames;
  }

  /** The numbers now. */
  snapshot(now = performance.now()): PreviewSnapshot {
    const elapsed = this.#began === undefined ? 0 : ((this.#ended ?? now) - this.#began) / 1000;
    const fps = elapsed > 0 ? this.#frames / elapsed : 0;
    const live = this.counters?.();
    // Once the run has ended its summary is the truth (the same numbers as --json).
    const final = (this.summary ?? {}) as {
      frames?: number;
      fps?: number;
      latencyMs?: LatencySummary;
      droppedFrames?: number;
      reconnects?: number;
    };
    const series: LatencyPoint[] = [];
    const last = Math.floor(elapsed);
    for (let s = Math.max(0, last - SERIES_SECONDS + 1); s <= last; s++) {
      const slot = s % SERIES_SECONDS;
      if (this.#sec[slot] === s && this.#count[slot] > 0)
        series.push({ t: s, mean: round1(this.#sum[slot] / this.#count[slot]), max: round1(this.#max[slot]) });
    }
    return {
      state: this.state,
      input: this.input,
      live: this.live,
      frames: final.frames ?? this.#frames,
      total: this.total,
      fps: final.fps ?? Math.round(fps * 100) / 100,
      etaSeconds:
        this.total !== undefined && fps > 0 && this.state === 'running'
          ? Math.round(Math.max(0, (this.total - this.#frames) / fps))
          : undefined,
      latencyMs: final.latencyMs ?? (this.#latency.count > 0 ? this.#latency.summary() : undefined),
      latencySeries: series,
      droppedFrames: final.droppedFrames ?? live?.dropped ?? 0,
      reconnects: final.reconnects ?? live?.reconnects ?? 0,
      shares: this.shares,
      error: this.error,
      summary: this.summary,
    };
  }
}

function round1(v: number): number {
  return Math.round(v * 10) / 10;
}
