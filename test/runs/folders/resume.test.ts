import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../helpers/cli.js';
import { tempDir } from '../../helpers/media.js';
import { filesIn, readPng, summaryOf, thresholdModel, writeFrames } from './fixtures.js';

let tmp: { dir: string; cleanup: () => void };
beforeAll(() => (tmp = tempDir('segstream-resume-')));
afterAll(() => tmp.cleanup());

const outputs = (out: string) => [
  '--masks',
  `${out}/masks`,
  '--free-space',
  `${out}/fs`,
  '--kitti-road',
  `${out}/road`,
  '--free-space-json',
  `${out}/fs.jsonl`,
  '-m',
  thresholdModel,
  '--json',
];

describe('resume', () => {
  it('an interrupted run then a rerun equals one clean run, and skips the finished frames', async () => {
    const frames = path.join(tmp.dir, 'frames');
    writeFrames(
      frames,
      7,
      (i) => `${String(i).padStart(6, '0')}.png`,
      (i) => [128 + 2 * (i % 2), 72],
    );
    const clean = path.join(tmp.dir, 'clean');
    const resumed = path.join(tmp.dir, 'resumed');
    expect((await runCli([frames, ...outputs(clean)])).code).toBe(0);

    const first = await runCli([frames, ...outputs(resumed), '--frames', '3']);
    expect(first.code, first.stderr).toBe(0);
    expect(summaryOf(first.stdout)).toMatchObject({ frames: 3, skipped: 0, stopped: 'frames' });
    // What a kill leaves behind: a temporary file, and a journal whose last line was cut short.
    writeFileSync(path.join(resumed, 'masks', '.000003.png.999-dead.partial'), 'half a png');
    writeFileSync(path.join(resumed, '.fs.jsonl.journal'), '{"sequence":"","frame":"000004","index":4,"wid');

    const second = await runCli([frames, ...outputs(resumed)]);
    expect(second.code, second.stderr).toBe(0);
    expect(summaryOf(second.stdout)).toMatchObject({ frames: 4, skipped: 3, stopped: 'end' });
    for (const kind of ['masks', 'fs', 'road']) {
      const names = filesIn(path.join(clean, kind)).filter((n) => n.endsWith('.png'));
      expect(names).toHaveLength(7);
      for (const n of names) {
        const a = readPng(path.join(clean, kind, n));
        const b = readPng(path.join(resumed, kind, n));
        expect([b.width, b.height]).toEqual([a.width, a.height]);
        expect(Buffer.from(b.data).equals(Buffer.from(a.data)), `${kind}/${n}`).toBe(true);
      }
    }
    expect(readFileSync(path.join(resumed, 'fs.jsonl'), 'utf8')).toBe(
      readFileSync(path.join(clean, 'fs.jsonl'), 'utf8'),
    );
    expect(filesIn(resumed).filter((n) => n.startsWith('.'))).toEqual([]); // journal gone

    const third = await runCli([frames, ...outputs(resumed)]);
    expect(summaryOf(third.stdout)).toMatchObject({ frames: 0, skipped: 7 });
    const redo = await runCli([frames, ...outputs(resumed), '--overwrite']);
    expect(summaryOf(redo.stdout)).toMatchObject({ frames: 7, skipped: 0 });
  });

  it('a missing JSONL line or output makes its frame incomplete; -o redoes its whole sequence', async () => {
    const frames = path.join(tmp.dir, 'frames2');
    writeFrames(frames, 4, (i) => `f${i}.png`);
    const out = path.join(tmp.dir, 'out2');
    const args = [
      frames,
      '--masks',
      `${out}/m`,
      '--free-space-json',
      `${out}/fs.jsonl`,
      '-m',
      thresholdModel,
      '--json',
    ];
    expect((await runCli(args)).code).toBe(0);
    const lines = readFileSync(`${out}/fs.jsonl`, 'utf8').trim().split('\n');
    writeFileSync(`${out}/fs.jsonl`, `${lines.filter((_, i) => i !== 2).join('\n')}\n`);
    const r = await runCli(args);
    expect(summaryOf(r.stdout)).toMatchObject({ frames: 1, skipped: 3 });
    expect(readFileSync(`${out}/fs.jsonl`, 'utf8').trim().split('\n')).toHaveLength(4);

    const v = await runCli([...args, '-o', `${out}/v.mp4`]);
    expect(summaryOf(v.stdout)).toMatchObject({ frames: 4, skipped: 0 });
    const again = await runCli([...args, '-o', `${out}/v.mp4`]);
    expect(summaryOf(again.stdout)).toMatchObject({ frames: 0, skipped: 4 });
  });
});
