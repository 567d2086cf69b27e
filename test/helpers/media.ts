/**
 * Test media made with the real ffmpeg: videos whose frames carry their index as a row of
 * black/white blocks, raw decoding of outputs, and ffprobe facts.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { resolveFfmpeg } from '../../src/process/binaries.js';

export const bins = resolveFfmpeg();
export const repoRoot = path.resolve(import.meta.dirname, '..', '..');
export const sharedDir = path.resolve(repoRoot, '..', 'shared');
export const tinyModelDir = path.join(repoRoot, 'test', 'fixtures', 'models', 'tiny');

/** True when ../shared is present; under CI=true its absence is a failure, not a skip. */
export function haveShared(): boolean {
  const present = existsSync(path.join(sharedDir, 'samples'));
  if (!present && process.env.CI === 'true')
    throw new Error(`../shared is required under CI=true but ${sharedDir} is missing`);
  if (!present) console.warn(`skipping: ${sharedDir} is absent (tests on real footage need ../shared)`);
  return present;
}

/** A fresh temporary folder, removed by the returned function. */
export function tempDir(prefix = 'segstream-test-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export const INDEX_BITS = 10;

/** Writes the index of a frame as INDEX_BITS black/white blocks across the top band of `rgb`. */
export function paintIndex(rgb: Uint8Array, width: number, height: number, index: number): void {
  const block = Math.floor(width / INDEX_BITS);
  const band = Math.floor(height / 4);
  for (let bit = 0; bit < INDEX_BITS; bit++) {
    const v = (index >> bit) & 1 ? 255 : 0;
    for (let y = 0; y < band; y++) {
      for (let x = bit * block; x < (bit + 1) * block; x++) {
        const o = (y * width + x) * 3;
        rgb[o] = v;
        rgb[o + 1] = v;
        rgb[o + 2] = v;
      }
    }
  }
}

/** Reads the index back: the mean luma of each block's centre against mid-grey. */
export function readIndex(rgb: Uint8Array, width: number, height: number): number {
  const block = Math.floor(width / INDEX_BITS);
  const band = Math.floor(height / 4);
  let index = 0;
  for (let bit = 0; bit < INDEX_BITS; bit++) {
    let sum = 0;
    let n = 0;
    for (let y = Math.floor(band / 4); y < Math.floor((band * 3) / 4); y++) {
      for (let x = bit * block + Math.floor(block / 4); x < bit * block + Math.floor((block * 3) / 4); x++) {
        const o = (y * width + x) * 3;
        sum += (rgb[o] + rgb[o + 1] + rgb[o + 2]) / 3;
        n++;
      }
    }
    if (sum / n > 128) index |= 1 << bit;
  }
  return index;
}

export interface IndexedVideoOptions {
  width: number;
  height: number;
  frames: number;
  /** Exact rate as `num/den`. */
  fps: string;
  audio?: boolean;
}

/**
 * Encodes a video whose frame i shows i in blocks at the top, over a road-like scene (grey
 * lower half, sky-blue upper part) that moves a little each frame.
 */
export async function makeIndexedVideo(file: string, o: IndexedVideoOptions): Promise<void> {
  const args = [
    '-v',
    'error',
    '-y',
    '-f',
    'rawvideo',
    '-pix_fmt',
    'rgb24',
    '-s',
    `${o.width}x${o.height}`,
    '-framerate',
    o.fps,
    '-i',
    'pipe:0',
  ];
  if (o.audio) args.push('-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000', '-shortest', '-c:a', 'aac');
  args.push('-c:v', 'libx264', '-preset', 'ultrafast', '-qp', '10', '-pix_fmt', 'yuv420p', file);
  const child = spawn(bins.ffmpeg.path, args, { stdio: ['pipe', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const frame = new Uint8Array(o.width * o.height * 3);
  for (let i = 0; i < o.frames; i++) {
    for (let y = 0; y < o.height; y++) {
      const road = y > o.height / 2;
      for (let x = 0; x < o.width; x++) {
        const p = (y * o.width + x) * 3;
        const shade = (x + i * 3) % 64;
        frame[p] = road ? 90 + (shade >> 2) : 120;
        frame[p + 1] = road ? 90 + (shade >> 2) : 160;
        frame[p + 2] = road ? 95 + (shade >> 2) : 220;
      }
    }
    paintIndex(frame, o.width, o.height, i);
    if (!child.stdin.write(frame)) await new Promise((r) => child.stdin.once('drain', r));
  }
  child.stdin.end();
  const code = await new Promise((r) => child.on('close', r));
  if (code !== 0) throw new Error(`ffmpeg failed making ${file}: ${stderr}`);
}

export interface StreamFacts {
  width: number;
  height: number;
  rFrameRate: string;
  frames: number;
  codec: string;
  pixFmt?: string;
  duration: number;
}

/** ffprobe facts of a file: video stream (frames counted) and audio durations. */
export function probe(file: string): {
  video: StreamFacts;
  audio: { codec: string; duration: number }[];
  formatTags: string;
} {
  const r = spawnSync(
    bins.ffprobe.path,
    ['-v', 'error', '-count_frames', '-print_format', 'json', '-show_streams', '-show_format', file],
    { encoding: 'utf8' },
  );
  if (r.status !== 0) throw new Error(`ffprobe failed on ${file}: ${r.stderr}`);
  const j = JSON.parse(r.stdout) as { streams: Record<string, string | number>[]; format: Record<string, unknown> };
  const v = j.streams.find((s) => s.codec_type === 'video')!;
  return {
    video: {
      width: Number(v.width),
      height: Number(v.height),
      rFrameRate: String(v.r_frame_rate),
      frames: Number(v.nb_read_frames),
      codec: String(v.codec_name),
      pixFmt: v.pix_fmt as string | undefined,
      duration: Number(v.duration),
    },
    audio: j.streams
      .filter((s) => s.codec_type === 'audio')
      .map((s) => ({ codec: String(s.codec_name), duration: Number(s.duration) })),
    formatTags: JSON.stringify(j.format),
  };
}

/** Decodes every frame of `file` to RGB24. */
export function decodeAll(file: string, width: number, height: number): Uint8Array[] {
  const r = spawnSync(
    bins.ffmpeg.path,
    ['-v', 'error', '-i', file, '-vsync', 'passthrough', '-f', 'rawvideo', '-pix_fmt', 'rgb24', 'pipe:1'],
    { maxBuffer: 2 ** 31 },
  );
  if (r.status !== 0) throw new Error(`ffmpeg decode failed: ${r.stderr.toString()}`);
  const size = width * height * 3;
  const frames: Uint8Array[] = [];
  for (let o = 0; o + size <= r.stdout.length; o += size)
    frames.push(new Uint8Array(r.stdout.buffer, r.stdout.byteOffset + o, size));
  return frames;
}

/** Decodes a greyscale PNG to its width, height and bytes. */
export function readGrayPng(file: string): { width: number; height: number; data: Uint8Array } {
  const info = spawnSync(bins.ffprobe.path, ['-v', 'error', '-show_streams', '-print_format', 'json', file], {
    encoding: 'utf8',
  });
  const s = (JSON.parse(info.stdout) as { streams: { width: number; height: number; pix_fmt: string }[] }).streams[0];
  const r = spawnSync(bins.ffmpeg.path, ['-v', 'error', '-i', file, '-f', 'rawvideo', '-pix_fmt', 'gray', 'pipe:1'], {
    maxBuffer: 2 ** 28,
  });
  if (r.status !== 0) throw new Error(`ffmpeg could not read ${file}: ${r.stderr.toString()}`);
  return { width: s.width, height: s.height, data: new Uint8Array(r.stdout) };
}

/** Pixel format of an image or video's first stream. */
export function pixFmt(file: string): string {
  const info = spawnSync(bins.ffprobe.path, ['-v', 'error', '-show_streams', '-print_format', 'json', file], {
    encoding: 'utf8',
  });
  return (JSON.parse(info.stdout) as { streams: { pix_fmt: string }[] }).streams[0].pix_fmt;
}

/** PIDs of ffmpeg/ffprobe processes that are children of this process. */
export function childFfmpegPids(): number[] {
  const r = spawnSync('ps', ['-o', 'pid=,comm=', '--ppid', String(process.pid)], { encoding: 'utf8' });
  return r.stdout
    .split('\n')
    .filter((l) => /ffmpeg|ffprobe/.test(l))
    .map((l) => Number(l.trim().split(/\s+/)[0]));
}
