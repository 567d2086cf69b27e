/**
 * Latency percentiles over a run of any length with constant memory: a histogram of 1 ms bins
 * up to 60 s (longer latencies land in the last bin and in `max`).
 */
const BINS = 60_000;

/** Latency summary in milliseconds. */
export interface LatencySummary {
  p50: number;
  p95: number;
  max: number;
  mean: number;
}

/** Accumulates latencies (ms) in fixed memory. */
export class LatencyHistogram {
  #bins = new Uint32Array(BINS);
  #count = 0;
  #sum = 0;
  #max = 0;

  add(ms: number): void {
    const v = Math.max(0, ms);
    this.#bins[Math.min(BINS - 1, Math.floor(v))]++;
    this.#count++;
    this.#sum += v;
    if (v > this.#max) this.#max = v;
  }

  get count(): number {
    return this.#count;
  }

  /** The value below which `q` (0..1) of the samples fall, to 1 ms. */
  quantile(q: number): number {
    if (this.#count === 0) return 0;
    const rank = Math.ceil(q * this.#count);
    let seen = 0;
    for (let i = 0; i < BINS; i++) {
      seen += this.#bins[i];
      if (seen >= rank) return Math.min(i + 1, this.#max);
    }
    return this.#max;
  }

  summary(): LatencySummary {
    const r = (v: number) => Math.round(v * 10) / 10;
    return {
      p50: r(this.quantile(0.5)),
      p95: r(this.quantile(0.95)),
      max: r(this.#max),
      mean: r(this.#count ? this.#sum / this.#count : 0),
    };
  }
}
