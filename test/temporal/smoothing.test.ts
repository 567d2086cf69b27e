import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { segmentVideo } from '../../src/runs/video/segment-video.js';
import { bins, decodeAll, readGrayPng, repoRoot, tempDir } from '../helpers/media.js';

// The threshold model labels a pixel "red" (0) where its red channel exceeds 0.5, else "other" (1),
// at the frame's own size (64x36): what it says of any input is known exactly.
const thresholdModel = path.join(repoRoot, 'test', 'fixtures', 'threshold-model');
const W = 64;
const H = 36;
const N = 8;
/** The flickering patch: x < PATCH_W, red channel 140 / 126 on alternate frames (around the 127.5 threshold), the luma barely moves. */
const PATCH_W = 28;
/** The moving square: 8x8, pure red, 3 px to the right per frame over a bright cyan background (x >= 32). */
const SQ = 8;
const SQ_Y = 14;
const sqX = (t: number) => 34 + 3 * t;

async function makeScene(file: string): Promise<void> {
  const child = spawn(
    bins.ffmpeg.path,
    [
      '-v',
      'error',
      '-y',
      '-f',
      'rawvideo',
      '-pix_fmt',
      'rgb24',
      '-s',
      `${W}x${H}`,
      '-framerate',
      '10',
      '-i',
      'pipe:0',
      '-c:v',
      'libx264',
      '-preset',
      'ultrafast',
      '-qp',
      '0',
      '-pix_fmt',
      'yuv420p',
      file,
    ],
    {
      stdio: ['pipe', 'ignore', 'pipe'],
    },
  );
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const frame = new Uint8Array(W * H * 3);
  for (let t = 0; t < N; t++) {
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < W; x++) {
        const o = (y * W + x) * 3;
        const inSquare = x >= sqX(t) && x < sqX(t) + SQ && y >= SQ_Y && y < SQ_Y + SQ;
        const rgb =
          x < PATCH_W ? [t % 2 ? 126 : 140, 0, 0] : x < 32 ? [0, 0, 0] : inSquare ? [255, 0, 0] : [0, 200, 200];
        frame.set(rgb, o);
      }
    }
    child.stdin.write(frame);
  }
  child.stdin.end();
  const code = await new Promise((r) => child.on('close', r));
  if (code !== 0) throw new Error(`ffmpeg failed making ${file}: ${stderr}`);
}

function readMasks(dir: string): Uint8Array[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.png'))
    .sort()
    .map((f) => readGrayPng(path.join(dir, f)).data);
}

/** Pixels of the flickering patch (1 px margin) whose class differs from the previous frame, over all frames after `from`. */
function patchFlips(masks: Uint8Array[], from: number): number {
  let flips = 0;
  for (let t = Math.max(1, from); t < masks.length; t++) {
    for (let y = 1; y < H - 1; y++)
      for (let x = 1; x < PATCH_W - 1; x++) if (masks[t][y * W + x] !== masks[t - 1][y * W + x]) flips++;
  }
  return flips;
}

/**
 * Pixels of the moving side labelled wrongly in frame t: "other" inside the square, or "red"
 * outside it; one pixel of the square's outline is left out (chroma subsampling blurs it).
 */
function squareErrors(mask: Uint8Array, t: number): number {
  let errors = 0;
  for (let y = 0; y < H; y++) {
    for (let x = 33; x < W; x++) {
      const dx = Math.min(x - sqX(t), sqX(t) + SQ - 1 - x);
      const dy = Math.min(y - SQ_Y, SQ_Y + SQ - 1 - y);
      const inside = dx >= 1 && dy >= 1;
      const outside = dx < -1 || dy < -1;
      const red = mask[y * W + x] === 0;
      if ((inside && !red) || (outside && red)) errors++;
    }
  }
  return errors;
}

describe('--smooth on a video (threshold model, synthetic scene)', () => {
  const tmp = tempDir();
  const input = path.join(tmp.dir, 'scene.mp4');
  let perFrame: { masks: Uint8Array[]; flicker: number | null };
  let smoothed: { masks: Uint8Array[]; freeSpace: Uint8Array[]; flicker: number | null; output: string };

  beforeAll(async () => {
    await makeScene(input);
    const run = async (name: string, smooth: number | undefined) => {
      const masks = path.join(tmp.dir, name);
      const output = path.join(tmp.dir, `${name}.mp4`);
      const freeSpace = path.join(tmp.dir, `${name}-free`);
      const s = await segmentVideo({
        input,
        masks,
        freeSpace,
        output,
        model: thresholdModel,
        smooth,
        classes: 'all',
        alpha: 1,
        palette: 'camvid',
      });
      expect(s.frames).toBe(N);
      expect(s.stability.smooth).toBe(smooth ?? 0);
      return { masks: readMasks(masks), freeSpace: readMasks(freeSpace), flicker: s.stability.flicker, output };
    };
    perFrame = await run('per-frame', undefined);
    smoothed = await run('smoothed', 0.8);
  });
  afterAll(() => tmp.cleanup());

  it('a static scene whose per-frame labels flicker gets steady labels', () => {
    // Per frame, the patch flips between red and other on every frame.
    expect(patchFlips(perFrame.masks, 1)).toBeGreaterThan(((N - 1) * (PATCH_W - 2) * (H - 2)) / 2);
    // Smoothed: after the first frame pair, not one pixel of it changes class.
    expect(patchFlips(smoothed.masks, 2)).toBe(0);
    expect(smoothed.flicker!).toBeLessThan(perFrame.flicker! / 3);
  });

  it('the smoothed label of a moving object keeps up with it (no trail, no lag)', () => {
    for (let t = 0; t < N; t++) {
      expect(squareErrors(perFrame.masks[t], t), `per-frame, frame ${t}`).toBe(0);
      expect(squareErrors(smoothed.masks[t], t), `smoothed, frame ${t}`).toBe(0);
    }
  });

  it('masks, free space and the overlay show the same smoothed labels', () => {
    const overlay = decodeAll(smoothed.output, W, H);
    expect(overlay).toHaveLength(N);
    for (let t = 0; t < N; t++) {
      const mask = smoothed.masks[t];
      // Free space is the "red" class here: 255 exactly where the mask says 0.
      expect(
        smoothed.freeSpace[t].every((v, i) => v === (mask[i] === 0 ? 255 : 0)),
        `free space, frame ${t}`,
      ).toBe(true);
      // With the card's colours (palette camvid), the overlay paints red (255,0,0) over class 0 and blue (0,0,255) over class 1, fully opaque.
      const o = (10 * W + 10) * 3;
      const paintedRed = overlay[t][o] > overlay[t][o + 2];
      expect(paintedRed, `overlay, frame ${t}`).toBe(mask[10 * W + 10] === 0);
    }
  });
});
