/**
 * Driving logs for the tests, written by the formats' own writers from real frames in ../shared:
 * ROS 1 bags by ROS's Python `rosbag` (test/helpers/make_bag.py), MCAP by `@mcap/core`'s McapWriter
 * with the rosmsg serialisers and Foxglove schemas (test/helpers/make-mcap.mjs).
 *
 * Built once per process into a temporary folder; {@link cleanupLogFixtures} removes it. Each log `x` has a manifest `x.json`:
 * `{ messages: [{ topic, type, logTimeNs, stampNs?, frameId, encoding?, source? }] }` in write order,
 * times as decimal strings; `source` is `camvid:i` / `dash:i`, an index into {@link LogFixtures.frames}.
 */
import { spawnSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { readLogImages } from '../../src/runs/logs/readers/index.js';
import type { LogDamage, LogImageMessage, ReadLogOptions } from '../../src/runs/logs/types.js';
import { bins, repoRoot, sharedDir } from './media.js';
import { PYTHON } from './python.js';

/** One prepared frame: its files (rgb24 raw, JPEG, PNG, UYVY/YUYV raw, H.264 access unit) and size. */
export interface PreparedFrame {
  width: number;
  height: number;
  rgb: string;
  jpg: string;
  png?: string;
  uyvy?: string;
  yuyv?: string;
  h264?: string;
}

export interface LogFixtures {
  dir: string;
  frames: { camvid: PreparedFrame[]; dash: PreparedFrame[] };
  /** Absolute path of a log by file name, e.g. `drive-bz2.bag`, `ros2-zstd.mcap`. */
  log(name: string): string;
  /** The manifest written next to a log by its generator. */
  manifest(name: string): ManifestMessage[];
  /** The rgb24 pixels of a prepared frame, by manifest `source` (`camvid:2`). */
  rgbOf(source: string): Uint8Array;
}

export interface ManifestMessage {
  topic: string;
  type: string;
  logTimeNs: string;
  stampNs?: string;
  frameId: string;
  encoding?: string;
  source?: string;
}

export const CAMVID_FRAMES = 4;
export const DASH_FRAMES = 4;

let cached: LogFixtures | undefined;

/**
 * True when the fixtures can be built: ../shared, `/usr/bin/python3` with `rosbag` and `sensor_msgs`, and `lz4`.
 * Outside CI their absence skips with a warning; under `CI=true` it throws.
 */
export function haveLogTools(): boolean {
  const missing: string[] = [];
  if (!existsSync(path.join(sharedDir, 'datasets', 'camvid', 'val'))) missing.push(`${sharedDir}/datasets/camvid`);
  if (!existsSync(path.join(sharedDir, 'samples', 'solidWhiteRight.mp4'))) missing.push(`${sharedDir}/samples`);
  const py = spawnSync(PYTHON, ['-c', 'import rosbag, sensor_msgs.msg, numpy'], { encoding: 'utf8' });
  if (py.status !== 0)
    missing.push(
      `${PYTHON} with rosbag, sensor_msgs and numpy (apt-get install python3-rosbag python3-sensor-msgs python3-numpy)`,
    );
  if (spawnSync('lz4', ['--version']).status !== 0)
    missing.push('the lz4 command (apt-get install lz4), which compresses the lz4 MCAP chunks');
  if (missing.length === 0) return true;
  if (process.env.CI === 'true') throw new Error(`the log tests need ${missing.join(', ')} under CI=true`);
  console.warn(`skipping the log tests: missing ${missing.join(', ')}`);
  return false;
}

/** Builds (once per process) every fixture log; call only after {@link haveLogTools} said true. */
export function logFixtures(): LogFixtures {
  if (cached) return cached;
  const dir = mkdtempSync(path.join(tmpdir(), 'segstream-logs-'));
  let frames: LogFixtures['frames'];
  try {
    frames = buildLogs(dir);
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  const rgbCache = new Map<string, Uint8Array>();
  cached = {
    dir,
    frames,
    log: (name) => path.join(dir, name),
    manifest: (name) =>
      (JSON.parse(readFileSync(path.join(dir, `${name}.json`), 'utf8')) as { messages: ManifestMessage[] }).messages,
    rgbOf: (source) => {
      const [set, i] = source.split(':') as ['camvid' | 'dash', string];
      let rgb = rgbCache.get(source);
      if (!rgb) rgbCache.set(source, (rgb = new Uint8Array(readFileSync(frames[set][Number(i)].rgb))));
      return rgb;
    },
  };
  return cached;
}

function buildLogs(dir: string): LogFixtures['frames'] {
  const framesDir = path.join(dir, 'frames');
  mkdirSync(framesDir);
  const frames = { camvid: prepareCamvid(framesDir), dash: prepareDash(framesDir) };
  const framesJson = path.join(dir, 'frames.json');
  writeFileSync(framesJson, JSON.stringify(frames));
  run(PYTHON, [path.join(repoRoot, 'test', 'helpers', 'make_bag.py'), framesJson, dir]);
  run(process.execPath, [path.join(repoRoot, 'test', 'helpers', 'make-mcap.mjs'), framesJson, dir]);
  return frames;
}

/** Removes the fixtures of this process (call from `afterAll` of each test file that used them). */
export function cleanupLogFixtures(): void {
  if (!cached) return;
  rmSync(cached.dir, { recursive: true, force: true });
  cached = undefined;
}

function run(file: string, args: string[]): void {
  const r = spawnSync(file, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0)
    throw new Error(`${path.basename(args[0] ?? file)} failed (${r.status ?? r.signal}): ${r.stderr.slice(-2000)}`);
}

function ffmpeg(args: string[]): void {
  run(bins.ffmpeg.path, ['-v', 'error', '-y', ...args]);
}

function prepareCamvid(dir: string): PreparedFrame[] {
  const val = path.join(sharedDir, 'datasets', 'camvid', 'val');
  const names = readdirSync(val)
    .filter((n) => n.endsWith('.png'))
    .sort()
    .slice(0, CAMVID_FRAMES);
  return names.map((name, i) => {
    const base = path.join(dir, `camvid-${i}`);
    const png = `${base}.png`;
    copyFileSync(path.join(val, name), png);
    ffmpeg(['-i', png, '-f', 'rawvideo', '-pix_fmt', 'rgb24', `${base}.rgb`]);
    ffmpeg(['-i', png, '-q:v', '3', `${base}.jpg`]);
    ffmpeg(['-i', png, '-f', 'rawvideo', '-pix_fmt', 'uyvy422', `${base}.uyvy`]);
    ffmpeg(['-i', png, '-f', 'rawvideo', '-pix_fmt', 'yuyv422', `${base}.yuyv`]);
    return {
      width: 480,
      height: 360,
      rgb: `${base}.rgb`,
      jpg: `${base}.jpg`,
      png,
      uyvy: `${base}.uyvy`,
      yuyv: `${base}.yuyv`,
    };
  });
}

/** Dashcam frames: JPEG and rgb24 of each, and the same frames as H.264 access units (no B-frames). */
function prepareDash(dir: string): PreparedFrame[] {
  const clip = path.join(sharedDir, 'samples', 'solidWhiteRight.mp4');
  const n = String(DASH_FRAMES);
  ffmpeg(['-i', clip, '-frames:v', n, '-q:v', '3', '-start_number', '0', path.join(dir, 'dash-%d.jpg')]);
  ffmpeg([
    '-i',
    clip,
    '-frames:v',
    n,
    '-pix_fmt',
    'rgb24',
    '-start_number',
    '0',
    '-f',
    'image2',
    '-c:v',
    'rawvideo',
    path.join(dir, 'dash-%d.rgb'),
  ]);
  const h264 = ['-c:v', 'libx264', '-bf', '0', '-g', '2', '-pix_fmt', 'yuv420p', '-start_number', '0', '-f', 'image2'];
  ffmpeg(['-i', clip, '-frames:v', n, ...h264, path.join(dir, 'dash-%d.h264')]);
  return Array.from({ length: DASH_FRAMES }, (_, i) => {
    const base = path.join(dir, `dash-${i}`);
    return { width: 960, height: 540, rgb: `${base}.rgb`, jpg: `${base}.jpg`, h264: `${base}.h264` };
  });
}

const CAMERA_TYPES = /(CompressedImage|\/Image|RawImage|CompressedVideo)$/;

/** Every message of a read, and the damage reported at its end. */
export async function readAll(
  file: string,
  options: ReadLogOptions = {},
): Promise<{ messages: LogImageMessage[]; damage: LogDamage }> {
  let damage: LogDamage | undefined;
  const messages: LogImageMessage[] = [];
  for await (const m of readLogImages(file, { ...options, onDamage: (d) => (damage = d) })) messages.push(m);
  return { messages, damage: damage! };
}

/** Camera messages of a manifest in log-time order (ties: write order). */
export function expectedCameras(manifest: ManifestMessage[]): ManifestMessage[] {
  return manifest
    .filter((m) => CAMERA_TYPES.test(m.type))
    .map((m, i) => ({ m, i }))
    .sort((a, b) => {
      const d = BigInt(a.m.logTimeNs) - BigInt(b.m.logTimeNs);
      return d !== 0n ? (d < 0n ? -1 : 1) : a.i - b.i;
    })
    .map(({ m }) => m);
}

/** A bag as ROS's own Python `rosbag` reads it (test/helpers/read_bag.py): connections, counts as `rosbag info` gives them, messages. */
export interface BagReadBack {
  connections: { topic: string; type: string; md5sum: string; latching: boolean; md5Expected: string | null }[];
  counts: Record<string, number>;
  messages: {
    topic: string;
    timeNs: string;
    type: string;
    stampNs?: string;
    frameId?: string;
    width?: number;
    height?: number;
    encoding?: string;
    step?: number;
    format?: string;
    data?: string;
    text?: string;
  }[];
}

/** Reads `file` with ROS's `rosbag` (through the bag's index); throws with rosbag's message when it cannot. */
export function readBagWithRos(file: string): BagReadBack {
  const r = spawnSync(PYTHON, [path.join(repoRoot, 'test', 'helpers', 'read_bag.py'), file], {
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
  });
  if (r.status !== 0) throw new Error(`rosbag could not read ${file}: ${r.stderr.slice(-2000)}`);
  return JSON.parse(r.stdout) as BagReadBack;
}

/** `rosbag info FILE` (ROS's command), its output; throws when it fails. */
export function rosbagInfo(file: string): string {
  const r = spawnSync(PYTHON, ['/usr/bin/rosbag', 'info', file], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`rosbag info ${file} failed: ${r.stderr.slice(-2000)}`);
  return r.stdout;
}
