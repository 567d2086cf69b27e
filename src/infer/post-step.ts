/**
 * Post-network steps: per-stream work that runs where the network runs, right after it, so that
 * only its results cross back to the caller (e.g. the temporal step in `temporal/engine-step.ts`,
 * which smooths the raw outputs on the inference thread). The engine's host knows nothing of what
 * a step does: a run names the step's module ({@link EngineRunOptions.post}), the host loads it once,
 * keeps one step per stream and drops it on {@link Engine.endStream}.
 */
import type { Engine, EngineOutput, EngineRunOptions } from './types.js';

/** One stream's post-network step. Batches of a stream reach it in source order. */
export interface PostStep {
  /** Options the network must run with for this step (e.g. raw scores, no argmax). */
  readonly runOptions: Pick<EngineRunOptions, 'scores' | 'argmax'>;
  /** Before the network, per input (which may be moved or reused afterwards): what `after` needs of it. */
  before(input: Float32Array): unknown;
  /** After the network, per output in batch order, with what {@link before} returned for its input. */
  after(output: EngineOutput, before: unknown): void;
}

/** What a post-step module exports: a step for a new stream of `engine`, made from the run's `params`. */
export type CreatePostStep = (engine: Engine, params: unknown) => PostStep;

/** Runs an engine's batches through the post-network steps they name, one step per stream. */
export class PostStepHost {
  readonly #modules = new Map<string, Promise<CreatePostStep>>();
  readonly #steps = new Map<number, PostStep>();

  constructor(readonly engine: Engine) {}

  /** `engine.run`, with the step of `options.post` (when given) around it. */
  async run(inputs: Float32Array[], options: EngineRunOptions = {}): Promise<EngineOutput[]> {
    const { post, ...rest } = options;
    if (!post) return this.engine.run(inputs, rest);
    let step = this.#steps.get(post.stream);
    if (!step) this.#steps.set(post.stream, (step = (await this.#load(post.module))(this.engine, post.params)));
    const s = step;
    const before = inputs.map((input) => s.before(input));
    const outputs = await this.engine.run(inputs, { ...rest, ...s.runOptions });
    outputs.forEach((o, i) => s.after(o, before[i]));
    return outputs;
  }

  #load(module: string): Promise<CreatePostStep> {
    let p = this.#modules.get(module);
    if (!p) {
      p = import(module).then((m: { createPostStep?: CreatePostStep }) => {
        if (typeof m.createPostStep !== 'function')
          throw new TypeError(`post-network step module ${module} exports no createPostStep`);
        return m.createPostStep;
      });
      this.#modules.set(module, p);
    }
    return p;
  }

  /** Forgets a stream's step (its run has ended). */
  end(stream: number): void {
    this.#steps.delete(stream);
  }

  /** Streams with a step (for tests and leak checks). */
  get streams(): number {
    return this.#steps.size;
  }
}
