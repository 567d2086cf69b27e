/**
 * Foxglove schemas written as protobuf (what Foxglove's own tools write): the `.proto` text of
 * `@foxglove/schemas` compiled by protobufjs, the schema record a binary FileDescriptorSet
 * (`@mcap/support`'s `protobufToDescriptor`). The class table goes as JSON with a JSON schema.
 */
import protobufjs from 'protobufjs';
import descriptor from 'protobufjs/ext/descriptor/index.js';
import { foxgloveMessageSchemas, generateProto } from '@foxglove/schemas/internal.js';
import { protobufToDescriptor } from '@mcap/support';
import type { MessageCodec, SchemaInfo, Stamp } from './codec.js';

const NS = 1_000_000_000n;

function compile(name: 'RawImage' | 'CompressedImage'): { type: protobufjs.Type; schema: SchemaInfo } {
  const root = new protobufjs.Root();
  protobufjs.parse(generateProto(foxgloveMessageSchemas[name], []), root, { keepCase: true });
  root.addJSON(protobufjs.common.get('google/protobuf/timestamp.proto')!.nested!);
  root.resolveAll();
  const data = descriptor.FileDescriptorSet.encode(protobufToDescriptor(root)).finish();
  return {
    type: root.lookupType(`foxglove.${name}`),
    schema: { name: `foxglove.${name}`, encoding: 'protobuf', messageEncoding: 'protobuf', data },
  };
}

function timestamp(ns: bigint): { seconds: number; nanos: number } {
  return { seconds: Number(ns / NS), nanos: Number(ns % NS) };
}

const TEXT_SCHEMA = JSON.stringify({
  type: 'object',
  title: 'seg_stream.Classes',
  properties: { data: { type: 'string' } },
});

/** The Foxglove-schema codec (see the module comment). */
export function foxgloveCodec(): MessageCodec {
  const raw = compile('RawImage');
  const compressed = compile('CompressedImage');
  const head = (at: Stamp) => ({ timestamp: timestamp(at.stampNs), frame_id: at.frameId });
  return {
    profile: '',
    image: raw.schema,
    compressed: compressed.schema,
    text: {
      name: 'seg_stream.Classes',
      encoding: 'jsonschema',
      messageEncoding: 'json',
      data: new TextEncoder().encode(TEXT_SCHEMA),
    },
    mono8: (at, width, height, data) =>
      raw.type.encode({ ...head(at), width, height, encoding: 'mono8', step: width, data }).finish(),
    jpeg: (at, data) => compressed.type.encode({ ...head(at), format: 'jpeg', data }).finish(),
    json: (json) => new TextEncoder().encode(JSON.stringify({ data: json })),
  };
}
