/**
 * `logOut`: the segmentation written back as an MCAP file through `@mcap/core`'s McapWriter.
 * For each camera topic `T`: `T/seg/class_ids` (mono8 class indices at the source size),
 * `T/seg/free_space` (0/255 mono8) and with `overlay` `T/seg/overlay` (JPEG), in the camera's
 * message family, each message with the source's header stamp and frame id and its log time.
 * The class table is a metadata record `seg-stream` and a latched `/seg_stream/classes` message.
 * Written under a temporary name, renamed when complete; chunks compressed with zstd.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { McapWriter } from '@mcap/core';
import { FileHandleWritable } from '@mcap/nodejs';
import { trackTemporary } from '../../../process/temp-files.js';
import { temporaryPathFor } from '../../../sinks/atomic-file.js';
import type { LogFrameOutput } from '../log-frame.js';
import {
  CLASSES_TOPIC,
  discardLog,
  frameMessages,
  publishLog,
  type LogWriter,
  type LogWriterOptions,
} from './log-writer.js';
import { codecFor, type MessageCodec, type SchemaInfo } from './messages.js';
import { zstdChunks } from './zstd.js';

export type { ClassTable } from './log-writer.js';
export { CLASSES_TOPIC } from './log-writer.js';

/** Options of {@link McapLogWriter}. */
export type McapLogWriterOptions = LogWriterOptions;

const LATCHED_QOS =
  '- history: 1\n  depth: 1\n  reliability: 1\n  durability: 1\n  liveliness: 1\n  avoid_ros_namespace_conventions: false\n';

/** See the module comment. One `write` at a time (the run's sinks are called in order). */
export class McapLogWriter implements LogWriter {
  readonly temporary: string;
  #handle: FileHandle | undefined;
  #writer: McapWriter | undefined;
  #schemas = new Map<string, number>();
  #channels = new Map<string, number>();
  #sequence = 0;
  #classesWritten = false;
  #closing: Promise<void> | undefined;
  /** Messages written per output topic. */
  readonly counts = new Map<string, number>();

  constructor(readonly options: McapLogWriterOptions) {
    this.temporary = temporaryPathFor(options.path);
  }

  async open(): Promise<void> {
    trackTemporary(this.temporary);
    this.#handle = await open(this.temporary, 'wx');
    const compress = await zstdChunks();
    this.#writer = new McapWriter({
      writable: new FileHandleWritable(this.#handle),
      chunkSize: 4 << 20,
      ...(compress ? { compressChunk: compress } : {}),
    });
    await this.#writer.start({ profile: codecFor(this.options.family).profile, library: 'seg-stream' });
    const { classes } = this.options;
    await this.#writer.addMetadata({
      name: 'seg-stream',
      metadata: new Map([
        ['model', classes.model],
        ['classes', JSON.stringify(classes.classes)],
        ['free_space', JSON.stringify(classes.freeSpace)],
      ]),
    });
  }

  async write(out: LogFrameOutput): Promise<void> {
    const { source } = out;
    const codec = codecFor(source.family);
    if (!this.#classesWritten) {
      this.#classesWritten = true;
      await this.#add(
        CLASSES_TOPIC,
        codec,
        codec.text,
        source.logTimeNs,
        source.logTimeNs,
        codec.json(JSON.stringify(this.options.classes)),
        true,
      );
    }
    for (const m of frameMessages(out, codec, this.options.overlay))
      await this.#add(m.topic, codec, m.schema, source.logTimeNs, source.publishTimeNs, m.data);
  }

  /** Copies a message of another topic as it is (`copyAll`). */
  async copy(
    topic: string,
    schema: SchemaInfo,
    metadata: Map<string, string>,
    logTimeNs: bigint,
    publishTimeNs: bigint,
    data: Uint8Array,
  ): Promise<void> {
    const channel = await this.#channel(topic, schema, metadata);
    await this.#message(topic, channel, logTimeNs, publishTimeNs, data);
  }

  async #add(
    topic: string,
    codec: MessageCodec,
    schema: SchemaInfo,
    logTimeNs: bigint,
    publishTimeNs: bigint,
    data: Uint8Array,
    latched = false,
  ): Promise<void> {
    const channel = await this.#channel(topic, schema, channelMetadata(codec, schema, latched));
    await this.#message(topic, channel, logTimeNs, publishTimeNs, data);
  }

  async #message(
    topic: string,
    channelId: number,
    logTime: bigint,
    publishTime: bigint,
    data: Uint8Array,
  ): Promise<void> {
    await this.#writer!.addMessage({ channelId, sequence: this.#sequence++, logTime, publishTime, data });
    this.counts.set(topic, (this.counts.get(topic) ?? 0) + 1);
  }

  async #channel(topic: string, schema: SchemaInfo, metadata: Map<string, string>): Promise<number> {
    let id = this.#channels.get(topic);
    if (id !== undefined) return id;
    const key = `${schema.encoding}:${schema.name}`;
    let schemaId = this.#schemas.get(key);
    if (schemaId === undefined) {
      schemaId = await this.#writer!.registerSchema({
        name: schema.name,
        encoding: schema.encoding,
        data: schema.data,
      });
      this.#schemas.set(key, schemaId);
    }
    id = await this.#writer!.registerChannel({ topic, schemaId, messageEncoding: schema.messageEncoding, metadata });
    this.#channels.set(topic, id);
    return id;
  }

  /** Writes the summary and index, closes the file and renames it into place. */
  finish(): Promise<void> {
    this.#closing ??= publishLog(this.#handle, this.temporary, this.options.path, async () => {
      await this.#writer?.end();
    });
    return this.#closing;
  }

  abort(): Promise<void> {
    this.#closing ??= discardLog(this.#handle, this.temporary);
    return this.#closing.catch(() => {});
  }
}

/** Channel metadata as ROS tools expect it: md5sum/latching (ROS 1), QoS (ROS 2). */
function channelMetadata(codec: MessageCodec, schema: SchemaInfo, latched: boolean): Map<string, string> {
  if (codec.profile === 'ros1') {
    const md5 =
      schema === codec.image ? codec.md5!.image : schema === codec.compressed ? codec.md5!.compressed : codec.md5!.text;
    return new Map([
      ['md5sum', md5],
      ['callerid', '/seg_stream'],
      ...(latched ? [['latching', '1'] as [string, string]] : []),
    ]);
  }
  if (codec.profile === 'ros2' && latched) return new Map([['offered_qos_profiles', LATCHED_QOS]]);
  return new Map();
}
