/**
 * Reading an indexed MCAP chunk by chunk through its summary's chunk indexes, in log-time order,
 * holding only the chunks whose time ranges overlap (one, for a file written in time order).
 *
 * Each chunk is read with one `readable.read` and parsed by `@mcap/core`'s own stream reader, fed
 * first the log's Schema and Channel records (built by `McapRecordBuilder`) so the chunk parses on
 * its own. A chunk that fails to decompress or to match its CRC is skipped and counted; the others
 * are read.
 */
import { McapRecordBuilder, McapStreamReader, type McapIndexedReader, type McapTypes } from '@mcap/core';
import type { LogDamage } from '../types.js';

type Message = McapTypes.Message;
type ChunkIndex = McapTypes.ChunkIndex;

/** Schema and Channel records of every channel of the log. */
export function channelPrelude(schemas: Iterable<McapTypes.Schema>, channels: Iterable<McapTypes.Channel>): Uint8Array {
  const builder = new McapRecordBuilder();
  for (const s of schemas) builder.writeSchema(s);
  for (const c of channels) builder.writeChannel(c);
  return builder.buffer.slice();
}

const byLogTime = (a: Message, b: Message) => (a.logTime < b.logTime ? -1 : a.logTime > b.logTime ? 1 : 0);

interface OpenChunk {
  messages: Message[];
  pos: number;
}

/** Context of one indexed read. */
export interface IndexedRead {
  reader: McapIndexedReader;
  readable: McapTypes.IReadable;
  decompressHandlers: McapTypes.DecompressHandlers;
  channelIds: ReadonlySet<number>;
  damage: LogDamage;
  signal?: AbortSignal;
}

/** Messages of the chosen channels in log-time order (ties: file order); ends early on abort. */
export async function* indexedMessages(read: IndexedRead): AsyncGenerator<Message> {
  const chunks = chunksToRead(read.reader.chunkIndexes, read.channelIds);
  const prelude = channelPrelude(read.reader.schemasById.values(), read.reader.channelsById.values());
  const open: OpenChunk[] = [];
  let next = 0;
  for (;;) {
    if (read.signal?.aborted) return;
    let head = earliest(open);
    while (next < chunks.length && (head === undefined || chunks[next]!.messageStartTime <= head.messages[head.pos]!.logTime)) {
      const messages = await loadChunk(read, chunks[next++]!, prelude);
      if (messages.length > 0) open.push({ messages, pos: 0 });
      head = earliest(open);
    }
    if (!head) return;
    yield head.messages[head.pos++]!;
    if (head.pos === head.messages.length) open.splice(open.indexOf(head), 1);
  }
}

/** Chunks holding any chosen channel (all chunks when the writer left out message indexes), by start time. */
function chunksToRead(indexes: readonly ChunkIndex[], channelIds: ReadonlySet<number>): ChunkIndex[] {
  const holds = (c: ChunkIndex) => c.messageIndexOffsets.size === 0 || [...c.messageIndexOffsets.keys()].some((id) => channelIds.has(id));
  return indexes
    .filter(holds)
    .sort((a, b) => (a.messageStartTime !== b.messageStartTime ? (a.messageStartTime < b.messageStartTime ? -1 : 1) : a.chunkStartOffset < b.chunkStartOffset ? -1 : 1));
}

function earliest(open: OpenChunk[]): OpenChunk | undefined {
  let best: OpenChunk | undefined;
  for (const c of open) if (!best || c.messages[c.pos]!.logTime < best.messages[best.pos]!.logTime) best = c;
  return best;
}

/** The chunk's messages of the chosen channels, sorted by log time; none (counted) when the chunk is corrupt. */
async function loadChunk(read: IndexedRead, index: ChunkIndex, prelude: Uint8Array): Promise<Message[]> {
  try {
    const bytes = await read.readable.read(index.chunkStartOffset, index.chunkLength);
    const stream = new McapStreamReader({ noMagicPrefix: true, decompressHandlers: read.decompressHandlers });
    stream.append(prelude);
    stream.append(bytes);
    const messages: Message[] = [];
    for (let r; (r = stream.nextRecord()); ) if (r.type === 'Message' && read.channelIds.has(r.channelId)) messages.push(r);
    if (stream.bytesRemaining() !== 0) throw new Error(`chunk at ${index.chunkStartOffset} is cut short`);
    return messages.sort(byLogTime);
  } catch {
    read.damage.corruptChunks++;
    return [];
  }
}
