/**
 * Phone video stored sideways with a display matrix: every output is in the orientation a player
 * shows (ffmpeg's own auto-rotated decode is the reference).
 */
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { segmentVideo } from '../../../src/runs/video/segment-video.js';
import { bins, decodeAll, makeIndexedVideo, probe, readGrayPng, tempDir, tinyModelDir } from '../../helpers/media.js';

describe('rotated (phone) video', () => {
  const tmp = tempDir();
  const stored = path.join(tmp.dir, 'stored.mp4');
  beforeAll(async () => {
    await makeIndexedVideo(stored, { width: 96, height: 64, frames: 8, fps: '30', audio: true });
  });
  afterAll(() => tmp.cleanup());

  for (const degrees of [90, 270]) {
    it(`display matrix ${degrees}°: overlay, masks and free space are ${64}x${96}, the overlay shows the upright picture`, async () => {
      const input = path.join(tmp.dir, `rot${degrees}.mp4`);
      const tag = spawnSync(bins.ffmpeg.path, [
        '-v',
        'error',
        '-y',
        '-i',
        stored,
        '-map',
        '0',
        '-c',
        'copy',
        '-metadata:s:v:0',
        `rotate=${degrees}`,
        input,
      ]);
      expect(tag.status).toBe(0);
      const out = path.join(tmp.dir, `rot${degrees}-overlay.mp4`);
      const masks = path.join(tmp.dir, `rot${degrees}-masks`);
      const free = path.join(tmp.dir, `rot${degrees}-free`);
      const summary = await segmentVideo({
        input,
        output: out,
        masks,
        freeSpace: free,
        model: tinyModelDir,
        alpha: 0,
        workers: 1,
        threads: 1,
      });
      expect(summary.source).toMatchObject({ width: 64, height: 96 });
      expect(summary.frames).toBe(8);
      const facts = probe(out);
      expect([facts.video.width, facts.video.height]).toEqual([64, 96]);
      for (const dir of [masks, free]) {
        const names = readdirSync(dir);
        expect(names).toHaveLength(8);
        const png = readGrayPng(path.join(dir, names[0]));
        expect([png.width, png.height]).toEqual([64, 96]);
      }
      // With --alpha 0 the overlay is the picture itself: compare with a player's (auto-rotated) view.
      const shown = decodeAll(input, 64, 96);
      const written = decodeAll(out, 64, 96);
      expect(written).toHaveLength(shown.length);
      for (let f = 0; f < shown.length; f++) {
        let diff = 0;
        for (let i = 0; i < shown[f].length; i++) diff += Math.abs(shown[f][i] - written[f][i]);
        expect(diff / shown[f].length).toBeLessThan(6);
      }
    }, 60_000);
  }
});
