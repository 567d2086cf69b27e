/**
 * Log-time order across chunks read one at a time: chunks sorted by their first message time are
 * loaded only when the next message could come from them, so memory holds the chunks whose time
 * ranges overlap (one, for a log written in time order). Used for MCAP chunk indexes and bag
 * chunk infos alike.
 */

interface OpenChunk<M> {
  messages: M[];
  pos: number;
}

/** How to read one kind of chunk. */
export interface ChunkSource<C, M> {
  /** Chunks to read, sorted by {@link ChunkSource.startOf}. */
  chunks: C[];
  startOf: (chunk: C) => bigint;
  /** The chunk's messages sorted by time; none (and counted by the caller) when it is corrupt. */
  load: (chunk: C) => Promise<M[]>;
  timeOf: (message: M) => bigint;
  signal?: AbortSignal;
}

/** Every message of every chunk in time order (ties: the earlier chunk first); ends early on abort. */
export async function* mergeChunks<C, M>(source: ChunkSource<C, M>): AsyncGenerator<M> {
  const { chunks, startOf, load, timeOf } = source;
  const open: OpenChunk<M>[] = [];
  const earliest = () => {
    let best: OpenChunk<M> | undefined;
    for (const c of open) if (!best || timeOf(c.messages[c.pos]) < timeOf(best.messages[best.pos])) best = c;
    return best;
  };
  let next = 0;
  for (;;) {
    if (source.signal?.aborted) return;
    let head = earliest();
    while (next < chunks.length && (head === undefined || startOf(chunks[next]) <= timeOf(head.messages[head.pos]))) {
      const messages = await load(chunks[next++]);
      if (messages.length > 0) open.push({ messages, pos: 0 });
      head = earliest();
    }
    if (!head) return;
    yield head.messages[head.pos++];
    if (head.pos === head.messages.length) open.splice(open.indexOf(head), 1);
  }
}

/** Ascending order of two bigints, for sorting. */
export function byBigint(a: bigint, b: bigint): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
