/**
 * The temporal step where the network runs (`EngineRunOptions.temporal`): the inference thread
 * computes each frame's source luma and change map and smooths the network's raw outputs right
 * after the model, so only the smoothed class map (and the change map, for the stability figure)
 * crosses back; the main thread, which also feeds the decoder, the encoder and the workers, does
 * none of it.
 */
import { TemporalTrack } from './temporal-track.js';
import type { Engine, EngineOutput, EngineRunOptions } from './types.js';

/** The streams an engine smooths, by `EngineRunOptions.temporal.stream`. */
export class EngineTemporal {
  readonly #tracks = new Map<number, TemporalTrack>();

  constructor(readonly engine: Engine) {}

  /**
   * `engine.run`, with the temporal step of `options.temporal` (when given) applied to each
   * output in batch order: the class maps are smoothed, `change` is set where there is a previous
   * frame, and no raw scores are returned.
   */
  async run(inputs: Float32Array[], options: EngineRunOptions = {}): Promise<EngineOutput[]> {
    const { temporal, ...rest } = options;
    if (!temporal) return this.engine.run(inputs, rest);
    let track = this.#tracks.get(temporal.stream);
    if (!track) this.#tracks.set(temporal.stream, (track = new TemporalTrack(this.engine.model.card, this.engine.inputLayout, temporal.strength)));
    const t = track;
    const lumas = inputs.map((input) => t.luma(input));
    const outputs = await this.engine.run(inputs, t.smoothing ? { ...rest, scores: true, argmax: false } : { ...rest, scores: false });
    outputs.forEach((o, i) => {
      const change = t.step(lumas[i], o);
      if (change) o.change = change;
    });
    return outputs;
  }

  /** Forgets a stream's state (its run has ended). */
  end(stream: number): void {
    this.#tracks.delete(stream);
  }

  /** Streams with state (for tests and leak checks). */
  get streams(): number {
    return this.#tracks.size;
  }
}
