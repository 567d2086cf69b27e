// Driving logs for the log benchmarks: JPEG frames of the dashcam sample (or ffmpeg's test
// pattern) and an MCAP of them written by @mcap/core's McapWriter as a ROS 2 camera
// (sensor_msgs/msg/CompressedImage, CDR via @foxglove/rosmsg2-serialization), 10 Hz.
import { mkdirSync, readdirSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { open } from 'node:fs/promises';
import path from 'node:path';
import { McapWriter } from '@mcap/core';
import { FileHandleWritable } from '@mcap/nodejs';
import { parse } from '@foxglove/rosmsg';
import { MessageWriter } from '@foxglove/rosmsg2-serialization';
import { ffmpegSync, shared, work } from './lib.mjs';

export const TOPIC = '/cam_front/image_raw/compressed';
const SCHEMA =
  'std_msgs/Header header\nstring format\nuint8[] data\n================================================================================\nMSG: std_msgs/Header\nbuiltin_interfaces/Time stamp\nstring frame_id\n================================================================================\nMSG: builtin_interfaces/Time\nint32 sec\nuint32 nanosec\n';

/** `n` JPEG frames of `size` (WxH) in a folder of their own (made once). */
export function jpegFrames(n, size = '1280x720', quality = 3) {
  const dir = path.join(work, `log-jpeg-${size}-q${quality}-${n}`);
  if (existsSync(dir) && readdirSync(dir).length === n) return dir;
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const sample = path.join(shared, 'samples', 'solidWhiteRight.mp4');
  const [w, h] = size.split('x');
  const src = existsSync(sample)
    ? ['-stream_loop', '-1', '-i', sample]
    : ['-f', 'lavfi', '-i', `testsrc2=size=${size}:rate=10`];
  ffmpegSync([
    ...src,
    '-vf',
    `scale=${w}:${h}`,
    '-frames:v',
    String(n),
    '-q:v',
    String(quality),
    '-start_number',
    '0',
    path.join(dir, '%08d.jpg'),
  ]);
  return dir;
}

/**
 * An MCAP of the JPEGs in `dir`, each message at 10 Hz from 1.7e18 ns, repeated until the file
 * holds `repeat` passes over the folder (a big log of the same frames; a fraction of a pass ends
 * part-way). With `side` (raw RGB
 * frames from {@link rawFrames}), each tick also carries a `sensor_msgs/Image` `rgb8` message of
 * a second camera on {@link SIDE_TOPIC} (a log's other sensors, which a run reads past).
 * @param {string} file
 * @param {string} dir
 * @param {number} [repeat]
 * @param {{ width: number, height: number, frames: Uint8Array[] }} [side]
 */
export async function jpegMcap(file, dir, repeat = 1, side = undefined) {
  if (existsSync(file)) return file;
  const writer = new MessageWriter(parse(SCHEMA, { ros2: true }));
  const handle = await open(`${file}.tmp`, 'w');
  const mcap = new McapWriter({ writable: new FileHandleWritable(handle), chunkSize: 8 << 20 });
  await mcap.start({ profile: 'ros2', library: 'seg-stream bench' });
  const schemaId = await mcap.registerSchema({
    name: 'sensor_msgs/msg/CompressedImage',
    encoding: 'ros2msg',
    data: new TextEncoder().encode(SCHEMA),
  });
  const channelId = await mcap.registerChannel({ topic: TOPIC, schemaId, messageEncoding: 'cdr', metadata: new Map() });
  const addSide = side ? await sideCamera(mcap, side) : undefined;
  const files = readdirSync(dir).sort();
  const jpegs = files.map((f) => readFileSync(path.join(dir, f)));
  for (let i = 0; i < Math.round(repeat * files.length); i++) {
    const t = 1_700_000_000_000_000_000n + BigInt(i) * 100_000_000n;
    const msg = {
      header: {
        stamp: { sec: Number(t / 1_000_000_000n), nanosec: Number(t % 1_000_000_000n) },
        frame_id: 'cam_front',
      },
      format: 'jpeg',
      data: jpegs[i % jpegs.length],
    };
    await mcap.addMessage({ channelId, sequence: i, logTime: t, publishTime: t, data: writer.writeMessage(msg) });
    if (addSide) await addSide(i, t, msg.header);
  }
  await mcap.end();
  await handle.close();
  const { rename } = await import('node:fs/promises');
  await rename(`${file}.tmp`, file);
  return file;
}

export const SIDE_TOPIC = '/cam_side/image_raw';
const IMAGE_SCHEMA = SCHEMA.replace(
  'string format\nuint8[] data\n',
  'uint32 height\nuint32 width\nstring encoding\nuint8 is_bigendian\nuint32 step\nuint8[] data\n',
);

/** `n` raw RGB frames of `size` (WxH) of the dashcam sample, in memory: `{ width, height, frames }`. */
export function rawFrames(n, size = '640x360') {
  const [width, height] = size.split('x').map(Number);
  const dir = jpegFrames(n, size);
  const out = `${dir}.rgb`;
  if (!existsSync(out)) ffmpegSync(['-i', path.join(dir, '%08d.jpg'), '-f', 'rawvideo', '-pix_fmt', 'rgb24', out]);
  const all = readFileSync(out);
  const bytes = width * height * 3;
  const frames = Array.from({ length: all.length / bytes }, (_, k) => all.subarray(k * bytes, (k + 1) * bytes));
  return { width, height, frames };
}

/** Registers the side camera on `mcap`; returns a function that writes its message of tick `i`. */
async function sideCamera(mcap, side) {
  const writer = new MessageWriter(parse(IMAGE_SCHEMA, { ros2: true }));
  const schemaId = await mcap.registerSchema({
    name: 'sensor_msgs/msg/Image',
    encoding: 'ros2msg',
    data: new TextEncoder().encode(IMAGE_SCHEMA),
  });
  const channelId = await mcap.registerChannel({
    topic: SIDE_TOPIC,
    schemaId,
    messageEncoding: 'cdr',
    metadata: new Map(),
  });
  return (i, t, header) => {
    const msg = {
      header: { ...header, frame_id: 'cam_side' },
      height: side.height,
      width: side.width,
      encoding: 'rgb8',
      is_bigendian: 0,
      step: side.width * 3,
      data: side.frames[i % side.frames.length],
    };
    return mcap.addMessage({ channelId, sequence: i, logTime: t, publishTime: t, data: writer.writeMessage(msg) });
  };
}
