/**
 * MCAP logs: through the summary with `@mcap/core`'s McapIndexedReader where the file has one
 * (chunk by chunk, see mcap-chunks.ts), else front to back with its stream reader (mcap-stream.ts).
 * Chunk decompression (zstd, lz4, bz2) by `@mcap/support`'s handlers.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { McapIndexedReader, type McapTypes } from '@mcap/core';
import { FileHandleReadable } from '@mcap/nodejs';
import { loadDecompressHandlers } from '@mcap/support';
import { inWindow, type LogDamage, type LogImageMessage, type ReadLogOptions } from '../types.js';
import { cameraKind } from './camera.js';
import { familyOf } from './deserialize.js';
import { cameraSourceOf, chooseCameras, ImageExtractor, type CameraSource } from './images.js';
import { indexedMessages } from './mcap-chunks.js';
import { streamedMessages, type McapEvent } from './mcap-stream.js';

/** An open MCAP: its indexed reader when the summary is usable. */
export interface OpenMcap {
  handle: FileHandle;
  readable: FileHandleReadable;
  decompressHandlers: McapTypes.DecompressHandlers;
  indexed?: McapIndexedReader;
}

/** Opens an MCAP; `indexed` is set when it has a summary with chunk indexes. Close `handle` when done. */
export async function openMcap(path: string): Promise<OpenMcap> {
  const handle = await open(path, 'r');
  const readable = new FileHandleReadable(handle);
  const decompressHandlers = await loadDecompressHandlers();
  let indexed: McapIndexedReader | undefined;
  try {
    indexed = await McapIndexedReader.Initialize({ readable, decompressHandlers });
    if (indexed.footer.summaryStart === 0n) indexed = undefined;
  } catch {
    indexed = undefined; // no footer or summary: a recording cut short, read front to back
  }
  return { handle, readable, decompressHandlers, indexed };
}

/** The camera source of a channel: its family and deserialiser, or why none reads it. */
export function cameraSource(channel: McapTypes.Channel, schema: McapTypes.Schema | undefined): CameraSource {
  return cameraSourceOf(
    channel.topic,
    familyOf(channel.messageEncoding) ?? 'foxglove',
    schema,
    channel.messageEncoding,
  );
}

/** Image messages of the chosen camera topics of an MCAP, in log-time order (file order when salvaging). */
export async function* readMcapImages(
  path: string,
  options: ReadLogOptions,
  damage: LogDamage,
): AsyncGenerator<LogImageMessage> {
  const mcap = await openMcap(path);
  try {
    const extractor = new ImageExtractor(damage);
    const sources = new Map<number, CameraSource>();
    for await (const { message, channel, schema } of mcapEvents(path, mcap, options, damage)) {
      let source = sources.get(channel.id);
      if (!source) sources.set(channel.id, (source = cameraSource(channel, schema)));
      const image = extractor.extract(source, message.logTime, message.publishTime, message.data);
      if (image) yield image;
    }
  } finally {
    await mcap.handle.close();
  }
}

async function* mcapEvents(
  path: string,
  mcap: OpenMcap,
  options: ReadLogOptions,
  damage: LogDamage,
): AsyncGenerator<McapEvent> {
  const reader = mcap.indexed;
  if (!reader) {
    const wants = (ch: McapTypes.Channel, s: McapTypes.Schema | undefined) =>
      cameraKind(s?.name ?? '') !== undefined && (!options.topics || options.topics.includes(ch.topic));
    for await (const e of streamedMessages({
      handle: mcap.handle,
      decompressHandlers: mcap.decompressHandlers,
      wants,
      damage,
      signal: options.signal,
    }))
      if (inWindow(e.message.logTime, options.window)) yield e;
    return;
  }
  const topics = [...reader.channelsById.values()].map((c) => ({
    topic: c.topic,
    schemaName: reader.schemasById.get(c.schemaId)?.name ?? '',
  }));
  const chosen = chooseCameras(path, topics, options);
  const channelIds = new Set([...reader.channelsById.values()].filter((c) => chosen.has(c.topic)).map((c) => c.id));
  const counts = reader.statistics?.channelMessageCounts;
  if (counts && !options.window)
    damage.messagesExpected = [...channelIds].reduce((n, id) => n + Number(counts.get(id) ?? 0n), 0);
  const read = {
    reader,
    readable: mcap.readable,
    decompressHandlers: mcap.decompressHandlers,
    channelIds,
    window: options.window,
    damage,
    signal: options.signal,
  };
  for await (const message of indexedMessages(read)) {
    const channel = reader.channelsById.get(message.channelId)!;
    yield { message, channel, schema: reader.schemasById.get(channel.schemaId) };
  }
}
