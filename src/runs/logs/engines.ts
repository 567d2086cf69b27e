/**
 * Network sizes of a log run: each camera runs at the size its aspect asks for under the card's
 * policy (`inputSizeFor`), taken from the topic's first frame. Cameras of one size share one
 * engine; each further size gets an engine session of its own at that size (the model is loaded
 * once; every session gets the run's inference threads, and the scheduler keeps at most two
 * batches per session in flight). An engine the caller owns serves every camera at its own size.
 * Sessions start when a size is first needed, or up front for sizes the log's index tells.
 */
import { createEngine } from '../../infer/engine.js';
import { modelAtSize, modelForSource, type InputSize } from '../../infer/input-size.js';
import type { Engine, EngineName, LoadedModel } from '../../infer/types.js';
import type { RunContextOptions } from '../context.js';

/** The model at one network size and the engine that runs it (started on first use). */
export interface SizedEngine {
  key: string;
  model: LoadedModel;
  engine: Engine;
}

/** Key of a network size (`576x320`). */
export function sizeKey(model: LoadedModel): string {
  return `${model.card.input.width}x${model.card.input.height}`;
}

/** The engines of a run, by network size. */
export class LogEngines {
  readonly #bySize = new Map<string, SizedEngine>();
  readonly #started = new Map<string, Promise<Engine>>();
  readonly #topicSize = new Map<string, string>();
  #disposed = false;

  constructor(
    readonly model: LoadedModel,
    readonly options: Pick<RunContextOptions, 'engine' | 'device' | 'threads'>,
  ) {}

  /** The engine of `topic`, sized by the topic's first frame (`size`). */
  forTopic(topic: string, size: InputSize): SizedEngine {
    let key = this.#topicSize.get(topic);
    if (key === undefined) {
      key = this.#sized(size).key;
      this.#topicSize.set(topic, key);
    }
    return this.#bySize.get(key)!;
  }

  /** The engine of a size key from {@link forTopic}. */
  get(key: string): SizedEngine {
    return this.#bySize.get(key)!;
  }

  /** Starts the engine of a size now (sizes known before the first frame); resolves when ready. */
  async warm(size: InputSize): Promise<void> {
    const s = this.#sized(size);
    await this.#start(s.key, s.model);
  }

  #sized(size: InputSize): SizedEngine {
    const { engine } = this.options;
    const model =
      typeof engine === 'object' ? modelAtSize(this.model, engine.model.card.input) : modelForSource(this.model, size);
    const key = sizeKey(model);
    let s = this.#bySize.get(key);
    if (!s) {
      s = { key, model, engine: typeof engine === 'object' ? engine : this.#lazy(key, model, engine) };
      this.#bySize.set(key, s);
    }
    return s;
  }

  #start(key: string, model: LoadedModel): Promise<Engine> {
    const { engine, device, threads } = this.options;
    if (typeof engine === 'object') return Promise.resolve(engine);
    let p = this.#started.get(key);
    if (!p) {
      if (this.#disposed) return Promise.reject(new Error('LogEngines disposed'));
      p = createEngine(model, { engine, device, threads, thread: true });
      this.#started.set(key, p);
    }
    return p;
  }

  /** An engine that starts its session on the first batch (its layout is the card's). */
  #lazy(key: string, model: LoadedModel, name: EngineName): Engine {
    const layout = model.card.engines[name]?.layout ?? 'NCHW';
    const start = () => this.#start(key, model);
    let backend = 'not started';
    return {
      name,
      model,
      get backend() {
        return backend;
      },
      inputLayout: layout,
      async run(inputs, options) {
        const e = await start();
        backend = e.backend;
        return e.run(inputs, options);
      },
      dispose: async () => {},
    };
  }

  /** Network sizes used, with the topics at each. */
  sizes(): { width: number; height: number; topics: string[] }[] {
    return [...this.#bySize.values()].map((s) => ({
      width: s.model.card.input.width,
      height: s.model.card.input.height,
      topics: [...this.#topicSize].filter(([, k]) => k === s.key).map(([t]) => t),
    }));
  }

  /** What ran: the first started engine's name and backend. */
  async describe(): Promise<{ name: string; backend: string } | undefined> {
    const [first] = this.#started.values();
    const e =
      first !== undefined
        ? await first.catch(() => undefined)
        : typeof this.options.engine === 'object'
          ? this.options.engine
          : undefined;
    return e && { name: e.name, backend: e.backend };
  }

  /** Sizes and the engine that ran, for the summary. */
  async sizesAndEngine(): Promise<{
    sizes: { width: number; height: number; topics: string[] }[];
    engine?: { name: string; backend: string };
  }> {
    return { sizes: this.sizes(), engine: await this.describe() };
  }

  /** Ends every session started here (never an engine the caller owns). Idempotent. */
  async dispose(): Promise<void> {
    this.#disposed = true;
    const started = [...this.#started.values()];
    this.#started.clear();
    await Promise.all(
      started.map((p) =>
        p.then(
          (e) => e.dispose(),
          () => {},
        ),
      ),
    );
  }
}
