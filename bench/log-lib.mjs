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
 * holds `repeat` passes over the folder (a big log of the same frames).
 */
export async function jpegMcap(file, dir, repeat = 1) {
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
  const files = readdirSync(dir).sort();
  let i = 0;
  for (let r = 0; r < repeat; r++) {
    for (const f of files) {
      const t = 1_700_000_000_000_000_000n + BigInt(i) * 100_000_000n;
      const msg = {
        header: {
          stamp: { sec: Number(t / 1_000_000_000n), nanosec: Number(t % 1_000_000_000n) },
          frame_id: 'cam_front',
        },
        format: 'jpeg',
        data: readFileSync(path.join(dir, f)),
      };
      await mcap.addMessage({ channelId, sequence: i, logTime: t, publishTime: t, data: writer.writeMessage(msg) });
      i++;
    }
  }
  await mcap.end();
  await handle.close();
  const { rename } = await import('node:fs/promises');
  await rename(`${file}.tmp`, file);
  return file;
}
