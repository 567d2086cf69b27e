/**
 * Salvage of a ROS 1 bag without index (the recorder died before writing it: `index_pos` 0, no
 * connection or chunk-info records at the end).
 *
 * What it does, exactly: walks the file's records front to back after the bag header. Only the
 * record framing (two little-endian lengths, as the bag format defines) is read here; each record is
 * parsed by `@foxglove/rosbag`'s own BagReader (`readRecordFromBuffer`, its `extractFields` for the
 * opcode, its Chunk / Connection / MessageData classes), chunks decompressed by the same handlers
 * as indexed bags. Connection records (in chunks, as recorders write them) are collected; the
 * messages of each complete chunk are yielded sorted by time; messages a recorder wrote into a
 * still-open uncompressed chunk (whose header sizes are still placeholders) are read one by one.
 * A complete chunk that does not decompress or parse is passed over and counted; the first record
 * whose framing is cut short or makes no sense ends the read. The read is flagged `truncated`.
 */
import type { Bag, Filelike } from '@foxglove/rosbag';
import { extractFields } from '@foxglove/rosbag/dist/cjs/fields.js';
import { Chunk, Connection, MessageData } from '@foxglove/rosbag/dist/cjs/record.js';
import type { Decompress } from '@foxglove/rosbag/dist/cjs/types.js';
import type { LogDamage } from '../types.js';

/** One salvaged message with its connection. */
export interface BagEvent {
  connection: Connection;
  timeNs: bigint;
  data: Uint8Array;
}

const MAX_HEADER = 1 << 20;
/** Larger than any chunk or message a recorder writes: a longer length is damage, not a record. */
const MAX_DATA = 1 << 29;

interface RawRecord {
  op: number;
  buffer: Uint8Array;
}

/** The record at `pos` (undefined when it is cut short or its lengths make no sense). */
async function recordAt(file: Filelike, pos: number): Promise<RawRecord | undefined> {
  const size = file.size();
  if (pos + 8 > size) return undefined;
  const headLen = new DataView((await file.read(pos, 4)).slice().buffer).getInt32(0, true);
  if (headLen <= 0 || headLen > MAX_HEADER || pos + 8 + headLen > size) return undefined;
  const head = await file.read(pos, 4 + headLen + 4);
  const dataLen = new DataView(head.slice().buffer).getInt32(4 + headLen, true);
  if (dataLen < 0 || dataLen > MAX_DATA || pos + 8 + headLen + dataLen > size) return undefined;
  const op = opOf(head);
  if (op === undefined) return undefined;
  return { op, buffer: await file.read(pos, 8 + headLen + dataLen) };
}

/** The opcode in a record's header, parsed by the bag library's `extractFields`. */
function opOf(record: Uint8Array): number | undefined {
  const headLen = new DataView(record.buffer, record.byteOffset, 4).getInt32(0, true);
  return extractFields(record.subarray(4, 4 + headLen)).op?.[0];
}

/** Every complete message of an unindexed bag, chunk by chunk. */
export async function* salvageBag(
  bag: Bag,
  file: Filelike,
  decompress: Decompress,
  damage: LogDamage,
  signal?: AbortSignal,
): AsyncGenerator<BagEvent> {
  damage.truncated = true;
  const connections = new Map<number, Connection>();
  const header = await bag.reader.readHeader();
  let pos = header.end!;
  while (pos < file.size()) {
    if (signal?.aborted) return;
    const rec = await recordAt(file, pos).catch(() => undefined);
    if (!rec) return;
    let events: BagEvent[] = [];
    try {
      events = records(bag, rec, pos, decompress, connections);
    } catch {
      damage.corruptChunks++; // a chunk that does not decompress or parse: passed over, reading goes on
    }
    yield* events;
    pos += rec.buffer.length;
  }
}

/** The messages held by one top-level record (a chunk, or a loose message of an open chunk). */
function records(
  bag: Bag,
  rec: RawRecord,
  pos: number,
  decompress: Decompress,
  connections: Map<number, Connection>,
): BagEvent[] {
  if (rec.op === Chunk.opcode) {
    const chunk = bag.reader.readRecordFromBuffer(rec.buffer, pos, Chunk);
    let data = chunk.data!;
    if (chunk.compression !== 'none' && data.length > 0) {
      const fn = decompress[chunk.compression];
      if (!fn) throw new Error(`unsupported chunk compression ${chunk.compression}`);
      data = fn(data, chunk.size);
    }
    const events: BagEvent[] = [];
    for (let off = 0; off < data.length;) {
      const buffer = data.subarray(off);
      const [event, len] = one(bag, { op: opOf(buffer) ?? -1, buffer }, off, connections);
      if (event) events.push(event);
      if (!(len > 0)) throw new Error('a record in the chunk has no length');
      off += len;
    }
    return events.sort((a, b) => (a.timeNs < b.timeNs ? -1 : a.timeNs > b.timeNs ? 1 : 0));
  }
  const [event] = one(bag, rec, pos, connections);
  return event ? [event] : [];
}

/** A Connection (collected) or MessageData (returned) record, and its length; other records are passed over. */
function one(
  bag: Bag,
  rec: RawRecord,
  pos: number,
  connections: Map<number, Connection>,
): [BagEvent | undefined, number] {
  if (rec.op === Connection.opcode) {
    const c = bag.reader.readRecordFromBuffer(rec.buffer, pos, Connection);
    connections.set(c.conn, c);
    return [undefined, c.length!];
  }
  if (rec.op === MessageData.opcode) {
    const m = bag.reader.readRecordFromBuffer(rec.buffer, pos, MessageData);
    const connection = connections.get(m.conn);
    const timeNs = BigInt(m.time.sec) * 1_000_000_000n + BigInt(m.time.nsec);
    return [connection ? { connection, timeNs, data: m.data! } : undefined, m.length!];
  }
  const view = new DataView(rec.buffer.buffer, rec.buffer.byteOffset, rec.buffer.byteLength);
  const headLen = view.getInt32(0, true);
  return [undefined, 8 + headLen + view.getInt32(4 + headLen, true)];
}
