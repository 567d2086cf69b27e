/**
 * The messages a log run writes back, in the message family of the input: ROS 1 (`ros1msg`
 * schemas, serialized by `@foxglove/rosmsg-serialization`), ROS 2 (`ros2msg`, CDR by
 * `@foxglove/rosmsg2-serialization`) and Foxglove schemas (protobuf, the `.proto` text of
 * `@foxglove/schemas` compiled by protobufjs). Each family gives: a mono8 image, a JPEG
 * compressed image and a JSON text message (the class table), with the schema to register.
 */
import { md5, parse } from '@foxglove/rosmsg';
import { MessageWriter as Ros1Writer } from '@foxglove/rosmsg-serialization';
import { MessageWriter as Ros2Writer } from '@foxglove/rosmsg2-serialization';
import type { MessageFamily } from '../types.js';
import type { MessageCodec, SchemaInfo, Stamp } from './codec.js';
import { foxgloveCodec } from './foxglove-proto.js';

export type { MessageCodec, SchemaInfo, Stamp } from './codec.js';

const ROS1_HEADER = 'uint32 seq\ntime stamp\nstring frame_id\n';
const ROS2_HEADER = 'builtin_interfaces/Time stamp\nstring frame_id\n';
const ROS2_TIME = 'int32 sec\nuint32 nanosec\n';
const SEP = '================================================================================\n';
const IMAGE_BODY = 'uint32 height\nuint32 width\nstring encoding\nuint8 is_bigendian\nuint32 step\nuint8[] data\n';
const COMPRESSED_BODY = 'string format\nuint8[] data\n';

function rosSchemas(ros2: boolean): { image: string; compressed: string; text: string } {
  const header = ros2
    ? `${SEP}MSG: std_msgs/Header\n${ROS2_HEADER}${SEP}MSG: builtin_interfaces/Time\n${ROS2_TIME}`
    : `${SEP}MSG: std_msgs/Header\n${ROS1_HEADER}`;
  return {
    image: `std_msgs/Header header\n${IMAGE_BODY}${header}`,
    compressed: `std_msgs/Header header\n${COMPRESSED_BODY}${header}`,
    text: 'string data\n',
  };
}

const NS = 1_000_000_000n;

function rosTime(ns: bigint, ros2: boolean): Record<string, number> {
  const sec = Number(ns / NS);
  const nsec = Number(ns % NS);
  return ros2 ? { sec, nanosec: nsec } : { sec, nsec };
}

function rosCodec(ros2: boolean): MessageCodec {
  const text = rosSchemas(ros2);
  const defs = (t: string) => parse(t, { ros2 });
  const writer = (t: string) => (ros2 ? new Ros2Writer(defs(t)) : new Ros1Writer(defs(t)));
  const image = writer(text.image);
  const compressed = writer(text.compressed);
  const str = writer(text.text);
  const names = ros2
    ? { image: 'sensor_msgs/msg/Image', compressed: 'sensor_msgs/msg/CompressedImage', text: 'std_msgs/msg/String' }
    : { image: 'sensor_msgs/Image', compressed: 'sensor_msgs/CompressedImage', text: 'std_msgs/String' };
  const encoding = ros2 ? 'ros2msg' : 'ros1msg';
  const messageEncoding = ros2 ? 'cdr' : 'ros1';
  const schema = (name: string, t: string): SchemaInfo => ({
    name,
    encoding,
    messageEncoding,
    data: new TextEncoder().encode(t),
  });
  const header = (at: Stamp) => ({
    ...(ros2 ? {} : { seq: 0 }),
    stamp: rosTime(at.stampNs, ros2),
    frame_id: at.frameId,
  });
  return {
    profile: ros2 ? 'ros2' : 'ros1',
    image: schema(names.image, text.image),
    compressed: schema(names.compressed, text.compressed),
    text: schema(names.text, text.text),
    ...(ros2
      ? {}
      : { md5: { image: md5(defs(text.image)), compressed: md5(defs(text.compressed)), text: md5(defs(text.text)) } }),
    mono8: (at, width, height, data) =>
      image.writeMessage({ header: header(at), height, width, encoding: 'mono8', is_bigendian: 0, step: width, data }),
    jpeg: (at, data) => compressed.writeMessage({ header: header(at), format: 'jpeg', data }),
    json: (json) => str.writeMessage({ data: json }),
  };
}

const codecs = new Map<MessageFamily, MessageCodec>();

/** The codec of `family` (made once per process). */
export function codecFor(family: MessageFamily): MessageCodec {
  let codec = codecs.get(family);
  if (!codec) {
    codec = family === 'foxglove' ? foxgloveCodec() : rosCodec(family === 'ros2');
    codecs.set(family, codec);
  }
  return codec;
}
