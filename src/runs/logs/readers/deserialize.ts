/**
 * Message deserialisers by schema and message encoding, all from the field's own libraries:
 * ROS 1 (`@foxglove/rosmsg` + `@foxglove/rosmsg-serialization`), ROS 2 CDR
 * (`@foxglove/rosmsg2-serialization`), protobuf (`@mcap/support`'s descriptor loader + protobufjs)
 * and JSON.
 */
import { parse as parseMessageDefinition } from '@foxglove/rosmsg';
import { MessageReader as Ros1Reader } from '@foxglove/rosmsg-serialization';
import { MessageReader as Ros2Reader } from '@foxglove/rosmsg2-serialization';
import { protobufFromBinaryDescriptor } from '@mcap/support';
import { ErrorCodes, SegStreamError } from '../../../errors.js';
import type { MessageFamily } from '../types.js';

/** Turns one message's bytes into a plain object. */
export type Deserialize = (data: Uint8Array) => Record<string, unknown>;

/** A schema as MCAP stores it (bags: `ros1msg` with the connection's definition). */
export interface SchemaText {
  name: string;
  encoding: string;
  data: Uint8Array;
}

/** Message family of an MCAP message encoding (`ros1`, `cdr`, `json`, `protobuf`). */
export function familyOf(messageEncoding: string): MessageFamily | undefined {
  if (messageEncoding === 'ros1') return 'ros1';
  if (messageEncoding === 'cdr') return 'ros2';
  if (messageEncoding === 'json' || messageEncoding === 'protobuf') return 'foxglove';
  return undefined;
}

/**
 * The deserialiser of a channel.
 *
 * @throws {SegStreamError} `SEGSTREAM_ERR_LOG_ENCODING_UNSUPPORTED` for an encoding none of the libraries reads
 */
export function deserializer(topic: string, schema: SchemaText | undefined, messageEncoding: string): Deserialize {
  const text = () => new TextDecoder().decode(schema?.data);
  if (messageEncoding === 'ros1' && schema?.encoding === 'ros1msg') {
    const reader = new Ros1Reader(parseMessageDefinition(text()));
    return (data) => reader.readMessage(data);
  }
  if (messageEncoding === 'cdr' && schema?.encoding === 'ros2msg') {
    const reader = new Ros2Reader(parseMessageDefinition(text(), { ros2: true }));
    return (data) => reader.readMessage<Record<string, unknown>>(data);
  }
  if (messageEncoding === 'protobuf' && schema?.encoding === 'protobuf') {
    const type = protobufFromBinaryDescriptor(schema.data).lookupType(schema.name);
    return (data) => type.toObject(type.decode(data), { longs: String, defaults: true });
  }
  if (messageEncoding === 'json') {
    const decoder = new TextDecoder();
    return (data) => JSON.parse(decoder.decode(data)) as Record<string, unknown>;
  }
  const what = `${messageEncoding} messages with ${schema ? `a ${schema.encoding || 'empty'} schema` : 'no schema'}`;
  throw new SegStreamError(
    ErrorCodes.LOG_ENCODING_UNSUPPORTED,
    `topic ${topic}: cannot deserialise ${what}; the topic is skipped`,
    {
      context: { stage: 'decode' },
    },
  );
}
