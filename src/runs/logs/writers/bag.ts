/**
 * `logOut` ending in `.bag`: the segmentation written back as a ROS 1 bag v2.0, the same topics
 * and messages as the MCAP writer (mcap.ts) in the ROS 1 family: `T/seg/class_ids` and
 * `T/seg/free_space` (`sensor_msgs/Image` mono8), with `overlay` `T/seg/overlay`
 * (`sensor_msgs/CompressedImage` JPEG), each with the source's header stamp and frame id and its
 * log time as the bag's time; the class table on the latched `/seg_stream/classes`
 * (`std_msgs/String`). Messages are serialized by `@foxglove/rosmsg-serialization`, md5sums by
 * `@foxglove/rosmsg` (no Node package writes bags: the records are bag-records.ts).
 *
 * Layout as ROS's own recorder writes it: the bag header (its `index_pos` filled in when done),
 * uncompressed chunks of up to {@link CHUNK_BYTES} (a connection record the first time a topic
 * appears, then message data), each followed by its index data; at the end every connection
 * record and one chunk info per chunk. Written under a temporary name, renamed when complete.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { trackTemporary } from '../../../process/temp-files.js';
import { temporaryPathFor } from '../../../sinks/atomic-file.js';
import type { LogFrameOutput } from '../log-frame.js';
import {
  BAG_MAGIC,
  OP,
  bagHeader,
  chunkInfoRecord,
  connectionRecord,
  indexDataRecord,
  record,
  recordHead,
  rosTime,
  u32,
  u8,
  type BagConnection,
  type ChunkInfo,
} from './bag-records.js';
import type { SchemaInfo } from './codec.js';
import {
  CLASSES_TOPIC,
  discardLog,
  frameMessages,
  publishLog,
  type LogWriter,
  type LogWriterOptions,
} from './log-writer.js';
import { codecFor } from './messages.js';

/** Uncompressed chunk size at which a chunk is written out (the writer's memory bound). */
export const CHUNK_BYTES = 4 << 20;

/** The chunk being filled: its records, and per connection the (time, offset) of each message. */
class OpenChunk {
  parts: Uint8Array[] = [];
  size = 0;
  index = new Map<number, { timeNs: bigint; offset: number }[]>();
  startNs = 0n;
  endNs = 0n;

  add(parts: Uint8Array[], conn?: number, timeNs?: bigint): void {
    if (conn !== undefined && timeNs !== undefined) {
      if (this.index.size === 0 || timeNs < this.startNs) this.startNs = timeNs;
      if (this.index.size === 0 || timeNs > this.endNs) this.endNs = timeNs;
      let entries = this.index.get(conn);
      if (!entries) this.index.set(conn, (entries = []));
      entries.push({ timeNs, offset: this.size });
    }
    for (const p of parts) {
      this.parts.push(p);
      this.size += p.byteLength;
    }
  }
}

/** See the module comment. One `write` at a time (the run's sinks are called in order). */
export class BagLogWriter implements LogWriter {
  readonly temporary: string;
  readonly counts = new Map<string, number>();
  #handle: FileHandle | undefined;
  #position = 0;
  #chunk = new OpenChunk();
  #connections = new Map<string, BagConnection>();
  #chunks: ChunkInfo[] = [];
  #codec = codecFor('ros1');
  #classesWritten = false;
  #closing: Promise<void> | undefined;

  constructor(readonly options: LogWriterOptions) {
    this.temporary = temporaryPathFor(options.path);
  }

  async open(): Promise<void> {
    trackTemporary(this.temporary);
    this.#handle = await open(this.temporary, 'wx');
    await this.#append(Buffer.concat([BAG_MAGIC, bagHeader(0, 0, 0)]));
  }

  async write(out: LogFrameOutput): Promise<void> {
    const time = out.source.logTimeNs;
    if (!this.#classesWritten) {
      this.#classesWritten = true;
      const conn = this.#connection(CLASSES_TOPIC, this.#codec.text, { latching: true });
      await this.#message(conn, time, this.#codec.json(JSON.stringify(this.options.classes)));
    }
    for (const m of frameMessages(out, this.#codec, this.options.overlay))
      await this.#message(this.#connection(m.topic, m.schema), time, m.data);
  }

  async copy(
    topic: string,
    schema: SchemaInfo,
    metadata: Map<string, string>,
    logTimeNs: bigint,
    _publishTimeNs: bigint,
    data: Uint8Array,
  ): Promise<void> {
    const conn = this.#connection(topic, schema, {
      md5sum: metadata.get('md5sum'),
      callerid: metadata.get('callerid'),
      latching: metadata.get('latching') === '1',
    });
    await this.#message(conn, logTimeNs, Uint8Array.prototype.slice.call(data));
  }

  /** The connection of `topic`, made (and recorded in the open chunk) on its first message. */
  #connection(
    topic: string,
    schema: SchemaInfo,
    extra: { md5sum?: string; callerid?: string; latching?: boolean } = {},
  ): BagConnection {
    let c = this.#connections.get(topic);
    if (c) return c;
    const md5 = this.#codec.md5!;
    const ours =
      schema === this.#codec.image
        ? md5.image
        : schema === this.#codec.compressed
          ? md5.compressed
          : schema === this.#codec.text
            ? md5.text
            : undefined;
    c = {
      id: this.#connections.size,
      topic,
      type: schema.name,
      md5sum: extra.md5sum ?? ours ?? '*',
      definition: new TextDecoder().decode(schema.data),
      callerid: extra.callerid ?? '/seg_stream',
      latching: extra.latching ?? false,
    };
    this.#connections.set(topic, c);
    this.#chunk.add([connectionRecord(c)]);
    return c;
  }

  async #message(conn: BagConnection, timeNs: bigint, data: Uint8Array): Promise<void> {
    this.#chunk.add(
      record(
        [
          ['op', u8(OP.messageData)],
          ['conn', u32(conn.id)],
          ['time', rosTime(timeNs)],
        ],
        data,
      ),
      conn.id,
      timeNs,
    );
    this.counts.set(conn.topic, (this.counts.get(conn.topic) ?? 0) + 1);
    if (this.#chunk.size >= CHUNK_BYTES) await this.#flushChunk();
  }

  /** Writes the open chunk (uncompressed) and its index data. */
  async #flushChunk(): Promise<void> {
    const chunk = this.#chunk;
    if (chunk.index.size === 0) return;
    this.#chunk = new OpenChunk();
    const head = recordHead(
      [
        ['op', u8(OP.chunk)],
        ['compression', 'none'],
        ['size', u32(chunk.size)],
      ],
      chunk.size,
    );
    const index = [...chunk.index].map(([conn, entries]) => indexDataRecord(conn, entries));
    const counts = new Map([...chunk.index].map(([conn, entries]) => [conn, entries.length]));
    this.#chunks.push({ position: this.#position, startNs: chunk.startNs, endNs: chunk.endNs, counts });
    await this.#append(Buffer.concat([...head, ...chunk.parts, ...index]));
  }

  async #append(bytes: Buffer): Promise<void> {
    await this.#handle!.write(bytes, 0, bytes.length, this.#position);
    this.#position += bytes.length;
  }

  /** Writes the last chunk, the connections and chunk infos, the header's index position; renames into place. */
  finish(): Promise<void> {
    this.#closing ??= publishLog(this.#handle, this.temporary, this.options.path, async () => {
      await this.#flushChunk();
      const indexPos = this.#position;
      await this.#append(
        Buffer.concat([...[...this.#connections.values()].map(connectionRecord), ...this.#chunks.map(chunkInfoRecord)]),
      );
      const header = bagHeader(indexPos, this.#connections.size, this.#chunks.length);
      await this.#handle!.write(header, 0, header.length, BAG_MAGIC.length);
    });
    return this.#closing;
  }

  abort(): Promise<void> {
    this.#closing ??= discardLog(this.#handle, this.temporary);
    return this.#closing.catch(() => {});
  }
}
