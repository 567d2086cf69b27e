import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../helpers/cli.js';
import { tempDir } from '../../helpers/media.js';
import { filesIn, thresholdModel, writeFrames } from './fixtures.js';

let tmp: { dir: string; cleanup: () => void };
beforeAll(() => (tmp = tempDir('segstream-bad-')));
afterAll(() => tmp.cleanup());

describe('bad frame folders', () => {
  it('an empty folder is SEGSTREAM_ERR_NO_FRAMES and writes nothing', async () => {
    const dir = path.join(tmp.dir, 'empty');
    mkdirSync(dir);
    writeFileSync(path.join(dir, 'readme.txt'), 'no frames here');
    const r = await runCli([dir, '--masks', path.join(tmp.dir, 'empty-out'), '-m', thresholdModel]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/SEGSTREAM_ERR_NO_FRAMES: no frames found in .*KITTI raw/);
  });

  it('a file that is not an image, and a truncated PNG, are SEGSTREAM_ERR_INPUT_CORRUPT naming the file; no partial files', async () => {
    for (const [name, bytes] of [
      ['not-image', Buffer.from('this is a text file with a .png name')],
      ['truncated', null],
    ] as const) {
      const dir = path.join(tmp.dir, name);
      writeFrames(dir, 4, (i) => `${i}.png`);
      const bad = path.join(dir, '2.png');
      writeFileSync(bad, bytes ?? readFileSync(bad).subarray(0, 200));
      const out = path.join(tmp.dir, `${name}-out`);
      const r = await runCli([
        dir,
        '--masks',
        out,
        '--free-space-json',
        `${out}.jsonl`,
        '-m',
        thresholdModel,
        '--workers',
        '1',
      ]);
      expect(r.code, r.stderr).toBe(1);
      expect(r.stderr).toContain('SEGSTREAM_ERR_INPUT_CORRUPT');
      expect(r.stderr).toContain(bad);
      expect(filesIn(out).filter((f) => f.includes('partial') || f.startsWith('.'))).toEqual([]);
      expect(filesIn(out)).not.toContain('2.png');
      expect(filesIn(tmp.dir).filter((f) => f.startsWith('.'))).toEqual([]); // no journal left
    }
  });

  it('usage mistakes exit 2: nothing to write, outputs into the frames folder, video-only flags', async () => {
    const dir = path.join(tmp.dir, 'frames');
    writeFrames(dir, 1, () => 'a.png');
    expect((await runCli([dir, '-m', thresholdModel])).stderr).toMatch(
      /SEGSTREAM_ERR_INVALID_OPTION: nothing to write/,
    );
    const same = await runCli([dir, '--masks', dir, '-m', thresholdModel]);
    expect([same.code, /overwrite them/.test(same.stderr)]).toEqual([2, true]);
    const flags = await runCli([dir, '--masks', path.join(tmp.dir, 'o'), '--segment-time', '2']);
    expect([flags.code, /applies to video inputs/.test(flags.stderr)]).toEqual([2, true]);
  });
});
