/**
 * `seg-stream` as a user runs it, on real footage, from the build the test run made (vitest's
 * global setup rebuilds dist/ when src/ changed): the dashcam clip and CamVid val frames with the
 * default model. Checks the exit code, the outputs on disk (decoded with ffprobe / the project's
 * PNG reader) and the `--json` summary. Needs ../shared (skipped with a message without it, never
 * under CI=true).
 */
import { mkdirSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { distIsFresh } from '../../scripts/build.mjs';
import { runCli } from '../helpers/cli.js';
import { haveShared, probe, readGrayPng, repoRoot, sharedDir, tempDir } from '../helpers/media.js';

let tmp: { dir: string; cleanup: () => void };
beforeAll(() => (tmp = tempDir('segstream-e2e-')));
afterAll(() => tmp?.cleanup());

const summaryOf = (stdout: string) => JSON.parse(stdout.trim().split('\n').pop()!) as Record<string, any>;
const visible = (dir: string) => readdirSync(dir).filter((f) => !f.startsWith('.'));

describe.runIf(haveShared())('seg-stream on real inputs (default model)', () => {
  it('runs the compiled code of this tree', () => {
    expect(distIsFresh(repoRoot)).toBe(true);
  });

  it('the dashcam clip: exit 0, a playable overlay at the source size, one mask and free-space mask per frame, --json', async () => {
    const clip = path.join(sharedDir, 'samples', 'solidWhiteRight.mp4');
    const out = path.join(tmp.dir, 'video');
    mkdirSync(out);
    const r = await runCli(
      [
        clip,
        '-o',
        path.join(out, 'overlay.mp4'),
        '--masks',
        path.join(out, 'masks'),
        '--free-space',
        path.join(out, 'free'),
        '--frames',
        '12',
        '--json',
      ],
      { timeoutMs: 170_000 },
    );
    expect(r.code, r.stderr).toBe(0);
    const s = summaryOf(r.stdout);
    expect(s).toMatchObject({ live: false, frames: 12, stopped: 'frames', model: 'camvid-default', missingFrames: 0 });
    expect(s.source).toMatchObject({ width: 960, height: 540 });
    expect(s.outputs.video).toBe(path.join(out, 'overlay.mp4'));
    expect(s.fps).toBeGreaterThan(0);
    const { video } = probe(path.join(out, 'overlay.mp4'));
    expect(video).toMatchObject({ width: 960, height: 540, frames: 12 });
    for (const dir of ['masks', 'free']) {
      const files = visible(path.join(out, dir)).sort();
      expect(files).toHaveLength(12);
      const png = readGrayPng(path.join(out, dir, files[0]));
      expect([png.width, png.height]).toEqual([960, 540]);
    }
    // The road in front of the car is free space: the bottom centre of the free-space mask is set.
    const free = readGrayPng(path.join(out, 'free', visible(path.join(out, 'free')).sort()[0]));
    expect(free.data[(free.height - 20) * free.width + free.width / 2]).toBe(255);
  });

  it('CamVid val as a frame folder: exit 0, masks named after the frames, JSONL lines, scores, a manifest', async () => {
    const val = path.join(sharedDir, 'datasets', 'camvid', 'val');
    const all = readdirSync(val)
      .filter((f) => f.endsWith('.png'))
      .sort();
    const files = all.slice(0, 6);
    const out = path.join(tmp.dir, 'folder');
    const r = await runCli(
      [
        val,
        '--frames',
        '6',
        '--masks',
        path.join(out, 'masks'),
        '--free-space',
        path.join(out, 'free'),
        '--free-space-json',
        path.join(out, 'free.jsonl'),
        '--json',
      ],
      { timeoutMs: 170_000 },
    );
    expect(r.code, r.stderr).toBe(0);
    const s = summaryOf(r.stdout);
    expect(s).toMatchObject({ frames: 6, skipped: 0, total: all.length, stopped: 'frames', model: 'camvid-default' });
    expect(s.outputs.manifest).toBe(path.join(out, 'masks', 'manifest.json'));
    const manifest = JSON.parse(readFileSync(s.outputs.manifest as string, 'utf8')) as Record<string, any>;
    expect(manifest.frames).toBe(6);
    const stems = files.map((f) => f.replace(/\.png$/, ''));
    expect(visible(path.join(out, 'masks')).sort()).toEqual([...stems.map((f) => `${f}.png`), 'manifest.json'].sort());
    expect(visible(path.join(out, 'free')).sort()).toEqual(stems.map((f) => `${f}.png`));
    const mask = readGrayPng(path.join(out, 'masks', `${stems[0]}.png`));
    expect([mask.width, mask.height]).toEqual([480, 360]);
    const lines = readFileSync(path.join(out, 'free.jsonl'), 'utf8').trim().split('\n');
    expect(lines.map((l) => (JSON.parse(l) as { frame: string }).frame)).toEqual(stems);
  });
});
