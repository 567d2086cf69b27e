/**
 * Outputs that name the input (however spelled), each other, or something that is not a regular
 * file are refused before anything is written; the input is never touched.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  linkSync,
  lstatSync,
  mkdirSync,
  readFileSync,
  readlinkSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { makeIndexedVideo, probe, tempDir, tinyModelDir } from '../helpers/media.js';

const sha = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

describe('outputs that are the input, collide, or are not regular files', () => {
  const tmp = tempDir();
  const d = path.join(tmp.dir, 'd');
  const input = path.join(d, 'in.mp4');
  let inputHash = '';
  const run = (...args: string[]) =>
    runCli([input, '-m', tinyModelDir, '-q', '--workers', '1', '--threads', '1', ...args], { timeoutMs: 60_000 });
  beforeAll(async () => {
    mkdirSync(d);
    await makeIndexedVideo(input, { width: 64, height: 48, frames: 6, fps: '25', audio: true });
    inputHash = sha(input);
    linkSync(input, path.join(d, 'hard.mp4'));
    symlinkSync(input, path.join(d, 'soft.mp4'));
  });
  afterAll(() => tmp.cleanup());

  const spellings: [string, () => string][] = [
    ['the same path', () => input],
    ['another spelling (d/../d/in.mp4)', () => path.join(d, '..', 'd', 'in.mp4')],
    ['a hard link to it', () => path.join(d, 'hard.mp4')],
    ['a symbolic link to it', () => path.join(d, 'soft.mp4')],
  ];
  for (const [what, name] of spellings) {
    it(`-o naming the input through ${what}: usage error, input untouched`, async () => {
      const r = await run('-o', name());
      expect(r.stderr).toMatch(/^seg-stream: SEGSTREAM_ERR_INVALID_OPTION: -o .* is the input itself/);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.code).toBe(2);
      expect(sha(input)).toBe(inputHash);
    });
  }

  it('--masks naming the input: usage error', async () => {
    const r = await run('--masks', path.join(d, '.', 'in.mp4'));
    expect(r.stderr).toMatch(/SEGSTREAM_ERR_INVALID_OPTION: --masks .* is the input itself/);
    expect(r.code).toBe(2);
  });

  it('--masks and --free-space the same folder (spelled differently, not yet existing): usage error, nothing written', async () => {
    const masks = path.join(tmp.dir, 'same');
    const r = await run('--masks', masks, '--free-space', path.join(tmp.dir, 'd', '..', 'same') + '/');
    expect(r.stderr).toMatch(/SEGSTREAM_ERR_INVALID_OPTION: --masks and --free-space both name/);
    expect(r.code).toBe(2);
    expect(() => statSync(masks)).toThrow();
  });

  it('-o and --stats the same file: usage error', async () => {
    const r = await run('-o', path.join(tmp.dir, 'x.mp4'), '--stats', path.join(tmp.dir, 'x.mp4'));
    expect(r.stderr).toMatch(/SEGSTREAM_ERR_INVALID_OPTION: -o and --stats both name/);
    expect(r.code).toBe(2);
  });

  it('-o a FIFO: refused, the FIFO stays a FIFO', async () => {
    const fifo = path.join(tmp.dir, 'pipe.mp4');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    const r = await run('-o', fifo);
    expect(r.stderr).toMatch(/SEGSTREAM_ERR_OUTPUT_UNWRITABLE: -o .* is a FIFO/);
    expect(r.code).toBe(1);
    expect(lstatSync(fifo).isFIFO()).toBe(true);
  });

  it('-o a character device (a private copy of /dev/null): refused, the device stays', async (ctx) => {
    const dev = path.join(tmp.dir, 'null');
    if (spawnSync('mknod', [dev, 'c', '1', '3']).status !== 0) {
      if (process.env.CI === 'true') throw new Error('mknod is required under CI=true');
      ctx.skip('skipping: mknod is not permitted here (needs root)');
    }
    const r = await run('-o', dev);
    expect(r.stderr).toMatch(/SEGSTREAM_ERR_OUTPUT_UNWRITABLE: -o .* is a character device/);
    expect(lstatSync(dev).isCharacterDevice()).toBe(true);
  });

  it('-o a symbolic link to another file: the target gets the video, the link stays', async () => {
    const target = path.join(tmp.dir, 'target.mp4');
    writeFileSync(target, 'old');
    const link = path.join(tmp.dir, 'link.mp4');
    symlinkSync(target, link);
    const r = await run('-o', link);
    expect(r.stderr).not.toMatch(/SEGSTREAM_ERR/);
    expect(r.code).toBe(0);
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(readlinkSync(link)).toBe(target);
    expect(probe(target).video.frames).toBe(6);
  });

  it('-o a dangling symbolic link: refused, the link stays', async () => {
    const link = path.join(tmp.dir, 'dangling.mp4');
    symlinkSync(path.join(tmp.dir, 'missing', 'x.mp4'), link);
    const r = await run('-o', link);
    expect(r.stderr).toMatch(/SEGSTREAM_ERR_OUTPUT_UNWRITABLE: -o .* symbolic link to a file that does not exist/);
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
  });
});
