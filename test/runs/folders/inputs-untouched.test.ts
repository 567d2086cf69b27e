/**
 * A frame-folder run never writes into what it reads, and reads what the user points it at:
 * output folders that are the input under another name (a symlink) or the ground truth, a list
 * of files in the shell's order, a sequence folder that is a symlink.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, readdirSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../helpers/cli.js';
import { tempDir } from '../../helpers/media.js';
import { filesIn, summaryOf, thresholdModel, writeFrames, writePng } from './fixtures.js';

let tmp: { dir: string; cleanup: () => void };
beforeAll(() => (tmp = tempDir('segstream-inputs-')));
afterAll(() => tmp.cleanup());

/** Name → content hash of every file in a folder (hidden ones included). */
function snapshot(dir: string): Record<string, string> {
  return Object.fromEntries(
    readdirSync(dir)
      .sort()
      .map((f) => [
        f,
        createHash('sha1')
          .update(readFileSync(path.join(dir, f)))
          .digest('hex'),
      ]),
  );
}

describe('outputs never go into a folder the run reads', () => {
  it('--masks through a symlink to the frames folder is refused, with and without --overwrite; the frames stay as they were', async () => {
    const frames = path.join(tmp.dir, 'sym', 'frames');
    writeFrames(frames, 3, (i) => `${i}.png`);
    const alias = path.join(tmp.dir, 'sym', 'alias');
    symlinkSync(frames, alias);
    const before = snapshot(frames);
    for (const extra of [[], ['--overwrite']]) {
      const r = await runCli([frames, '--masks', alias, '-m', thresholdModel, '--json', ...extra]);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toMatch(
        /^seg-stream: SEGSTREAM_ERR_INVALID_OPTION: --masks .*alias is the folder of the input frames/,
      );
      expect(r.stdout).toBe('');
      expect(snapshot(frames)).toEqual(before);
    }
    // A file output into the frames folder through the alias is refused too.
    const r = await runCli([frames, '--free-space-json', path.join(alias, 'fs.jsonl'), '-m', thresholdModel]);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain('would be written into the folder of the input frames');
    expect(snapshot(frames)).toEqual(before);
  });

  it('--masks pointed at the ground truth (CamVid valannot/) is refused; the labels stay as they were', async () => {
    const root = path.join(tmp.dir, 'camvid');
    writeFrames(path.join(root, 'val'), 2, (i) => `f${i}.png`);
    for (let i = 0; i < 2; i++)
      writePng(path.join(root, 'valannot', `f${i}.png`), new Uint8Array(128 * 72).fill(3), 128, 72, 'gray');
    const labels = path.join(root, 'valannot');
    const before = snapshot(labels);
    for (const extra of [[], ['--overwrite']]) {
      const r = await runCli([path.join(root, 'val'), '--masks', labels, '-m', thresholdModel, '--json', ...extra]);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toMatch(
        /SEGSTREAM_ERR_INVALID_OPTION: --masks .*valannot is the folder of the input ground truth/,
      );
      expect(snapshot(labels)).toEqual(before);
    }
    // The same through a symlink.
    const linked = path.join(tmp.dir, 'labels-link');
    symlinkSync(labels, linked);
    const r = await runCli([path.join(root, 'val'), '--free-space', linked, '-m', thresholdModel]);
    expect(r.code, r.stderr).toBe(2);
    expect(snapshot(labels)).toEqual(before);
  });
});

describe('what a run reads', () => {
  it('files from a shell-expanded glob are taken in natural order, as the quoted glob takes them', async () => {
    const dir = path.join(tmp.dir, 'shell');
    writeFrames(dir, 12, (i) => `frame${i + 1}.png`);
    // What `seg-stream shell/frame*.png` receives from the shell: names in byte order.
    const shellOrder = readdirSync(dir)
      .sort()
      .map((f) => path.join(dir, f));
    expect(path.basename(shellOrder[1])).toBe('frame10.png');
    const natural = Array.from({ length: 12 }, (_, i) => `frame${i + 1}`);
    const unquoted = await runCli([
      ...shellOrder,
      '--free-space-json',
      path.join(tmp.dir, 'shell.jsonl'),
      '-m',
      thresholdModel,
    ]);
    expect(unquoted.code, unquoted.stderr).toBe(0);
    const quoted = await runCli([
      path.join(dir, 'frame*.png'),
      '--free-space-json',
      path.join(tmp.dir, 'shell-quoted.jsonl'),
      '-m',
      thresholdModel,
    ]);
    expect(quoted.code, quoted.stderr).toBe(0);
    for (const file of ['shell.jsonl', 'shell-quoted.jsonl']) {
      const lines = readFileSync(path.join(tmp.dir, file), 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l));
      expect(lines.map((l) => l.frame)).toEqual(natural);
      expect(lines.map((l) => l.index)).toEqual(natural.map((_, i) => i));
    }
  });

  it('batch follows a sequence folder that is a symlink, and a symlink loop ends with a note', async () => {
    const root = path.join(tmp.dir, 'batch-root');
    writeFrames(path.join(root, 'real'), 2, (i) => `r${i}.png`);
    const elsewhere = path.join(tmp.dir, 'elsewhere', 'drive');
    writeFrames(elsewhere, 3, (i) => `d${i}.png`);
    symlinkSync(elsewhere, path.join(root, 'linked'));
    mkdirSync(path.join(root, 'real', 'nested'));
    symlinkSync(root, path.join(root, 'real', 'nested', 'loop'));
    const out = path.join(tmp.dir, 'batch-out');
    const r = await runCli(['batch', root, '--masks', out, '-m', thresholdModel, '--json'], { timeoutMs: 60_000 });
    expect(r.code, r.stderr).toBe(0);
    const s = summaryOf(r.stdout);
    expect(s.sequences.map((q: any) => [q.id, q.frames])).toEqual([
      ['linked', 3],
      ['real', 2],
    ]);
    expect(filesIn(path.join(out, 'linked'))).toEqual(['d0.png', 'd1.png', 'd2.png']);
    expect(s.notes.join('\n')).toMatch(/loop was not read again/);
  });
});
