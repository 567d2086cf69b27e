/**
 * `--smooth` with clean edges: the smoothed labels reach the masks through the resized smoothed
 * scores, so class edges fall between the network's pixels, not only on the nearest-neighbour
 * grid (real model, real dashcam footage).
 */
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { nearestIndexTable } from '../../src/pixels/sampler.js';
import { runCli } from '../helpers/cli.js';
import { bins, haveShared, readGrayPng, sharedDir, tempDir } from '../helpers/media.js';

const W = 480;
const H = 270;

describe.skipIf(!haveShared())('smoothing with clean edges', () => {
  const tmp = tempDir('segstream-smooth-edges-');
  afterAll(() => tmp.cleanup());

  it('--smooth masks have class edges off the nearest-neighbour grid of the network map', async () => {
    const clip = path.join(tmp.dir, 'dash.mp4');
    const cut = spawnSync(bins.ffmpeg.path, [
      ...['-v', 'error', '-i', path.join(sharedDir, 'samples', 'solidWhiteRight.mp4'), '-ss', '2', '-frames:v', '6'],
      ...['-an', '-vf', `scale=${W}:${H}`, '-c:v', 'libx264', '-preset', 'veryfast', '-pix_fmt', 'yuv420p', clip],
    ]);
    expect(cut.status, cut.stderr.toString()).toBe(0);
    const masks = path.join(tmp.dir, 'masks');
    const r = await runCli([clip, '--masks', masks, '--smooth', '--threads', '1', '--workers', '1', '--json'], {
      timeoutMs: 120_000,
    });
    expect(r.code, r.stderr).toBe(0);
    const net = (JSON.parse(r.stdout.trim().split('\n').pop()!) as { networkInput: { width: number; height: number } })
      .networkInput;
    // The network's map (output stride 2) enlarged by nearest neighbour changes class only where its column changes.
    const cols = nearestIndexTable(net.width / 2, W);
    let onGrid = 0;
    let offGrid = 0;
    const files = readdirSync(masks).sort();
    expect(files).toHaveLength(6);
    for (const f of files.slice(1)) {
      const m = readGrayPng(path.join(masks, f)).data;
      for (let y = 0; y < H; y++)
        for (let x = 1; x < W; x++)
          if (m[y * W + x] !== m[y * W + x - 1]) {
            if (cols[x] === cols[x - 1]) offGrid++;
            else onGrid++;
          }
    }
    expect(onGrid).toBeGreaterThan(0);
    expect(offGrid).toBeGreaterThan(onGrid / 4);
  }, 180_000);
});
