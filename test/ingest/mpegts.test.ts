/**
 * MPEG-TS input (dashcams, broadcast captures) and crashed ffprobe builds: the bundled ffprobe
 * dies of SIGSEGV on every .ts file; that is never called a corrupt input.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { onPathExecutable } from '../../src/process/binary-choice.js';
import { runCli } from '../helpers/cli.js';
import { bins, makeIndexedVideo, tempDir, tinyModelDir } from '../helpers/media.js';

const bundledFfprobe = (createRequire(import.meta.url)('@ffprobe-installer/ffprobe') as { path: string }).path;

function systemFfprobe(): boolean {
  const found = onPathExecutable('ffprobe') !== undefined;
  if (!found && process.env.CI === 'true')
    throw new Error('ffprobe on PATH is required under CI=true (apt-get install ffmpeg)');
  if (!found) console.warn('skipping: no ffprobe on PATH (install the Debian ffmpeg package)');
  return found;
}

describe('MPEG-TS input', () => {
  const tmp = tempDir();
  const ts = path.join(tmp.dir, 'dashcam.ts');
  beforeAll(async () => {
    const mp4 = path.join(tmp.dir, 'src.mp4');
    await makeIndexedVideo(mp4, { width: 64, height: 48, frames: 12, fps: '25', audio: true });
    expect(spawnSync(bins.ffmpeg.path, ['-v', 'error', '-y', '-i', mp4, '-c', 'copy', '-f', 'mpegts', ts]).status).toBe(
      0,
    );
  });
  afterAll(() => tmp.cleanup());

  it.runIf(systemFfprobe())('a .ts file is segmented with the default binaries: every frame', async () => {
    const r = await runCli([
      ts,
      '--masks',
      path.join(tmp.dir, 'masks'),
      '-m',
      tinyModelDir,
      '--json',
      '-q',
      '--workers',
      '1',
      '--threads',
      '1',
    ]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ frames: 12 });
  });

  it('the bundled ffprobe crashing on it (no other ffprobe on PATH) is FFMPEG_CRASHED naming the signal, not INPUT_CORRUPT', async () => {
    const r = await runCli([ts, '--masks', path.join(tmp.dir, 'm2'), '-m', tinyModelDir, '-q'], {
      env: { FFPROBE_PATH: bundledFfprobe, PATH: '/nonexistent' },
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /^seg-stream: SEGSTREAM_ERR_FFMPEG_CRASHED: ffprobe .* was killed by SIGSEGV: it crashed \(a bug in that build, not a problem with your file\)/,
    );
    expect(r.stderr).not.toMatch(/INPUT_CORRUPT|exit code null/);
  });

  it.runIf(systemFfprobe())('a crashing ffprobe is retried with the one on PATH', async () => {
    const fake = path.join(tmp.dir, 'crashing-ffprobe');
    writeFileSync(fake, '#!/bin/sh\nkill -SEGV $$\n');
    chmodSync(fake, 0o755);
    const r = await runCli(
      [ts, '--masks', path.join(tmp.dir, 'm3'), '-m', tinyModelDir, '--json', '-q', '--workers', '1', '--threads', '1'],
      { env: { FFPROBE_PATH: fake } },
    );
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ frames: 12 });
  });

  it('--version names each binary, its version and why it was chosen', async () => {
    const r = await runCli(['--version']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^ffmpeg: \S+ \([^;]+; .+\)$/m);
    expect(r.stdout).toMatch(/^ffprobe: \S+ \([^;]+; .+\)$/m);
  });
});
