import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../helpers/cli.js';
import { bins, probe, tempDir, tinyModelDir } from '../../helpers/media.js';
import { camvidDir, haveCamvid } from '../eval/fixtures.js';
import { filesIn, readPng, summaryOf, thresholdModel, twoColourFrame, writeFrames, writePng } from './fixtures.js';

let tmp: { dir: string; cleanup: () => void };
beforeAll(() => (tmp = tempDir('segstream-batch-')));
afterAll(() => tmp.cleanup());
const T = () => tmp.dir;

describe('layouts', () => {
  it('KITTI raw: both colour cameras, outputs named and sized as their frames, one 10 fps video each', async () => {
    const drive = path.join(T(), 'kitti', '2011_09_26_drive_0005_sync');
    // KITTI frames vary by a few pixels: make one 2 px wider.
    for (const cam of ['image_02', 'image_03'])
      writeFrames(
        path.join(drive, cam, 'data'),
        3,
        (i) => `${String(i).padStart(10, '0')}.png`,
        (i) => [i === 1 ? 130 : 128, 72],
      );
    writeFileSync(path.join(drive, 'image_02', 'timestamps.txt'), 'x\n');
    const out = path.join(T(), 'kitti-out');
    const r = await runCli([
      drive,
      '--masks',
      `${out}/masks`,
      '--free-space',
      `${out}/fs`,
      '-o',
      `${out}/seq.mp4`,
      '--fps',
      '10',
      '-m',
      thresholdModel,
      '--json',
    ]);
    expect(r.code, r.stderr).toBe(0);
    const s = summaryOf(r.stdout);
    expect(s.sequences.map((q: any) => [q.id, q.layout, q.frames])).toEqual([
      ['image_02', 'kitti-raw', 3],
      ['image_03', 'kitti-raw', 3],
    ]);
    expect(s.frames).toBe(6);
    for (const cam of ['image_02', 'image_03']) {
      expect(filesIn(path.join(out, 'masks', cam))).toEqual(['0000000000.png', '0000000001.png', '0000000002.png']);
      expect(filesIn(path.join(out, 'fs', cam))).toEqual(['0000000000.png', '0000000001.png', '0000000002.png']);
      expect(readPng(path.join(out, 'masks', cam, '0000000001.png')).width).toBe(130);
      const fs = readPng(path.join(out, 'fs', cam, '0000000000.png'));
      expect([fs.width, fs.height, new Set(fs.data).size]).toEqual([128, 72, 2]);
      const v = probe(path.join(out, `seq-${cam}.mp4`)).video;
      expect([v.width, v.height, v.frames, v.rFrameRate]).toEqual([128, 72, 3, '10/1']);
    }
    expect(existsSync(path.join(out, 'masks', 'manifest.json'))).toBe(true);
  });

  it('KITTI semantics: training and testing splits, names kept, Cityscapes-id ground truth found', async () => {
    const root = path.join(T(), 'kitti-sem');
    writeFrames(path.join(root, 'training', 'image_2'), 2, (i) => `00000${i}_10.png`);
    for (let i = 0; i < 2; i++)
      writePng(
        path.join(root, 'training', 'semantic', `00000${i}_10.png`),
        new Uint8Array(128 * 72).fill(7),
        128,
        72,
        'gray',
      );
    writeFrames(path.join(root, 'testing', 'image_2'), 1, () => '000000_10.png');
    const out = path.join(T(), 'kitti-sem-out');
    const r = await runCli([root, '--masks', out, '-m', thresholdModel, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const s = summaryOf(r.stdout);
    expect(s.sequences.map((q: any) => [q.id, q.layout, q.frames, q.labelled])).toEqual([
      ['training', 'kitti-semantics', 2, 2],
      ['testing', 'kitti-semantics', 1, 0],
    ]);
    expect(filesIn(path.join(out, 'training'))).toEqual(['000000_10.png', '000001_10.png']);
    expect(filesIn(path.join(out, 'testing'))).toEqual(['000000_10.png']);
    // The threshold model has no CamVid classes: the run works and says why it did not score.
    expect(s.notes.join(' ')).toMatch(/cityscapes ground truth not scored/);
  });

  it('KITTI road: benchmark-named 8-bit road confidence maps at each frame size', async () => {
    const root = path.join(T(), 'data_road');
    const names = ['um_000000', 'umm_000001', 'uu_000002'];
    names.forEach((n, i) =>
      writeFrames(
        path.join(root, 'training', 'image_2'),
        1,
        () => `${n}.png`,
        () => [128 + 2 * i, 72],
      ),
    );
    const out = path.join(T(), 'road-out');
    const r = await runCli([root, '--kitti-road', out, '-m', thresholdModel, '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(summaryOf(r.stdout).sequences[0].layout).toBe('kitti-road');
    expect(filesIn(out)).toEqual(['manifest.json', 'um_road_000000.png', 'umm_road_000001.png', 'uu_road_000002.png']);
    const map = readPng(path.join(out, 'umm_road_000001.png'));
    expect([map.width, map.height, map.channels]).toEqual([130, 72, 1]);
    // Red (road for this model) bottom half: high confidence at the bottom, low at the top.
    expect(map.data[71 * 130 + 5]).toBeGreaterThan(128);
    expect(map.data[5]).toBeLessThan(128);
  });

  it('Cityscapes: one sequence per split/city, stems kept', async () => {
    const root = path.join(T(), 'cityscapes');
    writeFrames(path.join(root, 'leftImg8bit', 'val', 'aachen'), 2, (i) => `aachen_000000_00001${i}_leftImg8bit.png`);
    writePng(
      path.join(root, 'gtFine', 'val', 'aachen', 'aachen_000000_000010_gtFine_labelIds.png'),
      new Uint8Array(128 * 72).fill(7),
      128,
      72,
      'gray',
    );
    const out = path.join(T(), 'cs-out');
    const r = await runCli([root, '--free-space', out, '-m', thresholdModel, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const s = summaryOf(r.stdout);
    expect(s.sequences.map((q: any) => [q.id, q.layout, q.labelled])).toEqual([['val/aachen', 'cityscapes', 1]]);
    expect(filesIn(out)).toEqual([
      'aachen_000000_000010_leftImg8bit.png',
      'aachen_000000_000011_leftImg8bit.png',
      'manifest.json',
    ]);
  });

  it('CamVid (real frames from ../shared): splits with annot, scored with the tiny model', async (ctx) => {
    if (!haveCamvid()) return ctx.skip();
    const root = path.join(T(), 'camvid');
    for (const split of ['val', 'valannot']) {
      mkdirSync(path.join(root, split), { recursive: true });
      for (const n of ['0016E5_07959.png', '0016E5_07961.png'])
        copyFileSync(path.join(camvidDir, split, n), path.join(root, split, n));
    }
    const out = path.join(T(), 'camvid-out');
    const r = await runCli([root, '--masks', out, '-m', tinyModelDir, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const s = summaryOf(r.stdout);
    expect(s.sequences.map((q: any) => [q.id, q.layout, q.frames, q.labelled, q.sizes])).toEqual([
      ['val', 'camvid', 2, 2, ['480x360']],
    ]);
    expect(filesIn(out)).toEqual(['0016E5_07959.png', '0016E5_07961.png', 'manifest.json']);
    const score = s.scores[0];
    expect(score).toMatchObject({ dataset: 'camvid', labelSpace: 'camvid-11', frames: 2 });
    expect(score.miou).toBeGreaterThan(20); // the tiny fixture scores ~50 on CamVid val
    expect(score.perClass.Road).toBeGreaterThan(60);
  });

  it('plain folder: natural order, JPEG through sharp, other files ignored; globs too', async () => {
    const dir = path.join(T(), 'plain');
    writeFrames(dir, 3, (i) => `frame${[1, 2, 10][i]}.png`);
    writeFileSync(path.join(dir, 'notes.txt'), 'not a frame');
    const jpg = path.join(dir, 'frame11.jpg');
    expect(spawnSync(bins.ffmpeg.path, ['-v', 'error', '-y', '-i', path.join(dir, 'frame1.png'), jpg]).status).toBe(0);
    const out = path.join(T(), 'plain-out');
    const r = await runCli([dir, '--masks', out, '--free-space-json', `${out}.jsonl`, '-m', thresholdModel, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const s = summaryOf(r.stdout);
    expect([s.frames, s.ffmpegDecoded, s.sharpDecoded]).toEqual([4, 0, 1]);
    const lines = readFileSync(`${out}.jsonl`, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines.map((l) => [l.frame, l.index])).toEqual([
      ['frame1', 0],
      ['frame2', 1],
      ['frame10', 2],
      ['frame11', 3],
    ]);
    expect(filesIn(out)).toEqual(['frame1.png', 'frame10.png', 'frame11.png', 'frame2.png', 'manifest.json']);

    const g = await runCli([path.join(dir, 'frame1*.png'), '--masks', `${out}-glob`, '-m', thresholdModel, '--json']);
    expect(g.code, g.stderr).toBe(0);
    expect(filesIn(`${out}-glob`)).toEqual(['frame1.png', 'frame10.png', 'manifest.json']);
  });

  it('batch: every sequence below a root, in per-sequence folders, outputs under root excluded', async () => {
    const root = path.join(T(), 'batch-root');
    writeFrames(path.join(root, '2011_09_26', 'a_sync', 'image_02', 'data'), 2, (i) => `${i}.png`);
    writeFrames(path.join(root, '2011_09_26', 'b_sync', 'image_02', 'data'), 1, (i) => `${i}.png`);
    writeFrames(path.join(root, 'loose'), 2, (i) => `f${i}.png`);
    const out = path.join(root, 'out');
    const r = await runCli(['batch', root, '--masks', out, '-m', thresholdModel, '--workers', '2', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const s = summaryOf(r.stdout);
    expect(s.sequences.map((q: any) => q.id)).toEqual([
      '2011_09_26/a_sync/image_02',
      '2011_09_26/b_sync/image_02',
      'loose',
    ]);
    expect(filesIn(path.join(out, '2011_09_26', 'a_sync', 'image_02'))).toEqual(['0.png', '1.png']);
    expect(filesIn(path.join(out, 'loose'))).toEqual(['f0.png', 'f1.png']);
    const again = await runCli(['batch', root, '--masks', out, '-m', thresholdModel, '--json']);
    expect(summaryOf(again.stdout)).toMatchObject({ frames: 0, skipped: 5 });
  });
});

describe('free-space boundary end to end', () => {
  it('matches a frame whose drivable (red) region is known exactly', async () => {
    // 128x72 = 2x the threshold model's 64x36: even-aligned edges survive resize and upscale exactly.
    const W = 128;
    const H = 72;
    const top = (x: number) => (x >= 20 && x < 30 ? 0 : x < 64 ? 40 : 56);
    const blocked = (x: number, y: number) => x >= 100 && x < 110 && y >= 66;
    const isRed = (x: number, y: number) => y >= top(x) && !blocked(x, y);
    const dir = path.join(T(), 'boundary');
    writePng(path.join(dir, 'f.png'), twoColourFrame(W, H, isRed), W, H);
    const jsonl = path.join(T(), 'boundary.jsonl');
    const r = await runCli([dir, '--free-space-json', jsonl, '-m', thresholdModel]);
    expect(r.code, r.stderr).toBe(0);
    const [line] = readFileSync(jsonl, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const want = Array.from({ length: W }, (_, x) => (x >= 100 && x < 110 ? null : top(x) - 1));
    expect(line).toMatchObject({ sequence: '', frame: 'f', index: 0, width: W, height: H });
    expect(line.boundary).toEqual(want);
    let red = 0;
    for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) red += isRed(x, y) ? 1 : 0;
    expect(line.freeFraction).toBeCloseTo(red / (W * H), 6);
    // Manifest beside the JSONL when no output folder is given.
    expect(existsSync(path.join(T(), 'boundary.manifest.json'))).toBe(true);
  });
});
