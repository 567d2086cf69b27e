/**
 * A bounded free list of frame buffers of one size. A decoder takes the buffer of each new frame
 * from it, and the run gives the frame's buffer back once every stage and sink is done with its
 * bytes (the encoder has written them). Frames then stop being fresh 0.8 MB allocations: a
 * buffer that leaves for a worker and comes back is the same memory under a new view, so the
 * main thread's external memory stays flat instead of growing by a frame per frame until a full
 * garbage collection.
 */

/** See the module comment. */
export class FrameBuffers {
  readonly #free: Uint8Array[] = [];
  #allocated = 0;

  /**
   * @param frameBytes bytes of every buffer
   * @param max buffers kept for reuse at most (e.g. the frames allowed in flight); more given back are left to the garbage collector
   */
  constructor(
    readonly frameBytes: number,
    readonly max: number,
  ) {
    if (!Number.isSafeInteger(frameBytes) || frameBytes < 1)
      throw new RangeError(`frameBytes must be a positive integer, got ${frameBytes}`);
    if (!Number.isSafeInteger(max) || max < 0) throw new RangeError(`max must be a non-negative integer, got ${max}`);
  }

  /** Buffers waiting for reuse. */
  get free(): number {
    return this.#free.length;
  }

  /** Buffers made new so far (the rest were reused). */
  get allocated(): number {
    return this.#allocated;
  }

  /** A buffer of `frameBytes` bytes: a given-back one when there is one, else a new one. Its old contents are not cleared. */
  take(): Uint8Array {
    const reused = this.#free.pop();
    if (reused) return reused;
    this.#allocated++;
    return new Uint8Array(this.frameBytes);
  }

  /**
   * Gives a buffer back for reuse. Only a view that spans its whole, non-shared, attached buffer
   * of `frameBytes` is kept (a moved, detached or foreign view is ignored), and at most `max`.
   * The caller must not touch `pixels` afterwards.
   */
  give(pixels: Uint8Array): void {
    const owns =
      pixels.buffer instanceof ArrayBuffer &&
      pixels.byteOffset === 0 &&
      pixels.byteLength === this.frameBytes &&
      pixels.buffer.byteLength === this.frameBytes;
    if (owns && this.#free.length < this.max && !this.#free.includes(pixels)) this.#free.push(pixels);
  }

  /** Drops every kept buffer. */
  clear(): void {
    this.#free.length = 0;
  }
}
