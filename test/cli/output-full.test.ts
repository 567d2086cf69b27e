/**
 * A full disk while writing each kind of output: one line, SEGSTREAM_ERR_OUTPUT_FULL, exit 1, no
 * hidden temporary left. Uses a small tmpfs (needs root and mount); skipped with a message where
 * it cannot be mounted, never under CI=true.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { makeIndexedVideo, tempDir, tinyModelDir } from '../helpers/media.js';

const tmp = tempDir();
const disk = path.join(tmp.dir, 'small-disk');
mkdirSync(disk);
const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=256k', 'tmpfs', disk]).status === 0;
if (!mounted && process.env.CI === 'true') throw new Error('a tmpfs must be mountable under CI=true (run as root)');
if (!mounted) console.warn('skipping: cannot mount a small tmpfs here (needs root); full-disk errors untested');

describe.runIf(mounted)('a full disk', () => {
  const input = path.join(tmp.dir, 'in.mp4');
  beforeAll(async () => {
    await makeIndexedVideo(input, { width: 320, height: 240, frames: 60, fps: '25', audio: true });
  }, 60_000);
  afterAll(() => {
    spawnSync('umount', [disk]);
    tmp.cleanup();
  });

  const outputs: [string, string[]][] = [
    ['overlay video', ['-o', path.join(disk, 'o.mp4')]],
    ['masks', ['--masks', path.join(disk, 'masks')]],
    ['free-space masks', ['--free-space', path.join(disk, 'free')]],
  ];
  for (const [what, args] of outputs) {
    it(`${what}: one OUTPUT_FULL line, exit 1, no hidden temporary left`, async () => {
      // The disk is nearly full already: a few small files still fit, no whole output does.
      writeFileSync(path.join(disk, 'filler'), Buffer.alloc(252 * 1024, 1));
      const r = await runCli([input, ...args, '-m', tinyModelDir, '-q', '--workers', '1', '--threads', '1']);
      expect(r.stderr).toMatch(/^seg-stream: SEGSTREAM_ERR_OUTPUT_FULL: no space left on the device while writing /);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.code).toBe(1);
      const hidden = spawnSync('find', [disk, '-name', '.*.partial'], { encoding: 'utf8' }).stdout.trim();
      expect(hidden).toBe('');
      spawnSync('sh', ['-c', `rm -rf ${disk}/* ${disk}/.[!.]*`]);
      expect(readdirSync(disk)).toEqual([]);
    }, 60_000);
  }
});
