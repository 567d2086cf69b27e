import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { evaluateDataset, type EvalResult } from '../../src/runs/eval/evaluate.js';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/media.js';
import { thresholdModel } from '../runs/folders/fixtures.js';
import { H, W, labelMap, writePng } from '../runs/eval/fixtures.js';

// A labelled CamVid-layout sequence for the threshold model (class 0 "red" where R > 0.5, else 1):
// left of PATCH the red channel is 140 / 126 on alternate images (the model's label flips, the
// picture barely changes; the label says red throughout); on the right a 16x16 red square moves
// 6 px per image over cyan (labelled where it is).
const N = 8;
const PATCH = 48;
const SQ = 16;
const SQ_Y = 28;
const sqX = (t: number) => 56 + 6 * t;
const inSquare = (x: number, y: number, t: number) => x >= sqX(t) && x < sqX(t) + SQ && y >= SQ_Y && y < SQ_Y + SQ;

describe('seg-stream eval --smooth on a labelled sequence', () => {
  const tmp = tempDir('segstream-eval-smooth-');
  const ds = path.join(tmp.dir, 'ds');
  let perFrame: EvalResult;
  let smoothed: EvalResult;

  beforeAll(async () => {
    for (let t = 0; t < N; t++) {
      const rgb = new Uint8Array(W * H * 3);
      for (let y = 0; y < H; y++) {
        for (let x = 0; x < W; x++)
          rgb.set(
            x < PATCH ? [t % 2 ? 126 : 140, 0, 0] : inSquare(x, y, t) ? [255, 0, 0] : [0, 200, 200],
            (y * W + x) * 3,
          );
      }
      writePng(path.join(ds, 'val', `f${t}.png`), rgb, 'rgb');
      writePng(
        path.join(ds, 'valannot', `f${t}.png`),
        labelMap((x, y) => (x < PATCH || inSquare(x, y, t) ? 0 : 1)),
        'gray',
      );
    }
    const opts = { dir: ds, model: thresholdModel, workers: 1, threads: 1 };
    perFrame = await evaluateDataset(opts);
    smoothed = await evaluateDataset({ ...opts, smooth: 0.8 });
  }, 60_000);
  afterAll(() => tmp.cleanup());

  it('smooths the images in order: the flickering patch keeps its label and the moving square is labelled where it is', () => {
    expect(perFrame.frames).toBe(N);
    expect(smoothed.frames).toBe(N);
    // Per image, the patch is labelled "other" on every second image.
    expect(perFrame.miou!).toBeLessThan(80);
    // Every label right but one column: the patch's last (x = 47) lies between a barely-red network
    // pixel and a strongly-other one (black), and with clean edges the resized smoothed scores say
    // other there (98.38; the smoothed class map enlarged by nearest neighbour gave 100).
    expect(smoothed.miou).toBeGreaterThan(98);
  });

  it('reports the stability figure next to mIoU, with the strength used', () => {
    expect(perFrame.stability).toMatchObject({ smooth: 0, pairs: N - 1 });
    expect(smoothed.stability).toMatchObject({ smooth: 0.8, pairs: N - 1 });
    expect(perFrame.stability.perClass.red!).toBeGreaterThan(50);
    expect(smoothed.stability.flicker).toBe(0);
  });

  it('the CLI takes a bare --smooth and prints the flicker line', async () => {
    const r = await runCli(['eval', ds, '--model', thresholdModel, '--smooth', '--workers', '1', '--threads', '1']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^mIoU\s+98\.\d\d$/m);
    expect(r.stdout).toMatch(/^flicker\s+0\.00\s+\(.*--smooth 0\.8\)$/m);
  });
});
