/**
 * Bounds the number of frames between the decoder and the sinks. The decoder takes a slot per
 * frame and pauses when none is free; the last stage gives the slot back. This is what keeps
 * memory flat however long the input is.
 */
export class InFlightGate {
  readonly limit: number;
  #inFlight = 0;
  #peak = 0;
  #waiters: (() => void)[] = [];

  constructor(limit: number) {
    if (!Number.isInteger(limit) || limit < 1)
      throw new RangeError(`in-flight limit must be a positive integer, got ${limit}`);
    this.limit = limit;
  }

  /** Frames currently between decoder and sinks. */
  get inFlight(): number {
    return this.#inFlight;
  }

  /** Highest number of frames in flight seen so far. */
  get peak(): number {
    return this.#peak;
  }

  /** True when another frame may enter. */
  get open(): boolean {
    return this.#inFlight < this.limit;
  }

  /** Takes a slot. Callers check {@link open} first; taking past the limit is a bug. */
  take(): void {
    if (this.#inFlight >= this.limit) throw new Error('InFlightGate.take() past the limit');
    this.#inFlight++;
    if (this.#inFlight > this.#peak) this.#peak = this.#inFlight;
  }

  /** Gives a slot back and wakes one waiter. */
  release(): void {
    if (this.#inFlight === 0) throw new Error('InFlightGate.release() without take()');
    this.#inFlight--;
    const waiter = this.#waiters.shift();
    waiter?.();
  }

  /** Calls `fn` once, the next time a slot is released. */
  onRelease(fn: () => void): void {
    this.#waiters.push(fn);
  }

  /** Drops pending wake-ups (on stop). */
  clear(): void {
    this.#waiters = [];
  }
}
