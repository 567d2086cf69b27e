/**
 * What killed runs leave behind, long output names, one-line usage errors.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { binPath, runCli } from '../helpers/cli.js';
import { makeIndexedVideo, probe, repoRoot, tempDir, tinyModelDir } from '../helpers/media.js';

/** A pid that belonged to a process that has ended. */
function deadPid(): number {
  return spawnSync('true').pid;
}

describe('leftovers of killed runs', () => {
  const tmp = tempDir();
  const input = path.join(tmp.dir, 'in.mp4');
  beforeAll(async () => {
    await makeIndexedVideo(input, { width: 320, height: 180, frames: 300, fps: '25', audio: true });
  }, 60_000);
  afterAll(() => tmp.cleanup());

  it('SIGKILL leaves a hidden .partial; the next run writing to that folder removes it', async () => {
    const out = path.join(tmp.dir, 'killed');
    spawnSync('mkdir', [out]);
    const stats = path.join(tmp.dir, 'killed.jsonl');
    const child = spawn(
      process.execPath,
      [
        binPath,
        input,
        '-o',
        path.join(out, 'o.mp4'),
        '--masks',
        path.join(out, 'm'),
        '--stats',
        stats,
        '-q',
        '--threads',
        '1',
        '--workers',
        '1',
      ],
      { cwd: repoRoot, stdio: 'ignore' },
    );
    await new Promise<void>((resolve) => {
      const poll = setInterval(() => {
        if (existsSync(stats) && readFileSync(stats, 'utf8').split('\n').length > 3) {
          clearInterval(poll);
          child.kill('SIGKILL');
          resolve();
        }
      }, 50);
    });
    await new Promise((r) => child.on('close', r));
    // The orphaned encoder finishes its temporary file on its own once its input closes.
    await new Promise((r) => setTimeout(r, 1000));
    expect(readdirSync(out).filter((n) => n.endsWith('.partial'))).toHaveLength(1);
    const again = await runCli([input, '-o', path.join(out, 'o.mp4'), '-m', tinyModelDir, '-q', '--frames', '3']);
    expect(again.code).toBe(0);
    expect(readdirSync(out).filter((n) => n.endsWith('.partial'))).toEqual([]);
    expect(probe(path.join(out, 'o.mp4')).video.frames).toBe(3);
  }, 120_000);

  it("a killed live run's recording is kept and its path printed; another live process's temporary is left alone", async () => {
    const dir = path.join(tmp.dir, 'live');
    spawnSync('mkdir', [dir]);
    const recording = path.join(dir, `.cam.mp4.${deadPid()}-0123abcd.recording`);
    const running = path.join(dir, `.other.mp4.${process.pid}-0123abcd.partial`);
    writeFileSync(recording, 'footage');
    writeFileSync(running, 'in progress');
    const r = await runCli([input, '-o', path.join(dir, 'o.mp4'), '-m', tinyModelDir, '-q', '--frames', '2']);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(
      `seg-stream: note: kept the unfinished live recording of an earlier run that was killed: ${recording}`,
    );
    expect(readFileSync(recording, 'utf8')).toBe('footage');
    expect(existsSync(running)).toBe(true);
  }, 60_000);
});

describe('names and usage lines', () => {
  const tmp = tempDir();
  const input = path.join(tmp.dir, 'in.mp4');
  beforeAll(async () => {
    await makeIndexedVideo(input, { width: 64, height: 48, frames: 4, fps: '25' });
  });
  afterAll(() => tmp.cleanup());

  it('a legal 255-byte output name works (the temporary name is shortened, not the output)', async () => {
    const name = `${'a'.repeat(251)}.mp4`;
    const r = await runCli([input, '-o', path.join(tmp.dir, name), '-m', tinyModelDir, '-q']);
    expect(r.stderr).not.toMatch(/SEGSTREAM_ERR/);
    expect(r.code).toBe(0);
    expect(probe(path.join(tmp.dir, name)).video.frames).toBe(4);
  }, 60_000);

  it('--frames -1 is one line that gives the range of --frames (a negative number is a value, not an option)', async () => {
    const r = await runCli([input, '-o', path.join(tmp.dir, 'x.mp4'), '--frames', '-1']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(
      /^seg-stream: SEGSTREAM_ERR_INVALID_OPTION: Expected an integer from 1 to \d+ for frames but received -1$/m,
    );
  });
});
