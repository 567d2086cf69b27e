/**
 * Frame-folder runs refuse outputs that would overwrite each other, compared by what they name
 * (device and inode, or the real path of a folder still to be created), as video runs do.
 */
import { existsSync, mkdirSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/media.js';
import { filesIn, thresholdModel, writeFrames } from './fixtures.js';

let tmp: { dir: string; cleanup: () => void };
beforeAll(() => (tmp = tempDir('segstream-collide-')));
afterAll(() => tmp.cleanup());

describe('frame-folder outputs that collide', () => {
  it('--masks and --free-space the same folder, spelled differently and not yet existing: usage error, nothing written', async () => {
    const dir = path.join(tmp.dir, 'frames');
    writeFrames(dir, 2, (i) => `${i}.png`);
    const out = path.join(tmp.dir, 'out');
    const r = await runCli([dir, '--masks', out, '--free-space', path.join(tmp.dir, 'x', '..', 'out'), '-m', thresholdModel, '--workers', '1']);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/SEGSTREAM_ERR_USAGE: --masks and --free-space both name/);
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
});
