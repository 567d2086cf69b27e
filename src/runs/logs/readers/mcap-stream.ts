/**
 * Reading an MCAP without a usable summary (a recording cut by a crash, or written without one)
 * front to back with `@mcap/core`'s McapStreamReader, 1 MiB at a time: memory holds one record.
 *
 * Salvage: every message of every complete chunk is read; a torn last record ends the read
 * (`truncated`); a chunk whose contents fail to decompress or to match their CRC is skipped and
 * counted, and reading goes on after it with a fresh reader fed the channels seen so far. Messages
 * come in file order (the order a recorder writes them: log-time order for one writer).
 */
import type { FileHandle } from 'node:fs/promises';
import { McapStreamReader, type McapTypes } from '@mcap/core';
import type { LogDamage } from '../types.js';
import { channelPrelude } from './mcap-chunks.js';

const READ_SIZE = 1 << 20;

/** A message with the channel and schema it was written on. */
export interface McapEvent {
  message: McapTypes.Message;
  channel: McapTypes.Channel;
  schema?: McapTypes.Schema;
}

/** Context of one streamed read. */
export interface StreamRead {
  handle: FileHandle;
  decompressHandlers: McapTypes.DecompressHandlers;
  /** Whether the messages of a channel are wanted (asked once per channel). */
  wants: (channel: McapTypes.Channel, schema: McapTypes.Schema | undefined) => boolean;
  damage: LogDamage;
  signal?: AbortSignal;
  /** Called with the file's Header record. */
  onHeader?: (header: McapTypes.Header) => void;
}

/** The wanted messages in file order, salvaging what is complete. */
export async function* streamedMessages(read: StreamRead): AsyncGenerator<McapEvent> {
  const size = (await read.handle.stat()).size;
  const schemas = new Map<number, McapTypes.Schema>();
  const channels = new Map<number, McapTypes.Channel>();
  const wanted = new Map<number, boolean>();
  const buf = Buffer.alloc(READ_SIZE);
  let reader = new McapStreamReader({ includeChunks: true, decompressHandlers: read.decompressHandlers });
  let pos = 0;
  let chunkEnd = -1;
  for (;;) {
    if (read.signal?.aborted) return;
    const afterChunk = chunkEnd >= 0;
    let record: McapTypes.TypedMcapRecord | undefined;
    try {
      record = reader.nextRecord();
    } catch {
      if (!afterChunk) return void (read.damage.truncated = true);
      read.damage.corruptChunks++;
      reader = new McapStreamReader({
        includeChunks: true,
        noMagicPrefix: true,
        decompressHandlers: read.decompressHandlers,
      });
      reader.append(channelPrelude(schemas.values(), channels.values()));
      pos = chunkEnd;
      chunkEnd = -1;
      continue;
    }
    chunkEnd = -1;
    if (record === undefined) {
      if (reader.done()) return;
      if (pos >= size) return void (read.damage.truncated = true);
      const { bytesRead } = await read.handle.read(buf, 0, READ_SIZE, pos);
      pos += bytesRead;
      reader.append(buf.subarray(0, bytesRead));
      continue;
    }
    if (record.type === 'Chunk') chunkEnd = pos - reader.bytesRemaining();
    else if (record.type === 'Header') read.onHeader?.(record);
    else if (record.type === 'Schema') schemas.set(record.id, record);
    else if (record.type === 'Channel') channels.set(record.id, record);
    else if (record.type === 'Message') {
      const channel = channels.get(record.channelId)!;
      const schema = schemas.get(channel.schemaId);
      let want = wanted.get(channel.id);
      if (want === undefined) wanted.set(channel.id, (want = read.wants(channel, schema)));
      if (want) yield { message: record, channel, schema };
    }
  }
}
