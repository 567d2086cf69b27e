/**
 * The records of a ROS bag v2.0 file (http://wiki.ros.org/Bags/Format/2.0), as bytes: each record
 * is `header_len, header, data_len, data`, a header being `len, name=value` fields. Only what a
 * writer needs; the file layout (chunks, index, chunk infos) is in bag.ts.
 */

/** The file's first bytes. */
export const BAG_MAGIC = Buffer.from('#ROSBAG V2.0\n');
/** Size of the bag header record, padded so it can be rewritten in place when the file is finished. */
export const BAG_HEADER_SIZE = 4096;

export const OP = {
  messageData: 0x02,
  bagHeader: 0x03,
  indexData: 0x04,
  chunk: 0x05,
  chunkInfo: 0x06,
  connection: 0x07,
} as const;

const NS = 1_000_000_000n;

export const u8 = (v: number): Buffer => Buffer.from([v]);

export function u32(v: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(v);
  return b;
}

export function u64(v: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(BigInt(v));
  return b;
}

/** A ROS time (`uint32 sec, uint32 nsec`) of a nanosecond count. */
export function rosTime(ns: bigint): Buffer {
  const b = Buffer.alloc(8);
  b.writeUInt32LE(Number(ns / NS));
  b.writeUInt32LE(Number(ns % NS), 4);
  return b;
}

/** Header fields (`len, name=value` each), in the order given. */
export function fields(entries: [string, Buffer | string][]): Buffer {
  const parts: Buffer[] = [];
  for (const [name, value] of entries) {
    const field = Buffer.concat([Buffer.from(`${name}=`), typeof value === 'string' ? Buffer.from(value) : value]);
    parts.push(u32(field.length), field);
  }
  return Buffer.concat(parts);
}

/** The byte parts of one record (not concatenated, so a message's data is not copied twice). */
export function record(header: [string, Buffer | string][], data: Uint8Array): Uint8Array[] {
  return [...recordHead(header, data.byteLength), data];
}

/** A record's header and data length, for data that follows in parts. */
export function recordHead(header: [string, Buffer | string][], dataLength: number): Buffer[] {
  const h = fields(header);
  return [u32(h.length), h, u32(dataLength)];
}

/** The bag header record, padded with spaces to {@link BAG_HEADER_SIZE} bytes. */
export function bagHeader(indexPos: number, connCount: number, chunkCount: number): Buffer {
  const h = fields([
    ['op', u8(OP.bagHeader)],
    ['index_pos', u64(indexPos)],
    ['conn_count', u32(connCount)],
    ['chunk_count', u32(chunkCount)],
  ]);
  const padding = Buffer.alloc(BAG_HEADER_SIZE - 8 - h.length, 0x20);
  return Buffer.concat([u32(h.length), h, u32(padding.length), padding]);
}

/** A connection as a bag stores it: the record's `conn`/`topic`, and the connection header as data. */
export interface BagConnection {
  id: number;
  topic: string;
  type: string;
  md5sum: string;
  definition: string;
  callerid?: string;
  latching?: boolean;
}

export function connectionRecord(c: BagConnection): Buffer {
  const data = fields([
    ['topic', c.topic],
    ['type', c.type],
    ['md5sum', c.md5sum],
    ['message_definition', c.definition],
    ...(c.callerid !== undefined ? [['callerid', c.callerid] as [string, string]] : []),
    ...(c.latching ? [['latching', '1'] as [string, string]] : []),
  ]);
  return Buffer.concat(
    record(
      [
        ['op', u8(OP.connection)],
        ['conn', u32(c.id)],
        ['topic', c.topic],
      ],
      data,
    ),
  );
}

/** Index data of one connection in one chunk: `(time, offset in the uncompressed chunk)` per message. */
export function indexDataRecord(conn: number, entries: { timeNs: bigint; offset: number }[]): Buffer {
  const data = Buffer.concat(entries.flatMap((e) => [rosTime(e.timeNs), u32(e.offset)]));
  return Buffer.concat(
    record(
      [
        ['op', u8(OP.indexData)],
        ['ver', u32(1)],
        ['conn', u32(conn)],
        ['count', u32(entries.length)],
      ],
      data,
    ),
  );
}

/** What the file's tail says about one chunk. */
export interface ChunkInfo {
  position: number;
  startNs: bigint;
  endNs: bigint;
  counts: Map<number, number>;
}

export function chunkInfoRecord(c: ChunkInfo): Buffer {
  const data = Buffer.concat([...c.counts].flatMap(([conn, n]) => [u32(conn), u32(n)]));
  const header: [string, Buffer][] = [
    ['op', u8(OP.chunkInfo)],
    ['ver', u32(1)],
    ['chunk_pos', u64(c.position)],
    ['start_time', rosTime(c.startNs)],
    ['end_time', rosTime(c.endNs)],
    ['count', u32(c.counts.size)],
  ];
  return Buffer.concat(record(header, data));
}
