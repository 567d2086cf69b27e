/**
 * A folder with no frames of its own but sequences below it (a KITTI raw date folder holding its
 * drives) answers what it found there and how to take it: option `recursive` in the library,
 * `seg-stream batch` on the command line, `--recursive` for `queue add`.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findSequences } from '../../../src/datasets/layouts.js';
import { SegStreamError } from '../../../src/errors.js';
import { runCli } from '../../helpers/cli.js';
import { tempDir } from '../../helpers/media.js';
import { redisAvailable, startRedis, type RedisServer } from '../../helpers/redis.js';
import { thresholdModel, writeFrames } from './fixtures.js';

let tmp: { dir: string; cleanup: () => void };
let date: string;
beforeAll(() => {
  tmp = tempDir('segstream-below-');
  date = path.join(tmp.dir, '2011_09_26');
  for (const d of ['0001', '0002']) {
    for (const cam of ['image_02', 'image_03'])
      writeFrames(
        path.join(date, `2011_09_26_drive_${d}_sync`, cam, 'data'),
        1,
        (i) => `${String(i).padStart(10, '0')}.png`,
      );
  }
});
afterAll(() => tmp.cleanup());

const FOUND =
  /no frames in .*2011_09_26 itself; found 4 sequences below it \(KITTI raw, in 2 folders: 2011_09_26_drive_0001_sync, 2011_09_26_drive_0002_sync\)/;

describe('a folder whose sequences are below it', () => {
  it('the library says what is below and names option `recursive`', async () => {
    const err = await findSequences(date).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SegStreamError);
    expect((err as SegStreamError).code).toBe('SEGSTREAM_ERR_NO_FRAMES');
    expect((err as SegStreamError).message).toMatch(FOUND);
    expect((err as SegStreamError).message).toContain('set option `recursive` to take every sequence below it');
    expect((err as SegStreamError).context.option).toBe('recursive');
    expect(await findSequences(date, { recursive: true })).toHaveLength(4);
  });

  it('seg-stream <folder> says to use seg-stream batch, in one line', async () => {
    const r = await runCli([date, '--masks', path.join(tmp.dir, 'm'), '-m', thresholdModel]);
    expect(r.code, r.stderr).not.toBe(0);
    expect(r.stderr).toMatch(FOUND);
    expect(r.stderr).toContain(`; use seg-stream batch ${date} to take every sequence below it`);
    expect(r.stderr).not.toContain('option `');
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });

  it.runIf(redisAvailable())('queue add <folder> says to add --recursive', async () => {
    const redis: RedisServer = await startRedis();
    try {
      const r = await runCli([
        'queue',
        'add',
        date,
        '--masks',
        path.join(tmp.dir, 'q'),
        '-m',
        thresholdModel,
        '--redis',
        redis.url,
      ]);
      expect(r.code, r.stderr).not.toBe(0);
      expect(r.stderr).toMatch(FOUND);
      expect(r.stderr).toContain('; add --recursive to take every sequence below it');
    } finally {
      await redis.stop();
    }
  });
});
