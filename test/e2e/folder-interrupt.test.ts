/**
 * Ctrl-C in a terminal on a frame-folder run with an overlay video: the terminal sends SIGINT to
 * the whole process group, so the CLI and its ffmpeg children all receive it. The run must end
 * with its finished outputs, a manifest and one line, never a stack trace or a hidden temp file.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { binPath } from '../helpers/cli.js';
import { bins, probe, repoRoot, tempDir } from '../helpers/media.js';
import { thresholdModel } from '../runs/folders/fixtures.js';

let tmp: { dir: string; cleanup: () => void };
beforeAll(() => (tmp = tempDir('segstream-interrupt-')));
afterAll(() => tmp.cleanup());

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('Ctrl-C on a frame-folder run with -o', () => {
  it('SIGINT to the process group: exit 0, finished video, masks and manifest; no stack, no hidden file, no child left', async () => {
    const frames = path.join(tmp.dir, 'frames');
    mkdirSync(frames);
    const made = spawnSync(bins.ffmpeg.path, [
      '-v',
      'error',
      '-f',
      'lavfi',
      '-i',
      'testsrc2=size=320x180:rate=25',
      '-frames:v',
      '600',
      path.join(frames, 'f%d.png'),
    ]);
    expect(made.status, String(made.stderr)).toBe(0);
    const out = path.join(tmp.dir, 'out');
    const masks = path.join(out, 'masks');
    // detached: the CLI leads its own process group, as a shell job in a terminal does.
    const child = spawn(
      process.execPath,
      [
        binPath,
        frames,
        '--masks',
        masks,
        '-o',
        path.join(out, 'ov.mp4'),
        '-m',
        thresholdModel,
        '--workers',
        '1',
        '--json',
      ],
      {
        cwd: repoRoot,
        stdio: ['ignore', 'pipe', 'pipe'],
        detached: true,
      },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const closed = new Promise<number | null>((resolve) => child.on('close', resolve));
    // Masks are written before the frames reach the video in order, and at most 4 + 2·workers + 2·batch
    // = 8 frames are in flight: a ninth mask means at least one frame has gone through the video too.
    for (
      let i = 0;
      i < 600 && (!existsSync(masks) || readdirSync(masks).filter((f) => f.endsWith('.png')).length < 9);
      i++
    )
      await sleep(50);
    process.kill(-child.pid!, 'SIGINT');
    const code = await closed;

    expect(stderr).not.toMatch(/\n\s+at |node:internal|Error:/);
    const manifest = JSON.parse(readFileSync(path.join(masks, 'manifest.json'), 'utf8'));
    expect(manifest.frames).toBeGreaterThan(0);
    expect(manifest.frames).toBeLessThan(600);
    const pngs = readdirSync(masks).filter((f) => f.endsWith('.png'));
    expect(pngs.length).toBeGreaterThanOrEqual(manifest.frames);
    expect([...readdirSync(out), ...readdirSync(masks)].filter((f) => f.startsWith('.'))).toEqual([]);
    // ffmpeg runs in its own process group, so the terminal's SIGINT reaches only seg-stream, which
    // finishes the video of the frames processed.
    expect(code, stderr).toBe(0);
    expect(JSON.parse(stdout).stopped).toBe('signal');
    expect(manifest.stopped).toBe('signal');
    expect(probe(path.join(out, 'ov.mp4')).video.frames).toBe(manifest.frames);
    const strays = spawnSync('ps', ['-eo', 'args='], { encoding: 'utf8' })
      .stdout.split('\n')
      .filter((l) => l.includes(out));
    expect(strays).toEqual([]);
  });
});
