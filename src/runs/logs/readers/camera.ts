/**
 * Which topics are cameras, and how a deserialised camera message becomes a {@link LogImageMessage}:
 * sensor_msgs (ROS 1 and ROS 2), foxglove schemas and their foxglove_msgs ROS twins.
 */
import { ErrorCodes } from '../../../errors.js';
import type { LogCameraTopic, LogImageMessage, MessageFamily } from '../types.js';

/** The kind of camera a schema name denotes, or undefined for any other topic. */
export function cameraKind(schemaName: string): LogCameraTopic['kind'] | undefined {
  const name = schemaName.replace('/msg/', '/');
  if (name === 'sensor_msgs/CompressedImage' || /^foxglove(\.|_msgs\/)CompressedImage$/.test(name)) return 'compressed';
  if (name === 'sensor_msgs/Image' || /^foxglove(\.|_msgs\/)RawImage$/.test(name)) return 'raw';
  if (/^foxglove(\.|_msgs\/)CompressedVideo$/.test(name)) return 'video';
  return undefined;
}

/** True when the schema uses Foxglove's field names (`timestamp`, `format`) rather than sensor_msgs'. */
function foxgloveFields(schemaName: string): boolean {
  return schemaName.startsWith('foxglove');
}

/** Encodings the decoder reads: compressed formats, raw pixel layouts, video codecs. */
export const SUPPORTED_ENCODINGS: ReadonlySet<string> = new Set([
  'jpeg',
  'png',
  'rgb8',
  'bgr8',
  'rgba8',
  'bgra8',
  'mono8',
  '8UC1',
  'mono16',
  '16UC1',
  'yuv422',
  'uyvy',
  'yuv422_yuy2',
  'yuyv',
  'bayer_rggb8',
  'bayer_bggr8',
  'bayer_gbrg8',
  'bayer_grbg8',
  'h264',
  'h265',
]);

/**
 * The encoding of a compressed image's `format` field: `jpeg` or `png` (image_transport writes
 * e.g. `bgr8; jpeg compressed bgr8`), else the field as written.
 */
export function compressedEncoding(format: string): string {
  const f = format.toLowerCase();
  if (/\b(jpeg|jpg)\b/.test(f)) return 'jpeg';
  if (/\bpng\b/.test(f)) return 'png';
  if (f === 'hevc') return 'h265';
  return format;
}

type Obj = Record<string, unknown>;

/** Nanoseconds of a ROS 1 `{sec, nsec}`, ROS 2 `{sec, nanosec}` or protobuf `{seconds, nanos}` time. */
export function timeNs(t: unknown): bigint {
  if (!t || typeof t !== 'object') return 0n;
  const o = t as Obj;
  const sec = o.sec ?? o.seconds ?? 0;
  const nsec = o.nsec ?? o.nanosec ?? o.nanos ?? 0;
  return wholeNumber(sec) * 1_000_000_000n + wholeNumber(nsec);
}

function bytes(v: unknown): Uint8Array {
  if (v instanceof Uint8Array) return v;
  if (typeof v === 'string') return new Uint8Array(Buffer.from(v, 'base64'));
  if (Array.isArray(v)) return Uint8Array.from(v as number[]);
  return new Uint8Array(0);
}

/** Where a message sits: topic, family, sequence and times, known before it is deserialised. */
export interface MessagePlace {
  topic: string;
  schemaName: string;
  family: MessageFamily;
  seq: number;
  logTimeNs: bigint;
  publishTimeNs: bigint;
}

/** A deserialised camera message as a {@link LogImageMessage}. */
export function imageMessage(place: MessagePlace, msg: Obj): LogImageMessage {
  const fox = foxgloveFields(place.schemaName);
  const header = (msg.header ?? {}) as Obj;
  const kind = cameraKind(place.schemaName);
  const out: LogImageMessage = {
    topic: place.topic,
    family: place.family,
    seq: place.seq,
    logTimeNs: place.logTimeNs,
    publishTimeNs: place.publishTimeNs,
    stampNs: timeNs(fox ? msg.timestamp : header.stamp),
    frameId: text(fox ? msg.frame_id : header.frame_id),
    encoding: kind === 'raw' ? text(msg.encoding) : compressedEncoding(text(msg.format)),
    data: bytes(msg.data),
  };
  if (kind === 'raw') {
    out.width = Number(msg.width);
    out.height = Number(msg.height);
    out.step = Number(msg.step);
    out.isBigEndian = Boolean(msg.is_bigendian);
  }
  return out;
}

/** The coded text of a topic skipped for its encoding. */
export function unsupportedText(topic: string, encoding: string): string {
  const known = [...SUPPORTED_ENCODINGS].join(', ');
  return `${ErrorCodes.LOG_ENCODING_UNSUPPORTED}: topic ${topic}: encoding ${JSON.stringify(encoding)} is not supported (known: ${known}); the topic is skipped, the other topics are read`;
}

/** A string field of a message ('' when absent). */
function text(v: unknown): string {
  return typeof v === 'string' ? v : typeof v === 'number' ? String(v) : '';
}

/** A whole number of a time field (number, bigint or decimal string); 0 when absent. */
function wholeNumber(v: unknown): bigint {
  return typeof v === 'bigint' ? v : typeof v === 'number' || typeof v === 'string' ? BigInt(v) : 0n;
}
