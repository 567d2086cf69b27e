/**
 * The temporal step of a run over several frame sequences (frame folders, evaluation): one
 * {@link TemporalStage} per sequence. Frames are given in work-list order, so each sequence's
 * frames arrive in order; a frame that does not follow its predecessor in the sequence (skipped on
 * resume, beyond `--frames`) starts a new stretch instead of being compared or smoothed with it.
 */
import type { EngineOutput, EngineRunOptions, LoadedModel } from '../infer/types.js';
import { TemporalStage } from './stage.js';
import type { StabilitySummary } from './stability.js';

interface Open {
  stage: TemporalStage;
  /** Index in the sequence of the last frame processed. */
  last: number;
}

/** Per-sequence temporal state of a run; a finished sequence keeps its summary only. */
export class SequenceTemporal<K> {
  readonly #open = new Map<K, Open>();
  readonly #done = new Map<K, StabilitySummary>();
  readonly #runOptions: Pick<EngineRunOptions, 'scores' | 'argmax'>;

  /**
   * @param inputLayout the engine's input layout
   * @param smooth smoothing strength (0 or undefined: per-frame outputs, only measured)
   */
  constructor(
    readonly model: LoadedModel,
    readonly inputLayout: 'NCHW' | 'NHWC',
    readonly smooth?: number,
  ) {
    // A stage made only for its options (this also checks `smooth`).
    this.#runOptions = new TemporalStage(model, inputLayout, smooth).runOptions;
  }

  /** Extra options for `engine.run` (see {@link TemporalStage.runOptions}). */
  get runOptions(): Pick<EngineRunOptions, 'scores' | 'argmax'> {
    return this.#runOptions;
  }

  /** Remembers the source luma of frame `item` of sequence `seq` (before its input is moved to the engine). */
  noteInput(seq: K, item: object, input: Float32Array): void {
    this.#stage(seq).stage.noteInput(item, input);
  }

  /**
   * Measures (and smooths) frame `index` of `seq` in place; call in the sequence's order. `last`:
   * the sequence has no more frames in this run (its state is dropped, its summary kept).
   */
  process(seq: K, index: number, item: object, output: EngineOutput, last: boolean): void {
    const open = this.#stage(seq);
    open.stage.process(item, output, index === open.last + 1);
    open.last = index;
    if (last) {
      this.#done.set(seq, open.stage.summary());
      this.#open.delete(seq);
    }
  }

  /** The stability of `seq` so far; undefined when no pair of consecutive frames was compared. */
  summary(seq: K): StabilitySummary | undefined {
    const s = this.#done.get(seq) ?? this.#open.get(seq)?.stage.summary();
    return s && s.pairs > 0 ? s : undefined;
  }

  #stage(seq: K): Open {
    let open = this.#open.get(seq);
    if (!open)
      this.#open.set(seq, (open = { stage: new TemporalStage(this.model, this.inputLayout, this.smooth), last: -2 }));
    return open;
  }
}
