/**
 * MCAP logs for the log tests, written by `@mcap/core`'s McapWriter from real frames: ROS 2 (CDR via
 * `@foxglove/rosmsg2-serialization`), ROS 1 (`@foxglove/rosmsg-serialization`) and Foxglove schemas
 * (`@foxglove/schemas`, JSON and protobuf). Chunks compressed with zstd (`@foxglove/wasm-zstd`) or lz4
 * (the `lz4` command, LZ4 frame format as MCAP specifies).
 *
 * Usage: node make-mcap.mjs FRAMES_JSON OUT_DIR  (FRAMES_JSON from test/helpers/logs.ts)
 * Writes ros2-zstd.mcap, ros2-lz4.mcap, ros1.mcap, foxglove-json.mcap, foxglove-proto.mcap, no-images.mcap,
 * each with a `<name>.json` manifest like make_bag.py's.
 */
import { spawnSync } from 'node:child_process';
import { open, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { McapWriter } from '@mcap/core';
import { FileHandleWritable } from '@mcap/nodejs';
import { protobufToDescriptor } from '@mcap/support';
import { parse as parseMsgDef } from '@foxglove/rosmsg';
import { MessageWriter as Ros1Writer } from '@foxglove/rosmsg-serialization';
import { MessageWriter as Ros2Writer } from '@foxglove/rosmsg2-serialization';
import zstd from '@foxglove/wasm-zstd';
import schemasInternal from '@foxglove/schemas/internal.js';
import jsonSchemas from '@foxglove/schemas/jsonschema.js';
import protobuf from 'protobufjs';

const T0 = 1_700_000_000_000_000_000n;
const STAMP_SKEW = 12_345_679n;
const SEP = '================================================================================\n';

const ROS2 = {
  header: 'builtin_interfaces/Time stamp\nstring frame_id\n',
  time: 'int32 sec\nuint32 nanosec\n',
  deps() {
    return `${SEP}MSG: std_msgs/Header\n${this.header}${SEP}MSG: builtin_interfaces/Time\n${this.time}`;
  },
};
const ROS1_HEADER = `${SEP}MSG: std_msgs/Header\nuint32 seq\ntime stamp\nstring frame_id\n`;
const COMPRESSED_FIELDS = 'std_msgs/Header header\nstring format\nuint8[] data\n';
const IMAGE_FIELDS =
  'std_msgs/Header header\nuint32 height\nuint32 width\nstring encoding\nuint8 is_bigendian\nuint32 step\nuint8[] data\n';
const STRING_FIELDS = 'string data\n';

const read = (p) => readFile(p);

function sec(ns) {
  return { sec: Number(ns / 1_000_000_000n), nsec: Number(ns % 1_000_000_000n) };
}

function compressor(kind) {
  if (kind === 'zstd') return (data) => ({ compression: 'zstd', compressedData: zstd.compress(data) });
  return (data) => {
    const r = spawnSync('lz4', ['-c', '-q'], { input: data, maxBuffer: 1 << 28 });
    if (r.status !== 0) throw new Error(`lz4 failed: ${r.stderr}`);
    return { compression: 'lz4', compressedData: new Uint8Array(r.stdout) };
  };
}

/** A log being written: channels registered on first use, every message recorded in the manifest. */
async function openLog(file, { profile, compression }) {
  const handle = await open(file, 'w');
  const writer = new McapWriter({
    writable: new FileHandleWritable(handle),
    chunkSize: 256 * 1024,
    compressChunk: compression ? compressor(compression) : undefined,
  });
  await writer.start({ profile, library: 'seg-stream test fixtures' });
  const channels = new Map();
  const messages = [];
  const pending = [];
  return {
    async channel(topic, schema, messageEncoding) {
      if (!channels.has(topic)) {
        const schemaId = await writer.registerSchema(schema);
        channels.set(topic, await writer.registerChannel({ topic, schemaId, messageEncoding, metadata: new Map() }));
      }
      return channels.get(topic);
    },
    /** Queues a message; `close` writes them in log-time order, as a recorder receives them. */
    async add(topic, channelId, bytes, logNs, entry) {
      pending.push({ topic, channelId, bytes, logNs, entry, n: pending.length });
    },
    async close() {
      pending.sort((a, b) => (a.logNs < b.logNs ? -1 : a.logNs > b.logNs ? 1 : a.n - b.n));
      for (const { topic, channelId, bytes, logNs, entry } of pending) {
        await writer.addMessage({
          channelId,
          sequence: messages.length,
          logTime: logNs,
          publishTime: logNs,
          data: bytes,
        });
        messages.push({ topic, logTimeNs: String(logNs), ...entry });
      }
      await writer.end();
      await handle.close();
      await writeFile(`${file}.json`, JSON.stringify({ messages }, null, 1));
    },
  };
}

function ros2Schema(name, fields) {
  const text = fields + ROS2.deps();
  return {
    schema: { name, encoding: 'ros2msg', data: new TextEncoder().encode(text) },
    writer: new Ros2Writer(parseMsgDef(text, { ros2: true })),
  };
}

function ros1Schema(name, fields) {
  const text = fields + (fields.includes('Header') ? ROS1_HEADER : '');
  return {
    schema: { name, encoding: 'ros1msg', data: new TextEncoder().encode(text) },
    writer: new Ros1Writer(parseMsgDef(text)),
  };
}

/** The drive scene of make_bag.py in a ROS profile: front JPEG, left bgr8 (skewed stamps), rgb8 twin, a string topic. */
async function rosDrive(frames, file, { profile, compression }) {
  const ros2 = profile === 'ros2';
  const make = ros2 ? ros2Schema : ros1Schema;
  const ns = ros2 ? 'sensor_msgs/msg/' : 'sensor_msgs/';
  const enc = ros2 ? 'cdr' : 'ros1';
  const types = {
    compressed: make(`${ns}CompressedImage`, COMPRESSED_FIELDS),
    image: make(`${ns}Image`, IMAGE_FIELDS),
    string: make(ros2 ? 'std_msgs/msg/String' : 'std_msgs/String', STRING_FIELDS),
  };
  const header = (stampNs, frameId) => {
    const t = sec(stampNs);
    return ros2
      ? { stamp: { sec: t.sec, nanosec: t.nsec }, frame_id: frameId }
      : { seq: 0, stamp: t, frame_id: frameId };
  };
  const log = await openLog(file, { profile, compression });
  const put = async (topic, type, msg, logNs, entry) => {
    const id = await log.channel(topic, types[type].schema, enc);
    await log.add(topic, id, types[type].writer.writeMessage(msg), logNs, { type: types[type].schema.name, ...entry });
  };
  for (let i = 0; i < frames.dash.length; i++) {
    const t = T0 + BigInt(i) * 100_000_000n;
    const msg = { header: header(t, 'cam_front'), format: 'jpeg', data: await read(frames.dash[i].jpg) };
    await put('/cam_front/image_raw/compressed', 'compressed', msg, t, entry(t, 'cam_front', 'jpeg', `dash:${i}`));
    await put('/status', 'string', { data: `frame ${i}` }, t + 1n, { frameId: '' });
  }
  for (let i = 0; i < frames.camvid.length; i++) {
    const f = frames.camvid[i];
    const t = T0 + 50_000_000n + BigInt(i) * 100_000_000n;
    const stamp = t - STAMP_SKEW;
    const rgb = await read(f.rgb);
    const image = (encoding, data) => ({
      header: header(stamp, 'cam_left'),
      height: f.height,
      width: f.width,
      encoding,
      is_bigendian: 0,
      step: f.width * 3,
      data,
    });
    await put(
      '/cam_left/image_raw',
      'image',
      image('bgr8', swapRB(rgb)),
      t,
      entry(stamp, 'cam_left', 'bgr8', `camvid:${i}`),
    );
    await put(
      '/cam_left_rgb/image_raw',
      'image',
      image('rgb8', rgb),
      t + 1000n,
      entry(stamp, 'cam_left', 'rgb8', `camvid:${i}`),
    );
  }
  await log.close();
}

function entry(stampNs, frameId, encoding, source) {
  return { stampNs: String(stampNs), frameId, encoding, source };
}

function swapRB(rgb) {
  const out = Buffer.from(rgb);
  for (let o = 0; o < out.length; o += 3) {
    out[o] = rgb[o + 2];
    out[o + 2] = rgb[o];
  }
  return out;
}

function protoSchema(name) {
  const root = new protobuf.Root();
  protobuf.parse(schemasInternal.generateProto(schemasInternal.foxgloveMessageSchemas[name], []), root, {
    keepCase: true,
  });
  root.addJSON(protobuf.common['google/protobuf/timestamp.proto'].nested);
  root.resolveAll();
  const desc = protobufToDescriptor(root);
  const type = root.lookupType(`foxglove.${name}`);
  return {
    schema: { name: `foxglove.${name}`, encoding: 'protobuf', data: desc.$type.encode(desc).finish() },
    encode: (msg) => type.encode(type.fromObject(msg)).finish(),
  };
}

function jsonSchema(name) {
  return {
    schema: {
      name: `foxglove.${name}`,
      encoding: 'jsonschema',
      data: new TextEncoder().encode(JSON.stringify(jsonSchemas[name])),
    },
    encode: (msg) =>
      new TextEncoder().encode(JSON.stringify({ ...msg, data: Buffer.from(msg.data).toString('base64') })),
  };
}

/** Foxglove schemas: front camera JPEG (CompressedImage), left bgr8 (RawImage), and in protobuf the front as H.264. */
async function foxgloveDrive(frames, file, { encoding, compression }) {
  const make = encoding === 'json' ? jsonSchema : protoSchema;
  const types = {
    CompressedImage: make('CompressedImage'),
    RawImage: make('RawImage'),
    CompressedVideo: make('CompressedVideo'),
  };
  const log = await openLog(file, { profile: '', compression });
  const ts = (ns) => (encoding === 'json' ? sec(ns) : { seconds: sec(ns).sec, nanos: sec(ns).nsec });
  const put = async (topic, type, msg, logNs, e) => {
    const id = await log.channel(topic, types[type].schema, encoding);
    await log.add(topic, id, types[type].encode({ ...msg, timestamp: ts(BigInt(e.stampNs)) }), logNs, {
      type: `foxglove.${type}`,
      ...e,
    });
  };
  for (let i = 0; i < frames.dash.length; i++) {
    const t = T0 + BigInt(i) * 100_000_000n;
    const jpeg = { frame_id: 'cam_front', format: 'jpeg', data: await read(frames.dash[i].jpg) };
    await put('/cam_front/image', 'CompressedImage', jpeg, t, entry(t, 'cam_front', 'jpeg', `dash:${i}`));
    if (encoding !== 'json') {
      const video = { frame_id: 'cam_front', format: 'h264', data: await read(frames.dash[i].h264) };
      await put('/cam_front/video', 'CompressedVideo', video, t + 2n, entry(t, 'cam_front', 'h264', `dash:${i}`));
    }
  }
  for (let i = 0; i < frames.camvid.length; i++) {
    const f = frames.camvid[i];
    const t = T0 + 50_000_000n + BigInt(i) * 100_000_000n;
    const stamp = t - STAMP_SKEW;
    const raw = {
      frame_id: 'cam_left',
      width: f.width,
      height: f.height,
      encoding: 'bgr8',
      step: f.width * 3,
      data: swapRB(await read(f.rgb)),
    };
    await put('/cam_left/image', 'RawImage', raw, t, entry(stamp, 'cam_left', 'bgr8', `camvid:${i}`));
  }
  await log.close();
}

async function noImages(file) {
  const log = await openLog(file, { profile: 'ros2', compression: 'zstd' });
  const { schema, writer } = ros2Schema('std_msgs/msg/String', STRING_FIELDS);
  const id = await log.channel('/status', schema, 'cdr');
  for (let i = 0; i < 5; i++)
    await log.add('/status', id, writer.writeMessage({ data: `tick ${i}` }), T0 + BigInt(i), {
      type: schema.name,
      frameId: '',
    });
  await log.close();
}

async function main() {
  const [framesJson, out] = process.argv.slice(2);
  const frames = JSON.parse(await readFile(framesJson, 'utf8'));
  await zstd.isLoaded;
  await rosDrive(frames, path.join(out, 'ros2-zstd.mcap'), { profile: 'ros2', compression: 'zstd' });
  await rosDrive(frames, path.join(out, 'ros2-lz4.mcap'), { profile: 'ros2', compression: 'lz4' });
  await rosDrive(frames, path.join(out, 'ros1.mcap'), { profile: 'ros1', compression: 'zstd' });
  await foxgloveDrive(frames, path.join(out, 'foxglove-json.mcap'), { encoding: 'json', compression: 'zstd' });
  await foxgloveDrive(frames, path.join(out, 'foxglove-proto.mcap'), { encoding: 'protobuf', compression: 'lz4' });
  await noImages(path.join(out, 'no-images.mcap'));
}

await main();
