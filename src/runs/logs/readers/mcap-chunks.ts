/**
 * Reading an indexed MCAP chunk by chunk through its summary's chunk indexes, in log-time order
 * (chunk-merge.ts).
 *
 * Each chunk is read with one `readable.read` and parsed by `@mcap/core`'s own stream reader, fed
 * first the log's Schema and Channel records (built by `McapRecordBuilder`) so the chunk parses on
 * its own. A chunk that fails to decompress or to match its CRC is skipped and counted; the others
 * are read.
 */
import { McapRecordBuilder, McapStreamReader, type McapIndexedReader, type McapTypes } from '@mcap/core';
import { inWindow, overlapsWindow, type LogDamage, type LogWindow } from '../types.js';
import { byBigint, mergeChunks } from './chunk-merge.js';

type Message = McapTypes.Message;
type ChunkIndex = McapTypes.ChunkIndex;

/** Schema and Channel records of every channel of the log. */
export function channelPrelude(schemas: Iterable<McapTypes.Schema>, channels: Iterable<McapTypes.Channel>): Uint8Array {
  const builder = new McapRecordBuilder();
  for (const s of schemas) builder.writeSchema(s);
  for (const c of channels) builder.writeChannel(c);
  return builder.buffer.slice();
}

const byLogTime = (a: Message, b: Message) => byBigint(a.logTime, b.logTime);

/** Context of one indexed read. */
export interface IndexedRead {
  reader: McapIndexedReader;
  readable: McapTypes.IReadable;
  decompressHandlers: McapTypes.DecompressHandlers;
  channelIds: ReadonlySet<number>;
  /** Only messages in this span of log time; chunks wholly outside it are not read. */
  window?: LogWindow;
  damage: LogDamage;
  signal?: AbortSignal;
}

/** Messages of the chosen channels in log-time order (ties: file order); ends early on abort. */
export function indexedMessages(read: IndexedRead): AsyncGenerator<Message> {
  const prelude = channelPrelude(read.reader.schemasById.values(), read.reader.channelsById.values());
  return mergeChunks({
    chunks: chunksToRead(read.reader.chunkIndexes, read.channelIds, read.window),
    startOf: (c) => c.messageStartTime,
    load: (c) => loadChunk(read, c, prelude),
    timeOf: (m) => m.logTime,
    signal: read.signal,
  });
}

/**
 * Chunks holding any chosen channel (all chunks when the writer left out message indexes) whose
 * time span meets the window, by start time.
 */
function chunksToRead(
  indexes: readonly ChunkIndex[],
  channelIds: ReadonlySet<number>,
  window: LogWindow | undefined,
): ChunkIndex[] {
  const holds = (c: ChunkIndex) =>
    c.messageIndexOffsets.size === 0 || [...c.messageIndexOffsets.keys()].some((id) => channelIds.has(id));
  return indexes
    .filter((c) => holds(c) && overlapsWindow(c.messageStartTime, c.messageEndTime, window))
    .sort(
      (a, b) => byBigint(a.messageStartTime, b.messageStartTime) || byBigint(a.chunkStartOffset, b.chunkStartOffset),
    );
}

/** The chunk's messages of the chosen channels, sorted by log time; none (counted) when the chunk is corrupt. */
async function loadChunk(read: IndexedRead, index: ChunkIndex, prelude: Uint8Array): Promise<Message[]> {
  try {
    const bytes = await read.readable.read(index.chunkStartOffset, index.chunkLength);
    const stream = new McapStreamReader({ noMagicPrefix: true, decompressHandlers: read.decompressHandlers });
    stream.append(prelude);
    stream.append(bytes);
    const messages: Message[] = [];
    for (let r; (r = stream.nextRecord());)
      if (r.type === 'Message' && read.channelIds.has(r.channelId) && inWindow(r.logTime, read.window))
        messages.push(r);
    if (stream.bytesRemaining() !== 0) throw new Error(`chunk at ${index.chunkStartOffset} is cut short`);
    return messages.sort(byLogTime);
  } catch {
    read.damage.corruptChunks++;
    return [];
  }
}
