/**
 * Stability of frame sequences whose frames finish out of order (frame-folder runs): each
 * sequence's frames are held until their predecessors have been measured, then fed to its own
 * {@link StabilityMeter} in order. Frames that are not consecutive in the sequence (skipped on
 * resume, beyond `--frames`) start a new stretch instead of being compared.
 */
import type { InputSpec } from '../infer/types.js';
import { lumaChange, lumaOfInput, resizeLuma } from './luma.js';
import { StabilityMeter, type StabilitySummary } from './stability.js';

interface Held {
  luma: Uint8Array;
  classMap: Uint8Array;
  width: number;
  height: number;
}

interface SequenceState {
  meter: StabilityMeter;
  /** Frame indices processed in this run, ascending, and the position of the next one to measure. */
  order: number[];
  next: number;
  held: Map<number, Held>;
  prevLuma?: Uint8Array;
  prevIndex: number;
}

/** Stability per sequence of a run; holds at most the frames in flight. */
export class SequenceStability<K> {
  readonly #states = new Map<K, SequenceState>();

  constructor(
    readonly classNames: readonly string[],
    readonly spec: InputSpec,
    readonly layout: 'NCHW' | 'NHWC',
  ) {}

  /** Declares the frame indices of `key` this run will process, ascending. */
  expect(key: K, indices: readonly number[]): void {
    this.#states.set(key, { meter: new StabilityMeter(this.classNames), order: [...indices], next: 0, held: new Map(), prevIndex: -2 });
  }

  /** The source luma of a network input; take it before the input is moved to the engine. */
  luma(input: Float32Array): Uint8Array {
    return lumaOfInput(input, this.spec, this.layout);
  }

  /** Adds frame `index` of `key` (any order): its {@link luma} and its class map at the output size. */
  add(key: K, index: number, luma: Uint8Array, map: { classMap: Uint8Array; width: number; height: number }): void {
    const s = this.#states.get(key);
    if (!s) return;
    s.held.set(index, { luma, classMap: map.classMap.slice(), width: map.width, height: map.height });
    for (let i = s.order[s.next]; i !== undefined && s.held.has(i); i = s.order[s.next]) {
      const f = s.held.get(i)!;
      s.held.delete(i);
      s.next++;
      const luma = resizeLuma(f.luma, this.spec.width, this.spec.height, f.width, f.height);
      const consecutive = i === s.prevIndex + 1 && s.prevLuma?.length === luma.length;
      s.meter.add(f.classMap, consecutive ? lumaChange(s.prevLuma!, luma, f.width, f.height) : undefined);
      s.prevLuma = luma;
      s.prevIndex = i;
    }
  }

  /** The stability of `key` so far; undefined when no pair of consecutive frames was compared. */
  summary(key: K): StabilitySummary | undefined {
    const s = this.#states.get(key)?.meter.summary();
    return s && s.pairs > 0 ? s : undefined;
  }
}
