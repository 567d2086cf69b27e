// Shared helpers of the benchmarks: clips made with the real ffmpeg, the model to use, timing.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_MODEL, resolveFfmpeg } from '../dist/index.js';
import { builtinModelsDir } from '../dist/infer/model-card.js';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const shared = path.resolve(root, '..', 'shared');
export const work = path.join(root, 'bench', 'out');
export const bins = resolveFfmpeg();
mkdirSync(work, { recursive: true });

/** The default built-in model when it is installed, else the test fixture (said in the results). */
export function benchModel() {
  const builtin = path.join(builtinModelsDir(), DEFAULT_MODEL);
  if (existsSync(path.join(builtin, 'model.json'))) return { dir: builtin, label: DEFAULT_MODEL };
  return {
    dir: path.join(root, 'test', 'fixtures', 'models', 'tiny'),
    label: 'tiny test fixture (default model not installed)',
  };
}

export function ffmpegSync(args) {
  const r = spawnSync(bins.ffmpeg.path, ['-v', 'error', '-y', ...args], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ffmpeg ${args.join(' ')} failed: ${r.stderr}`);
}

/**
 * A clip of `frames` frames at `size` and `fps`: the real dashcam sample looped and scaled when
 * ../shared is there, else ffmpeg's testsrc2 with noise and a tone.
 */
export function makeClip(name, { size, fps, frames }) {
  const file = path.join(work, name);
  if (existsSync(file)) return file;
  const sample = path.join(shared, 'samples', 'solidWhiteRight.mp4');
  const [w, h] = size.split('x');
  const source = existsSync(sample)
    ? ['-stream_loop', '-1', '-i', sample, '-vf', `scale=${w}:${h},fps=${fps}`]
    : [
        '-f',
        'lavfi',
        '-i',
        `testsrc2=size=${size}:rate=${fps},noise=alls=20:allf=t`,
        '-f',
        'lavfi',
        '-i',
        'sine=frequency=300',
      ];
  const encode = [
    '-c:v',
    'libx264',
    '-preset',
    'fast',
    '-crf',
    '20',
    '-pix_fmt',
    'yuv420p',
    '-c:a',
    'aac',
    '-shortest',
  ];
  ffmpegSync([...source, '-frames:v', String(frames), ...encode, file]);
  return file;
}

/**
 * Wall seconds of the plain transcode a user would run (decode, x264 veryfast, audio copied): the
 * ffmpeg half of the pipeline-vs-bound figure.
 */
export function transcodeTimed(input, output, extra = []) {
  const args = ['-i', input, '-map', '0:v:0', '-map', '0:a?', '-c:a', 'copy'];
  const video = ['-c:v', 'libx264', '-preset', 'veryfast', '-crf', '23', '-pix_fmt', 'yuv420p'];
  return ffmpegTimed([...args, ...video, '-movflags', '+faststart', ...extra, output]);
}

/** Wall seconds of an async function. */
export async function timed(fn) {
  const t0 = performance.now();
  const value = await fn();
  return { seconds: (performance.now() - t0) / 1000, value };
}

/** Runs ffmpeg and resolves with its wall seconds. */
export function ffmpegTimed(args) {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(bins.ffmpeg.path, ['-v', 'error', '-y', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d) => (err += d));
    child.on('close', (code) => (code === 0 ? resolve((performance.now() - t0) / 1000) : reject(new Error(err))));
  });
}

export const round = (v, d = 2) => Math.round(v * 10 ** d) / 10 ** d;

/**
 * Serves `file` as an RTSP camera (GStreamer, test/helpers/rtsp_server.py) on a free port;
 * resolves with its URL and a stop function.
 */
export function serveRtsp(file) {
  return new Promise((resolve, reject) => {
    const child = spawn(
      '/usr/bin/python3',
      [path.join(root, 'test', 'helpers', 'rtsp_server.py'), '--file', file, '--port', '0', '--exit-on-stdin-eof'],
      { stdio: ['pipe', 'pipe', 'inherit'] },
    );
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (d) => {
      const m = /READY (\d+)/.exec(d);
      if (m) resolve({ url: `rtsp://127.0.0.1:${m[1]}/stream`, stop: () => child.kill('SIGTERM') });
    });
    child.on('error', reject);
    child.on('exit', (code) =>
      reject(new Error(`RTSP server exited (${code}); install the packages in test/helpers/rtsp-packages.txt`)),
    );
  });
}
