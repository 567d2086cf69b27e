/**
 * The frames of a live source that wait for the consumer: at most `size` of them. Newest frame
 * wins: a frame pushed into a full ring overwrites the oldest one, which is counted as dropped.
 * With `noDrop` nothing is dropped; the source pauses reading while the ring is {@link full}
 * instead (the ring may pass `size` by the frames of one stdout chunk).
 *
 * The ring also keeps the pixel buffers of frames that were dropped or cut off, so a new frame
 * reuses one instead of allocating.
 */
import type { LiveFrame, LiveStats } from './types.js';

export class FrameRing {
  private readonly frames: LiveFrame[] = [];
  private readonly spare: Uint8Array[] = [];

  constructor(
    readonly size: number,
    private readonly noDrop: boolean,
    private readonly stats: LiveStats,
  ) {}

  get length(): number {
    return this.frames.length;
  }

  /** True when reading should pause (`noDrop` only: otherwise a full ring drops its oldest frame). */
  get full(): boolean {
    return this.noDrop && this.frames.length >= this.size;
  }

  /** Adds the newest frame; without `noDrop`, drops the oldest ones past `size`. */
  push(frame: LiveFrame): void {
    this.frames.push(frame);
    while (!this.noDrop && this.frames.length > this.size) {
      const old = this.frames.shift()!;
      this.stats.dropped++;
      this.spare.push(old.pixels);
    }
  }

  /** The oldest waiting frame. */
  shift(): LiveFrame | undefined {
    return this.frames.shift();
  }

  /** Empties the ring; returns how many frames were waiting. */
  clear(): number {
    const waiting = this.frames.length;
    this.frames.length = 0;
    return waiting;
  }

  /** A buffer of `bytes` for the next frame: a recycled one when there is one. */
  buffer(bytes: number): Uint8Array {
    return this.spare.pop() ?? new Uint8Array(bytes);
  }

  /** Keeps a frame buffer that is no longer used, for {@link buffer}. */
  recycle(pixels: Uint8Array): void {
    this.spare.push(pixels);
  }

  /** Forgets the recycled buffers (the frame size changed). */
  forgetBuffers(): void {
    this.spare.length = 0;
  }
}
