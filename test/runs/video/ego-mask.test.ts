/**
 * `egoMask` in video runs and frame folders: nothing is painted over the car's own bonnet, class-id
 * masks hold 255 there, free space is 0 there, and the free-space JSONL measures from the bonnet's
 * edge; `auto` reports what it found and writes the mask beside the first output.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { encodePng } from '../../../src/codecs/png-encode.js';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { segmentFolder } from '../../../src/runs/folders/segment-folder.js';
import { segmentVideo } from '../../../src/runs/video/segment-video.js';
import { makeBonnetClips, type BonnetClips } from '../../helpers/bonnet.js';
import { bins, readGrayPng, tempDir } from '../../helpers/media.js';

const tmp = tempDir();
let clips: BonnetClips;
beforeAll(() => {
  clips = makeBonnetClips(tmp.dir);
});
afterAll(() => tmp.cleanup());

function firstFrameRgb(file: string): Buffer {
  const r = spawnSync(
    bins.ffmpeg.path,
    ['-v', 'error', '-i', file, '-frames:v', '1', '-f', 'rawvideo', '-pix_fmt', 'rgb24', 'pipe:1'],
    { maxBuffer: 2 ** 26 },
  );
  expect(r.status).toBe(0);
  return r.stdout;
}

/** Mean absolute difference of two RGB24 frames over rows `y0 .. y1 - 1`. */
function meanDiff(a: Buffer, b: Buffer, width: number, y0: number, y1: number): number {
  let sum = 0;
  for (let i = y0 * width * 3; i < y1 * width * 3; i++) sum += Math.abs(a[i] - b[i]);
  return sum / ((y1 - y0) * width * 3);
}

/** Every pixel of rows `y0 .. y1 - 1` of a grey PNG equals `value`. */
function rowsAre(file: string, y0: number, y1: number, value: number): boolean {
  const png = readGrayPng(file);
  return png.data.subarray(y0 * png.width, y1 * png.width).every((v) => v === value);
}

describe('ego mask in a video run', () => {
  it('auto: found, reported, written beside the overlay; no colour, class 255 and no free space under it', async () => {
    const out = path.join(tmp.dir, 'auto.mp4');
    const masks = path.join(tmp.dir, 'auto-masks');
    const free = path.join(tmp.dir, 'auto-free');
    const s = await segmentVideo({
      input: clips.bonnet,
      output: out,
      masks,
      freeSpace: free,
      egoMask: 'auto',
      frames: 2,
      workers: 1,
      threads: 1,
    });
    expect(s.egoMask).toMatchObject({ source: 'auto', found: true, file: path.join(tmp.dir, 'auto.ego-mask.png') });
    // top is the highest masked row; the mask covers the bonnet's rows give or take the margin.
    expect(s.egoMask!.top!).toBeLessThanOrEqual(clips.top + clips.margin);
    expect(Math.abs(s.egoMask!.fraction - (clips.height - clips.top) / clips.height)).toBeLessThanOrEqual(
      clips.margin / clips.height,
    );
    expect(rowsAre(s.egoMask!.file!, clips.top + clips.margin, clips.height, 255)).toBe(true);
    const below = clips.top + clips.margin;
    for (const n of readdirSync(masks)) expect(rowsAre(path.join(masks, n), below, clips.height, 255)).toBe(true);
    for (const n of readdirSync(free)) expect(rowsAre(path.join(free, n), below, clips.height, 0)).toBe(true);
    // The overlay leaves the bonnet as the camera saw it (only the encoder's loss), and paints above it.
    const src = firstFrameRgb(clips.bonnet),
      overlay = firstFrameRgb(out);
    expect(meanDiff(src, overlay, clips.width, below, clips.height)).toBeLessThan(3);
    expect(meanDiff(src, overlay, clips.width, 0, clips.top)).toBeGreaterThan(
      meanDiff(src, overlay, clips.width, below, clips.height) + 3,
    );

    // A second run keeps the first mask file and writes its own beside it.
    const again = await segmentVideo({
      input: clips.bonnet,
      output: out,
      egoMask: 'auto',
      frames: 1,
      workers: 1,
      threads: 1,
    });
    expect(again.egoMask!.file).toBe(path.join(tmp.dir, 'auto.ego-mask-2.png'));
    expect(existsSync(s.egoMask!.file!)).toBe(true);
  });

  it('auto on a clip without a bonnet masks nothing', async () => {
    const masks = path.join(tmp.dir, 'plain-masks');
    const s = await segmentVideo({ input: clips.plain, masks, egoMask: 'auto', frames: 1, workers: 1, threads: 1 });
    expect(s.egoMask).toEqual({ source: 'auto', found: false, fraction: 0, top: null });
    expect(readGrayPng(path.join(masks, readdirSync(masks)[0])).data.includes(255)).toBe(false);
  });

  it('a mask file of the wrong size fails before anything is written', async () => {
    const masks = path.join(tmp.dir, 'never');
    const small = path.join(tmp.dir, 'small.png');
    writeFileSync(small, encodePng(new Uint8Array(16 * 8), 16, 8, 'gray'));
    const err = await segmentVideo({ input: clips.bonnet, masks, egoMask: small, frames: 1 }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'SEGSTREAM_ERR_INVALID_OPTION', context: { option: 'egoMask' } });
    expect((err as Error).message).toContain(`is 16x8 but the source is ${clips.width}x${clips.height}`);
    expect(existsSync(masks)).toBe(false);
  });
});

describe('ego mask in a frame folder run', () => {
  it('masks 255, free space 0 under it; the JSONL boundary starts at the bonnet edge and its free fraction leaves it out', async () => {
    const frames = path.join(tmp.dir, 'frames');
    mkdirSync(frames);
    const r = spawnSync(bins.ffmpeg.path, [
      '-v',
      'error',
      '-i',
      clips.bonnet,
      '-frames:v',
      '2',
      path.join(frames, '%03d.png'),
    ]);
    expect(r.status).toBe(0);
    const egoFile = path.join(tmp.dir, 'auto.ego-mask.png');
    const run = async (name: string, egoMask?: string) => {
      const o = {
        masks: path.join(tmp.dir, `${name}-m`),
        freeSpace: path.join(tmp.dir, `${name}-f`),
        freeSpaceJson: path.join(tmp.dir, `${name}.jsonl`),
      };
      await segmentFolder({ input: frames, ...o, egoMask, workers: 1, threads: 1 });
      return {
        ...o,
        lines: readFileSync(o.freeSpaceJson, 'utf8')
          .trim()
          .split('\n')
          .map((l) => JSON.parse(l) as { boundary: (number | null)[]; freeFraction: number }),
      };
    };
    const withEgo = await run('ego', egoFile);
    const without = await run('plain');
    const ego = readGrayPng(egoFile);
    const masked = ego.data.reduce((n, v) => n + (v === 255 ? 1 : 0), 0);
    for (const n of readdirSync(withEgo.masks).filter((f) => f.endsWith('.png'))) {
      const m = readGrayPng(path.join(withEgo.masks, n)).data;
      const f = readGrayPng(path.join(withEgo.freeSpace, n)).data;
      for (let i = 0; i < m.length; i++) if (ego.data[i] === 255) expect(m[i] === 255 && f[i] === 0).toBe(true);
    }
    const mid = clips.width >> 1;
    for (const [i, line] of withEgo.lines.entries()) {
      // The bonnet's edge is where the scan starts: free road ahead of it, not "no free space".
      expect(line.boundary[mid]).not.toBeNull();
      expect(line.boundary[mid]!).toBeLessThan(clips.top);
      expect(line.freeFraction).toBeLessThanOrEqual(1 - masked / (clips.width * clips.height) + 1e-6);
      expect(line.freeFraction).toBeLessThanOrEqual(without.lines[i].freeFraction);
    }
  });
});
