/**
 * Reads a written log back with independent readers: @mcap/core's indexed reader and each
 * family's own deserializer (rosmsg-serialization, rosmsg2-serialization, protobuf from the
 * file's own descriptor, JSON).
 */
import { open } from 'node:fs/promises';
import { McapIndexedReader } from '@mcap/core';
import { FileHandleReadable } from '@mcap/nodejs';
import { parse } from '@foxglove/rosmsg';
import { MessageReader as Ros1Reader } from '@foxglove/rosmsg-serialization';
import { MessageReader as Ros2Reader } from '@foxglove/rosmsg2-serialization';
import { loadDecompressHandlers, protobufFromBinaryDescriptor } from '@mcap/support';
import { readBagWithRos } from '../../helpers/logs.js';

export interface ReadMessage {
  topic: string;
  logTime: bigint;
  publishTime: bigint;
  value: Record<string, unknown>;
}

export async function readBack(file: string) {
  const handle = await open(file, 'r');
  const reader = await McapIndexedReader.Initialize({
    readable: new FileHandleReadable(handle),
    decompressHandlers: await loadDecompressHandlers(),
  });
  const messages: ReadMessage[] = [];
  const decoders = new Map<number, (d: Uint8Array) => Record<string, unknown>>();
  for (const [id, ch] of reader.channelsById) {
    const schema = reader.schemasById.get(ch.schemaId)!;
    const text = new TextDecoder().decode(schema.data);
    if (schema.encoding === 'ros1msg') {
      const r = new Ros1Reader(parse(text));
      decoders.set(id, (d) => r.readMessage(d));
    } else if (schema.encoding === 'ros2msg') {
      const r = new Ros2Reader(parse(text, { ros2: true }));
      decoders.set(id, (d) => r.readMessage(d));
    } else if (schema.encoding === 'protobuf') {
      const t = protobufFromBinaryDescriptor(schema.data).lookupType(schema.name);
      decoders.set(id, (d) => t.toObject(t.decode(d), { longs: String }));
    } else decoders.set(id, (d) => JSON.parse(new TextDecoder().decode(d)) as Record<string, unknown>);
  }
  for await (const m of reader.readMessages()) {
    messages.push({
      topic: reader.channelsById.get(m.channelId)!.topic,
      logTime: m.logTime,
      publishTime: m.publishTime,
      value: decoders.get(m.channelId)!(m.data),
    });
  }
  const metadata = [];
  for await (const md of reader.readMetadata({ name: 'seg-stream' })) metadata.push(md);
  await handle.close();
  return { reader, messages, metadata };
}

/** The header stamp (ROS) or timestamp (Foxglove) of a decoded image message, in ns, and its frame id. */
export function stampOf(v: Record<string, unknown>): { ns: bigint; frameId: string } {
  if (v.timestamp) {
    const t = v.timestamp as { seconds: string; nanos: number };
    return { ns: BigInt(t.seconds) * 1_000_000_000n + BigInt(t.nanos), frameId: v.frame_id as string };
  }
  const h = v.header as { stamp: { sec: number; nsec?: number; nanosec?: number }; frame_id: string };
  return { ns: BigInt(h.stamp.sec) * 1_000_000_000n + BigInt(h.stamp.nsec ?? h.stamp.nanosec!), frameId: h.frame_id };
}

/**
 * A written MCAP as comparable rows, sorted: topic, log time, stamp and frame id (images), the
 * payload (image bytes in base64, or the text); and its `seg-stream` metadata records.
 */
export async function mcapRows(file: string) {
  const { messages, metadata } = await readBack(file);
  const rows = messages.map((m) => {
    const v = m.value;
    const image = typeof v.width === 'number' || v.format !== undefined;
    const stamp = image ? stampOf(v) : undefined;
    const bytes = v.data instanceof Uint8Array ? Buffer.from(v.data).toString('base64') : JSON.stringify(v.data);
    return `${m.topic} ${m.logTime} ${stamp?.ns ?? ''} ${stamp?.frameId ?? ''} ${bytes}`;
  });
  return { rows: rows.sort(), metadata };
}

/** A written bag as ROS's `rosbag` reads it, as the same rows; its counts and connections. */
export function bagRows(file: string) {
  const b = readBagWithRos(file);
  const rows = b.messages.map(
    (m) => `${m.topic} ${m.timeNs} ${m.stampNs ?? ''} ${m.frameId ?? ''} ${m.data ?? m.text}`,
  );
  return { rows: rows.sort(), counts: b.counts, connections: b.connections };
}
