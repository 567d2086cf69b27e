/**
 * Size-keyed cache of pixel tables (axis tables, run starts), looked up once per frame: a video
 * has one frame size and one model size, so 16 entries suffice; past them the oldest is dropped,
 * so a stream of odd sizes cannot grow it. Callers must not modify the tables it returns.
 */
export class TableCache<T> {
  readonly #entries = new Map<string, T>();

  /** @param limit - entries kept (default 16) */
  constructor(readonly limit = 16) {}

  /** The table for `key`, built with `build` (and stored) on first use. */
  get(key: string, build: () => T): T {
    let t = this.#entries.get(key);
    if (t === undefined) {
      t = build();
      if (this.#entries.size >= this.limit) this.#entries.delete(this.#entries.keys().next().value as string);
      this.#entries.set(key, t);
    }
    return t;
  }
}
