import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodePng } from '../../../src/codecs/png-encode.js';
import { runCli } from '../../helpers/cli.js';
import { repoRoot, tempDir } from '../../helpers/media.js';
import { H, RED_COLS, W, inRect, labelMap, redLeftImage, writePng } from './fixtures.js';

const thresholdModel = path.join(repoRoot, 'test', 'fixtures', 'threshold-model');

/**
 * Three 128x72 frames, red left of column 48. The threshold model (class 0 'red' where R > 0.5,
 * else 1 'other') predicts exactly that, so the labels' deliberate mistakes fix the metrics:
 *   frame 0: 600 red pixels labelled 'other'                           -> FP red 600
 *   frame 1: 200 'other' pixels labelled 11, 100 labelled 7 (ignored)   -> nothing
 *   frame 2: 300 'other' pixels labelled 'red'                          -> FN red 300
 * Per frame: 48*72 = 3456 red and 80*72 = 5760 other pixels.
 *   red:   TP 3456*3 - 600 = 9768, FP 600, FN 300  -> IoU 9768/10668 = 91.56
 *   other: TP 5760*3 - 300 - 300 = 16680, FP 300, FN 600 -> IoU 16680/17580 = 94.88
 *   mIoU = 50 * (9768/10668 + 16680/17580) = 93.22; pixel accuracy 26448/27348 = 96.71
 *   free space ('red'): precision 9768/10368 = 94.21, recall 9768/10068 = 97.02
 */
const EXPECTED = {
  miou: 93.22,
  red: 91.56,
  other: 94.88,
  pixelAccuracy: 96.71,
  freeSpace: { iou: 91.56, precision: 94.21, recall: 97.02 },
};

const truth = (x: number) => (x < RED_COLS ? 0 : 1);

describe('seg-stream eval on a CamVid-layout fixture', () => {
  const tmp = tempDir('segstream-eval-');
  const ds = path.join(tmp.dir, 'ds');

  beforeAll(() => {
    const labels = [
      labelMap((x, y) => (inRect(x, y, [0, 0, 29, 19]) ? 1 : truth(x))),
      labelMap((x, y) => (inRect(x, y, [60, 30, 79, 39]) ? 11 : inRect(x, y, [100, 50, 119, 54]) ? 7 : truth(x))),
      labelMap((x, y) => (inRect(x, y, [80, 0, 99, 14]) ? 0 : truth(x))),
    ];
    labels.forEach((label, i) => {
      writePng(path.join(ds, 'val', `f${i}.png`), redLeftImage(i), 'rgb');
      writePng(path.join(ds, 'valannot', `f${i}.png`), label, 'gray');
    });
    // Broken variants, each in its own dataset folder.
    const variant = (name: string, edit: (dir: string) => void) => {
      const dir = path.join(tmp.dir, name);
      for (const sub of ['val', 'valannot']) {
        mkdirSync(path.join(dir, sub), { recursive: true });
        for (let i = 0; i < 3; i++) copyFileSync(path.join(ds, sub, `f${i}.png`), path.join(dir, sub, `f${i}.png`));
      }
      edit(dir);
    };
    variant('no-label', (dir) => writePng(path.join(dir, 'val', 'f3.png'), redLeftImage(3), 'rgb'));
    variant('small-label', (dir) =>
      writeFileSync(path.join(dir, 'valannot', 'f1.png'), encodePng(new Uint8Array(64 * 36), 64, 36, 'gray')),
    );
    variant('rgb-label', (dir) =>
      writeFileSync(path.join(dir, 'valannot', 'f0.png'), encodePng(redLeftImage(), W, H, 'rgb')),
    );
    variant('truncated-image', (dir) => {
      const bytes = readFileSync(path.join(dir, 'val', 'f2.png'));
      writeFileSync(path.join(dir, 'val', 'f2.png'), bytes.subarray(0, 60));
    });
    mkdirSync(path.join(tmp.dir, 'no-layout', 'images'), { recursive: true });
    mkdirSync(path.join(tmp.dir, 'empty-split', 'val'), { recursive: true });
    mkdirSync(path.join(tmp.dir, 'empty-split', 'valannot'), { recursive: true });
  });
  afterAll(() => tmp.cleanup());

  it('--json prints one object whose mIoU is the hand-computed one', async () => {
    const r = await runCli(['eval', ds, '--model', thresholdModel, '--json', '--workers', '1', '--threads', '1']);
    expect(r.code, r.stderr).toBe(0);
    const result = JSON.parse(r.stdout);
    expect(r.stdout.trim().split('\n')).toHaveLength(1);
    expect(result.miou).toBe(EXPECTED.miou);
    expect(result.perClass).toEqual({ red: EXPECTED.red, other: EXPECTED.other });
    expect(result.pixelAccuracy).toBe(EXPECTED.pixelAccuracy);
    expect(result.freeSpace).toEqual(EXPECTED.freeSpace);
    expect(result).toMatchObject({
      frames: 3,
      split: 'val',
      format: 'camvid',
      labelSpace: 'model',
      engine: 'onnx',
      model: 'threshold',
      pixels: 27348,
    });
    expect(result.confusion).toEqual([
      [9768, 300, 0],
      [600, 16680, 0],
    ]); // rows: label red, other
    expect(result.method).toMatch(/nearest/);
    expect(result.fps).toBeGreaterThan(0);
  });

  it('prints a readable table without --json, and --frames limits the images', async () => {
    const r = await runCli([
      'eval',
      ds,
      '--model',
      thresholdModel,
      '--frames',
      '1',
      '--workers',
      '1',
      '--threads',
      '1',
    ]);
    expect(r.code, r.stderr).toBe(0);
    // Frame 0 alone: red TP 2856, FP 600; other TP 5760, FN 600.
    expect(r.stdout).toMatch(/^red\s+82\.64$/m);
    expect(r.stdout).toMatch(/^other\s+90\.57$/m);
    expect(r.stdout).toMatch(/^mIoU\s+86\.60$/m);
    expect(r.stdout).toMatch(/1 images/);
  });

  const bad: [string, () => string[], string, number, RegExp][] = [
    ['a missing folder', () => [path.join(tmp.dir, 'nope')], 'SEGSTREAM_ERR_INPUT_NOT_FOUND', 1, /does not exist/],
    [
      'a folder in no known layout',
      () => [path.join(tmp.dir, 'no-layout')],
      'SEGSTREAM_ERR_INPUT_NOT_FOUND',
      1,
      /valannot\/\*\.png/,
    ],
    [
      'the wrong --format',
      () => [ds, '--format', 'cityscapes'],
      'SEGSTREAM_ERR_INPUT_NOT_FOUND',
      1,
      /not a Cityscapes-layout dataset/,
    ],
    ['a split that is absent', () => [ds, '--split', 'test'], 'SEGSTREAM_ERR_INPUT_NOT_FOUND', 1, /no test split/],
    [
      'a split without images',
      () => [path.join(tmp.dir, 'empty-split')],
      'SEGSTREAM_ERR_NO_FRAMES',
      1,
      /no PNG images/,
    ],
    [
      'an image without its label',
      () => [path.join(tmp.dir, 'no-label')],
      'SEGSTREAM_ERR_INPUT_NOT_FOUND',
      1,
      /label of .*f3\.png is missing/,
    ],
    [
      'a label of another size',
      () => [path.join(tmp.dir, 'small-label')],
      'SEGSTREAM_ERR_INPUT_CORRUPT',
      1,
      /is 64x36 but its image .* is 128x72/,
    ],
    ['an RGB label', () => [path.join(tmp.dir, 'rgb-label')], 'SEGSTREAM_ERR_INPUT_CORRUPT', 1, /8-bit greyscale/],
    [
      'an image that cannot be decoded',
      () => [path.join(tmp.dir, 'truncated-image')],
      'SEGSTREAM_ERR_INPUT_CORRUPT',
      1,
      /f2\.png/,
    ],
    ['an unknown split name', () => [ds, '--split', 'dev'], 'SEGSTREAM_ERR_USAGE', 2, /--split/],
    ['no folder', () => [], 'SEGSTREAM_ERR_USAGE', 2, /no dataset folder/],
  ];
  for (const [name, args, code, exit, message] of bad) {
    it(`${name}: ${code}, exit ${exit}`, async () => {
      const r = await runCli(['eval', ...args(), '--model', thresholdModel, '--workers', '1', '--threads', '1'], {
        timeoutMs: 30_000,
      });
      expect(r.code, r.stderr).toBe(exit);
      expect(r.stdout).toBe('');
      const lines = r.stderr.trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(new RegExp(`^seg-stream: ${code}: `));
      expect(lines[0]).toMatch(message);
    });
  }
});
