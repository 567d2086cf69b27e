/**
 * Raw frames out of ffmpeg's rawvideo pipe: stdout arrives in chunks of any size, and frames are
 * `frameBytes` each. The file decoder and the live source both cut their chunks into frames here.
 */

/** Assembles fixed-size frames from chunks, copying each byte once. */
export class RawFrameAssembler {
  #current: Uint8Array | undefined;
  #filled = 0;

  /**
   * @param frameBytes bytes per frame
   * @param allocate gives the buffer for the next frame (e.g. a recycled one); default a new one
   */
  constructor(
    readonly frameBytes: number,
    private readonly allocate: () => Uint8Array = () => new Uint8Array(frameBytes),
  ) {}

  /**
   * Copies bytes of `chunk` from `offset` into the frame being assembled, up to the end of the
   * chunk or of the frame, whichever comes first.
   *
   * @returns where the chunk's unread bytes start, and the frame when this call completed one
   */
  fill(chunk: Uint8Array, offset = 0): { offset: number; frame?: Uint8Array } {
    this.#current ??= this.allocate();
    const take = Math.min(chunk.length - offset, this.frameBytes - this.#filled);
    this.#current.set(chunk.subarray(offset, offset + take), this.#filled);
    this.#filled += take;
    if (this.#filled < this.frameBytes) return { offset: offset + take };
    const frame = this.#current;
    this.#current = undefined;
    this.#filled = 0;
    return { offset: offset + take, frame };
  }

  /** Drops the unfinished frame (a stream that ended mid-frame) and returns its buffer for reuse. */
  discard(): Uint8Array | undefined {
    const partial = this.#current;
    this.#current = undefined;
    this.#filled = 0;
    return partial;
  }
}
