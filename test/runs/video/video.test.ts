import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveVideoOptions } from '../../../src/runs/video/options.js';
import { segmentVideo } from '../../../src/runs/video/segment-video.js';
import { liveChildCount } from '../../../src/process/child.js';
import {
  childFfmpegPids,
  decodeAll,
  haveShared,
  makeIndexedVideo,
  pixFmt,
  probe,
  readGrayPng,
  readIndex,
  repoRoot,
  sharedDir,
  tempDir,
  tinyModelDir,
} from '../../helpers/media.js';

const thresholdModel = path.join(repoRoot, 'test', 'fixtures', 'threshold-model');

describe('video file -> overlay video and masks', () => {
  const tmp = tempDir();
  const input = path.join(tmp.dir, 'indexed.mp4');
  const W = 320;
  const H = 180;
  const N = 45;

  beforeAll(async () => {
    await makeIndexedVideo(input, { width: W, height: H, frames: N, fps: '30000/1001', audio: true });
  });
  afterAll(() => tmp.cleanup());

  it('writes every frame, in order, at the same size, exact rate, with the audio carried over', async () => {
    const output = path.join(tmp.dir, 'overlay.mp4');
    const masks = path.join(tmp.dir, 'masks');
    const freeSpace = path.join(tmp.dir, 'free');
    const summary = await segmentVideo({ input, output, masks, freeSpace, model: tinyModelDir, alpha: 0.3 });
    expect(summary.frames).toBe(N);
    expect(summary.stopped).toBe('end');
    // Memory bound: never more frames between decoder and sinks than the gate allows.
    const { maxInFlight } = resolveVideoOptions({ input, output });
    expect(summary.peakInFlight).toBeGreaterThan(1);
    expect(summary.peakInFlight).toBeLessThanOrEqual(maxInFlight);

    const facts = probe(output);
    const source = probe(input);
    expect(facts.video).toMatchObject({
      width: W,
      height: H,
      rFrameRate: '30000/1001',
      frames: N,
      codec: 'h264',
      pixFmt: 'yuv420p',
    });
    expect(facts.audio).toHaveLength(1);
    expect(facts.audio[0].codec).toBe('aac');
    expect(Math.abs(facts.audio[0].duration - source.audio[0].duration)).toBeLessThan(0.03);
    // faststart: the index (moov) comes before the media data (mdat).
    const bytes = readFileSync(output);
    expect(bytes.indexOf('moov')).toBeGreaterThan(0);
    expect(bytes.indexOf('moov')).toBeLessThan(bytes.indexOf('mdat'));

    const frames = decodeAll(output, W, H);
    expect(frames.map((f) => readIndex(f, W, H))).toEqual(Array.from({ length: N }, (_, i) => i));

    const names = readdirSync(masks).sort();
    expect(names).toEqual(Array.from({ length: N }, (_, i) => `${String(i).padStart(6, '0')}.png`));
    expect(readdirSync(freeSpace).sort()).toEqual(names);
    const mask = readGrayPng(path.join(masks, names[7]));
    expect([mask.width, mask.height]).toEqual([W, H]);
    expect(pixFmt(path.join(masks, names[7]))).toBe('gray');
    const free = readGrayPng(path.join(freeSpace, names[7]));
    expect(new Set(free.data)).toEqual(new Set([...new Set(free.data)].filter((v) => v === 0 || v === 255)));
    // Free space is exactly the model's road class in the class-id mask.
    const road = 3;
    for (let i = 0; i < mask.data.length; i++) expect(free.data[i]).toBe(mask.data[i] === road ? 255 : 0);
  });

  it('paints the overlay: output differs from the source where classes are painted, not with alpha 0', async () => {
    const painted = path.join(tmp.dir, 'painted.mp4');
    const clear = path.join(tmp.dir, 'clear.mp4');
    await segmentVideo({ input, output: painted, model: tinyModelDir, alpha: 0.6, classes: 'all', frames: 5 });
    await segmentVideo({ input, output: clear, model: tinyModelDir, alpha: 0, frames: 5 });
    const src = decodeAll(input, W, H)[2];
    const meanDiff = (a: Uint8Array) => a.reduce((s, v, i) => s + Math.abs(v - src[i]), 0) / a.length;
    expect(meanDiff(decodeAll(clear, W, H)[2])).toBeLessThan(3);
    expect(meanDiff(decodeAll(painted, W, H)[2])).toBeGreaterThan(15);
  });

  it('--frames stops early with finished outputs and trimmed audio; --no-audio drops audio', async () => {
    const output = path.join(tmp.dir, 'ten.mp4');
    const summary = await segmentVideo({ input, output, model: tinyModelDir, frames: 10, audio: false });
    expect(summary.stopped).toBe('frames');
    const facts = probe(output);
    expect(facts.video.frames).toBe(10);
    expect(facts.audio).toHaveLength(0);
    const withAudio = path.join(tmp.dir, 'ten-audio.mp4');
    await segmentVideo({ input, output: withAudio, model: tinyModelDir, frames: 10 });
    const a = probe(withAudio).audio[0];
    expect(Math.abs(a.duration - (10 * 1001) / 30000)).toBeLessThan(0.05);
  });

  it('--segment-time writes complete numbered files holding every frame in order', async () => {
    const { mkdirSync } = await import('node:fs');
    const dir = path.join(tmp.dir, 'segments');
    mkdirSync(dir);
    const s = await segmentVideo({
      input,
      output: path.join(dir, 'seg.mp4'),
      model: tinyModelDir,
      alpha: 0.3,
      segmentTime: 0.5,
    });
    expect(s.outputs.segments).toHaveLength(3);
    expect(readdirSync(dir).sort()).toEqual(['seg-00000.mp4', 'seg-00001.mp4', 'seg-00002.mp4']);
    const indexes = s.outputs.segments!.flatMap((f) => decodeAll(f, W, H).map((fr) => readIndex(fr, W, H)));
    expect(indexes).toEqual(Array.from({ length: N }, (_, i) => i));
  });

  it('leaves no child process, worker or temporary file behind', async () => {
    const out = path.join(tmp.dir, 'leak.mp4');
    await segmentVideo({ input, output: out, model: tinyModelDir, frames: 3 });
    expect(liveChildCount()).toBe(0);
    expect(childFfmpegPids()).toEqual([]);
    expect(readdirSync(tmp.dir).filter((n) => n.endsWith('.partial'))).toEqual([]);
  });
});

describe('mask alignment', () => {
  const tmp = tempDir();
  afterAll(() => tmp.cleanup());

  async function halfRed(width: number, height: number, redColumns: number): Promise<string> {
    const { spawn } = await import('node:child_process');
    const { bins } = await import('../../helpers/media.js');
    const file = path.join(tmp.dir, `half-${width}x${height}.mkv`);
    const frame = new Uint8Array(width * height * 3);
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const o = (y * width + x) * 3;
        frame[o] = x < redColumns ? 250 : 10;
        frame[o + 1] = 20;
        frame[o + 2] = 20;
      }
    }
    // Lossless RGB so the boundary is exactly where it was drawn.
    const child = spawn(bins.ffmpeg.path, [
      '-v',
      'error',
      '-y',
      '-f',
      'rawvideo',
      '-pix_fmt',
      'rgb24',
      '-s',
      `${width}x${height}`,
      '-framerate',
      '10',
      '-i',
      'pipe:0',
      '-c:v',
      'ffv1',
      '-pix_fmt',
      'bgr0',
      file,
    ]);
    child.stdin.write(frame);
    child.stdin.write(frame);
    child.stdin.end();
    await new Promise((r) => child.on('close', r));
    return file;
  }

  function boundaryColumns(mask: { width: number; height: number; data: Uint8Array }): Set<number> {
    const cols = new Set<number>();
    for (let y = 0; y < mask.height; y++) {
      let x = 0;
      while (x < mask.width && mask.data[y * mask.width + x] === 0) x++;
      cols.add(x);
    }
    return cols;
  }

  it('puts the class boundary of a half-red frame at the same column as in the frame', async () => {
    const input = await halfRed(640, 360, 300);
    const masks = path.join(tmp.dir, 'm640');
    await segmentVideo({ input, masks, model: thresholdModel });
    const mask = readGrayPng(path.join(masks, '000000.png'));
    expect([mask.width, mask.height]).toEqual([640, 360]);
    expect(boundaryColumns(mask)).toEqual(new Set([300]));
  });

  it('keeps odd sizes (641x361) for masks, boundary within one model pixel', async () => {
    const input = await halfRed(641, 361, 301);
    const masks = path.join(tmp.dir, 'm641');
    await segmentVideo({ input, masks, model: thresholdModel });
    const mask = readGrayPng(path.join(masks, '000001.png'));
    expect([mask.width, mask.height]).toEqual([641, 361]);
    const cols = [...boundaryColumns(mask)];
    expect(cols).toHaveLength(1);
    expect(Math.abs(cols[0] - 301)).toBeLessThanOrEqual(Math.ceil(641 / 64 / 2));
  });
});

describe('real dashcam clip (../shared/samples/solidWhiteRight.mp4)', () => {
  const tmp = tempDir();
  afterAll(() => tmp.cleanup());

  it.runIf(haveShared())('segments all 221 frames at 25 fps with the audio of the same duration', async () => {
    const input = path.join(sharedDir, 'samples', 'solidWhiteRight.mp4');
    const output = path.join(tmp.dir, 'overlay.mp4');
    const summary = await segmentVideo({ input, output, model: tinyModelDir });
    expect(summary.frames).toBe(221);
    const facts = probe(output);
    const source = probe(input);
    expect(facts.video).toMatchObject({ width: 960, height: 540, rFrameRate: '25/1', frames: 221 });
    expect(facts.audio).toHaveLength(1);
    expect(Math.abs(facts.audio[0].duration - source.audio[0].duration)).toBeLessThan(0.03);
  });
});
