/**
 * Wide footage meets the network at a size of its own aspect (card `input.resize: "aspect"`): one
 * size per run, picked from the source (video probe, rotation included; a frame folder's first
 * frame), reported in the summary, with every output still at the source's size. A "stretch" card
 * keeps stretching to its one size.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { segmentFolder } from '../../../src/runs/folders/segment-folder.js';
import { segmentVideo } from '../../../src/runs/video/segment-video.js';
import { runCli } from '../../helpers/cli.js';
import { gstreamerAvailable, makeLiveClip, startRtspServer } from '../../helpers/rtsp.js';
import { ErrorCodes, SegStreamError } from '../../../src/errors.js';
import {
  bins,
  haveShared,
  probe,
  readGrayPng,
  repoRoot,
  sharedDir,
  tempDir,
  tinyModelDir,
} from '../../helpers/media.js';

const shared = haveShared();
const sample = path.join(sharedDir, 'samples', 'solidWhiteRight.mp4');
const camvidFrame = path.join(sharedDir, 'datasets', 'camvid', 'val');

function ffmpeg(args: string[]): void {
  const r = spawnSync(bins.ffmpeg.path, ['-v', 'error', '-y', ...args]);
  expect(r.status, r.stderr?.toString()).toBe(0);
}

function maskSizes(dir: string): string[] {
  return readdirSync(dir)
    .filter((n) => n.endsWith('.png'))
    .sort()
    .map((n) => {
      const png = readGrayPng(path.join(dir, n));
      return `${png.width}x${png.height}`;
    });
}

describe.runIf(shared)('network input size from the source aspect (camvid-default)', () => {
  const tmp = tempDir();
  // A 2:1 city-camera view of the 960x540 dashcam sample (its middle 960x480), 4 frames.
  const wide = path.join(tmp.dir, 'wide-2to1.mp4');
  const rotated = path.join(tmp.dir, 'wide-rotated.mp4');
  beforeAll(() => {
    ffmpeg([
      '-i',
      sample,
      '-frames:v',
      '4',
      '-vf',
      'crop=960:480',
      '-an',
      '-c:v',
      'libx264',
      '-pix_fmt',
      'yuv420p',
      wide,
    ]);
    ffmpeg(['-i', wide, '-map', '0', '-c', 'copy', '-metadata:s:v:0', 'rotate=90', rotated]);
  });
  afterAll(() => tmp.cleanup());

  it.each(['onnx', 'tfjs'] as const)(
    'a 2:1 video runs at 576x288 on %s; overlay and masks stay 960x480',
    async (engine) => {
      const out = path.join(tmp.dir, `${engine}.mp4`);
      const masks = path.join(tmp.dir, `${engine}-masks`);
      const free = path.join(tmp.dir, `${engine}-free`);
      const summary = await segmentVideo({
        input: wide,
        output: out,
        masks,
        freeSpace: free,
        engine,
        workers: 1,
        threads: 1,
        smooth: 0.5,
      });
      expect(summary.networkInput).toEqual({ width: 576, height: 288, resize: 'aspect' });
      expect(summary.source).toMatchObject({ width: 960, height: 480 });
      expect(summary.frames).toBe(4);
      expect([probe(out).video.width, probe(out).video.height]).toEqual([960, 480]);
      expect(maskSizes(masks)).toEqual(Array(4).fill('960x480'));
      expect(maskSizes(free)).toEqual(Array(4).fill('960x480'));
    },
  );

  it('a rotated 2:1 video runs at the transposed size 288x576, outputs upright 480x960', async () => {
    const masks = path.join(tmp.dir, 'rot-masks');
    const summary = await segmentVideo({ input: rotated, masks, workers: 1, threads: 1 });
    expect(summary.networkInput).toEqual({ width: 288, height: 576, resize: 'aspect' });
    expect(maskSizes(masks)).toEqual(Array(4).fill('480x960'));
  });

  it('the CLI names the network input size on its summary line and in --json', async () => {
    const masks = path.join(tmp.dir, 'cli-masks');
    const human = await runCli([wide, '--masks', masks, '--workers', '1', '--threads', '1']);
    expect(human.code, human.stderr).toBe(0);
    expect(human.stderr).toMatch(/network input 576x288 \(aspect\)/);
    const json = await runCli([
      wide,
      '--masks',
      path.join(tmp.dir, 'cli-masks-json'),
      '--workers',
      '1',
      '--threads',
      '1',
      '--json',
    ]);
    expect(json.code, json.stderr).toBe(0);
    expect(JSON.parse(json.stdout).networkInput).toEqual({ width: 576, height: 288, resize: 'aspect' });
  });

  it('a card with "stretch" still stretches every frame to its one size', async () => {
    const dir = path.join(tmp.dir, 'stretch-model');
    cpSync(path.join(repoRoot, 'models', 'camvid-default'), dir, { recursive: true });
    const card = JSON.parse(readFileSync(path.join(dir, 'model.json'), 'utf8'));
    card.input.resize = 'stretch';
    delete card.input.multiple;
    writeFileSync(path.join(dir, 'model.json'), JSON.stringify(card));
    const masks = path.join(tmp.dir, 'stretch-masks');
    const summary = await segmentVideo({ input: wide, masks, model: dir, workers: 1, threads: 1 });
    expect(summary.networkInput).toEqual({ width: 480, height: 352, resize: 'stretch' });
    expect(maskSizes(masks)).toEqual(Array(4).fill('960x480'));
  });

  it("a frame folder runs at the first frame's aspect; a later frame of another aspect is stretched to it and keeps its own size", async () => {
    const frames = path.join(tmp.dir, 'frames');
    ffmpeg(['-i', wide, '-frames:v', '1', path.join(tmp.dir, 'a.png')]);
    cpSync(path.join(tmp.dir, 'a.png'), path.join(frames, 'f000.png'));
    cpSync(path.join(camvidFrame, readdirSync(camvidFrame).sort()[0]), path.join(frames, 'f001.png'));
    const masks = path.join(tmp.dir, 'folder-masks');
    const summary = await segmentFolder({ input: frames, masks, workers: 1, threads: 1 });
    expect(summary.networkInput).toEqual({ width: 576, height: 288, resize: 'aspect' });
    expect(maskSizes(path.join(masks))).toEqual(['960x480', '480x360']);
  });
});

describe('an "aspect" card on a network of one fixed size', () => {
  const tmp = tempDir();
  afterAll(() => tmp.cleanup());

  it.each(['onnx', 'tfjs'] as const)(
    '%s: a 2:1 video fails with MODEL_INVALID naming the size and the fix; a 16:9 one runs',
    async (engine) => {
      // The tiny fixture is exported at 256x144 (16:9) with fixed height and width.
      const dir = path.join(tmp.dir, `tiny-aspect-${engine}`);
      cpSync(tinyModelDir, dir, { recursive: true });
      const card = JSON.parse(readFileSync(path.join(dir, 'model.json'), 'utf8'));
      Object.assign(card.input, { resize: 'aspect', multiple: 16 });
      writeFileSync(path.join(dir, 'model.json'), JSON.stringify(card));
      const wide = path.join(tmp.dir, `wide-${engine}.mp4`);
      const hd = path.join(tmp.dir, `hd-${engine}.mp4`);
      ffmpeg(['-f', 'lavfi', '-i', 'testsrc2=size=320x160:rate=10', '-frames:v', '2', '-pix_fmt', 'yuv420p', wide]);
      ffmpeg(['-f', 'lavfi', '-i', 'testsrc2=size=320x180:rate=10', '-frames:v', '2', '-pix_fmt', 'yuv420p', hd]);
      const err = await segmentVideo({
        input: wide,
        masks: path.join(tmp.dir, `m-${engine}`),
        model: dir,
        engine,
        workers: 1,
        threads: 1,
      }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(SegStreamError);
      expect((err as SegStreamError).code).toBe(ErrorCodes.MODEL_INVALID);
      expect((err as SegStreamError).message).toMatch(/card input 256x128.*free height and width/);
      const ok = await segmentVideo({
        input: hd,
        masks: path.join(tmp.dir, `m-hd-${engine}`),
        model: dir,
        engine,
        workers: 1,
        threads: 1,
      });
      expect(ok.networkInput).toEqual({ width: 256, height: 144, resize: 'aspect' });
    },
  );
});

describe.runIf(gstreamerAvailable())('a live 2:1 stream (RTSP)', () => {
  const tmp = tempDir();
  afterAll(() => tmp.cleanup());

  it("runs at 576x288, picked from the stream's probe; masks at the stream's 320x160", async () => {
    const clip = path.join(tmp.dir, 'wide.mp4');
    makeLiveClip(clip, { seconds: 10, size: '320x160' });
    const server = await startRtspServer({ file: clip });
    try {
      const masks = path.join(tmp.dir, 'live-masks');
      const stop = new AbortController();
      const run = segmentVideo({
        input: server.url,
        masks,
        signal: stop.signal,
        workers: 1,
        threads: 1,
        timeoutMs: 5000,
      });
      // Stops once a few frames are written: the run ends by what it has done, not by a clock.
      for (let i = 0; i < 1200 && readdirSafe(masks).length < 3; i++) await new Promise((r) => setTimeout(r, 50));
      stop.abort();
      const summary = await run;
      expect(summary.live).toBe(true);
      expect(summary.networkInput).toEqual({ width: 576, height: 288, resize: 'aspect' });
      expect(maskSizes(masks).length).toBeGreaterThanOrEqual(3);
      expect(new Set(maskSizes(masks))).toEqual(new Set(['320x160']));
    } finally {
      await server.stop();
    }
  });
});

function readdirSafe(dir: string): string[] {
  try {
    return readdirSync(dir).filter((n) => n.endsWith('.png'));
  } catch {
    return [];
  }
}
