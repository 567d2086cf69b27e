/**
 * Frame-folder runs refuse outputs that would overwrite each other, compared by what they name
 * (device and inode, or the real path of a folder still to be created), as video runs do.
 */
import { existsSync, mkdirSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../helpers/cli.js';
import { tempDir } from '../../helpers/media.js';
import { filesIn, summaryOf, thresholdModel, writeFrames } from './fixtures.js';

let tmp: { dir: string; cleanup: () => void };
beforeAll(() => (tmp = tempDir('segstream-collide-')));
afterAll(() => tmp.cleanup());

describe('frame-folder outputs that collide', () => {
  it('--masks and --free-space the same folder, spelled differently and not yet existing: usage error, nothing written', async () => {
    const dir = path.join(tmp.dir, 'frames');
    writeFrames(dir, 2, (i) => `${i}.png`);
    const out = path.join(tmp.dir, 'out');
    const r = await runCli([
      dir,
      '--masks',
      out,
      '--free-space',
      path.join(tmp.dir, 'x', '..', 'out'),
      '-m',
      thresholdModel,
      '--workers',
      '1',
    ]);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/SEGSTREAM_ERR_INVALID_OPTION: --masks and --free-space both name/);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(existsSync(out) ? filesIn(out) : []).toEqual([]);
  });

  it('--free-space through a symbolic link to the --masks folder: usage error', async () => {
    const dir = path.join(tmp.dir, 'frames2');
    writeFrames(dir, 2, (i) => `${i}.png`);
    const masks = path.join(tmp.dir, 'masks2');
    mkdirSync(masks);
    const alias = path.join(tmp.dir, 'alias2');
    symlinkSync(masks, alias);
    const r = await runCli([dir, '--masks', masks, '--free-space', alias, '-m', thresholdModel, '--workers', '1']);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/--masks and --free-space both name/);
    expect(filesIn(masks)).toEqual([]);
  });

  it('a JSONL and a video beside the frames are written; an image name there is refused', async () => {
    const dir = path.join(tmp.dir, 'beside');
    writeFrames(dir, 3, (i) => `${i}.png`);
    const before = filesIn(dir);
    const args = [
      dir,
      '--free-space-json',
      path.join(dir, 'fs.jsonl'),
      '-o',
      path.join(dir, 'ov.mp4'),
      '-m',
      thresholdModel,
      '--workers',
      '1',
      '--json',
    ];
    const r = await runCli(args);
    expect(r.code, r.stderr).toBe(0);
    expect(summaryOf(r.stdout)).toMatchObject({ frames: 3, skipped: 0 });
    expect(filesIn(dir)).toEqual([...before, 'fs.jsonl', 'fs.manifest.json', 'ov.mp4'].sort());
    // The outputs are not read back as frames: a second run finds the same three frames, all complete.
    const again = await runCli(args);
    expect(summaryOf(again.stdout)).toMatchObject({ frames: 0, skipped: 3, total: 3 });

    const png = await runCli([dir, '-o', path.join(dir, 'ov.png'), '-m', thresholdModel, '--workers', '1']);
    expect(png.code, png.stderr).toBe(2);
    expect(png.stderr).toMatch(
      /SEGSTREAM_ERR_INVALID_OPTION: -o .*ov\.png would be written into the folder of the input frames .* under an image name/,
    );
    expect(existsSync(path.join(dir, 'ov.png'))).toBe(false);
  });
});
