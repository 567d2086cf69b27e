/**
 * ROS 1 bags (v2.0) through `@foxglove/rosbag`: its Bag over its Node file reader, read through
 * the bag's index chunk by chunk (its `readChunkMessages`) in time order (chunk-merge.ts); a chunk
 * that does not decompress or parse is skipped and counted; bz2 and lz4 chunks by `@foxglove/wasm-bz2` and
 * `@foxglove/wasm-lz4` (as loaded by `@mcap/support`). A bag without index is salvaged
 * (bag-salvage.ts). Messages deserialised by `@foxglove/rosmsg-serialization`.
 */
import { Bag } from '@foxglove/rosbag';
import { FileReader } from '@foxglove/rosbag/node.js';
import type { ChunkInfo, Connection } from '@foxglove/rosbag/dist/cjs/record.js';
import type { Decompress } from '@foxglove/rosbag/dist/cjs/types.js';
import { loadDecompressHandlers } from '@mcap/support';
import { inWindow, overlapsWindow, type LogDamage, type LogImageMessage, type ReadLogOptions } from '../types.js';
import { cameraKind } from './camera.js';
import { salvageBag, type BagEvent } from './bag-salvage.js';
import { byBigint, mergeChunks } from './chunk-merge.js';
import { cameraSourceOf, chooseCameras, ImageExtractor, type CameraSource } from './images.js';

/** An open bag; `indexed` is false when it has no index (see bag-salvage.ts). Close `file` when done. */
export interface OpenBag {
  bag: Bag;
  file: FileReader;
  decompress: Decompress;
  indexed: boolean;
}

/** Opens a bag and reads its index. */
export async function openBag(path: string): Promise<OpenBag> {
  const handlers = await loadDecompressHandlers();
  const decompress: Decompress = {
    bz2: (buffer, size) => handlers.bz2(buffer, BigInt(size)),
    lz4: (buffer, size) => handlers.lz4(buffer, BigInt(size)),
  };
  const file = new FileReader(path);
  const bag = new Bag(file, { decompress, parse: false });
  try {
    await bag.open();
  } catch (err) {
    await file.close();
    throw err;
  }
  const indexed = bag.header!.indexPosition > 0 && (bag.header!.chunkCount > 0 || bag.header!.connectionCount > 0);
  return { bag, file, decompress, indexed };
}

/** Nanoseconds of a rostime. */
export function rosTimeNs(t: { sec: number; nsec: number }): bigint {
  return BigInt(t.sec) * 1_000_000_000n + BigInt(t.nsec);
}

/** The camera source of a bag connection. */
export function bagSource(connection: Connection): CameraSource {
  const schema = {
    name: connection.type ?? '',
    encoding: 'ros1msg',
    data: new TextEncoder().encode(connection.messageDefinition),
  };
  return cameraSourceOf(connection.topic, 'ros1', schema, 'ros1');
}

/** Image messages of the chosen camera topics of a bag, in time order. */
export async function* readBagImages(
  path: string,
  options: ReadLogOptions,
  damage: LogDamage,
): AsyncGenerator<LogImageMessage> {
  const opened = await openBag(path);
  try {
    const extractor = new ImageExtractor(damage);
    const sources = new Map<Connection, CameraSource>();
    for await (const { connection, timeNs, data } of bagEvents(path, opened, options, damage)) {
      let source = sources.get(connection);
      if (!source) sources.set(connection, (source = bagSource(connection)));
      const image = extractor.extract(source, timeNs, timeNs, data);
      if (image) yield image;
    }
  } finally {
    await opened.file.close();
  }
}

async function* bagEvents(
  path: string,
  opened: OpenBag,
  options: ReadLogOptions,
  damage: LogDamage,
): AsyncGenerator<BagEvent> {
  const { bag, file, decompress, indexed } = opened;
  if (!indexed) {
    const wanted = (c: Connection) =>
      cameraKind(c.type ?? '') !== undefined && (!options.topics || options.topics.includes(c.topic));
    for await (const e of salvageBag(bag, file, decompress, damage, options.signal))
      if (wanted(e.connection) && inWindow(e.timeNs, options.window)) yield e;
    return;
  }
  const connections = [...bag.connections.values()];
  const chosen = chooseCameras(
    path,
    connections.map((c) => ({ topic: c.topic, schemaName: c.type ?? '' })),
    options,
  );
  const ids = new Set(connections.filter((c) => chosen.has(c.topic)).map((c) => c.conn));
  if (!options.window)
    damage.messagesExpected = bag.chunkInfos.reduce(
      (n, ci) => n + ci.connections.filter((c) => ids.has(c.conn)).reduce((m, c) => m + c.count, 0),
      0,
    );
  const meets = (ci: ChunkInfo) =>
    overlapsWindow(rosTimeNs(ci.startTime), rosTimeNs(ci.endTime), options.window) &&
    ci.connections.some((c) => ids.has(c.conn));
  const chunks = bag.chunkInfos
    .filter(meets)
    .sort((a, b) => byBigint(rosTimeNs(a.startTime), rosTimeNs(b.startTime)) || a.chunkPosition - b.chunkPosition);
  const load = async (ci: ChunkInfo) =>
    (await chunkEvents(opened, ci, [...ids], damage)).filter((e) => inWindow(e.timeNs, options.window));
  yield* mergeChunks({
    chunks,
    startOf: (ci) => rosTimeNs(ci.startTime),
    load,
    timeOf: (e) => e.timeNs,
    signal: options.signal,
  });
}

const FIRST = { sec: 0, nsec: 0 };
const LAST = { sec: Number.MAX_SAFE_INTEGER, nsec: 999_999_999 };

/** One chunk's messages of the chosen connections, in time order, by the library's own chunk reader; none (counted) when it is corrupt. */
async function chunkEvents(
  { bag, decompress }: OpenBag,
  info: ChunkInfo,
  conns: number[],
  damage: LogDamage,
): Promise<BagEvent[]> {
  try {
    const messages = await bag.reader.readChunkMessages(info, conns, FIRST, LAST, decompress);
    return messages.map((m) => ({
      connection: bag.connections.get(m.conn)!,
      timeNs: rosTimeNs(m.time),
      data: m.data!,
    }));
  } catch {
    damage.corruptChunks++;
    return [];
  }
}
