/**
 * What happens to the input's audio, as the README says: AAC is copied bit for bit; PCM and Opus
 * (which MP4 players do not take) are re-encoded to AAC.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { segmentVideo } from '../../src/runs/video/segment-video.js';
import { bins, probe, tempDir, tinyModelDir } from '../helpers/media.js';

describe('audio of the overlay video', () => {
  const tmp = tempDir();
  afterAll(() => tmp.cleanup());

  const cases: [string, string, string, string][] = [
    ['AAC', 'aac', 'in-aac.mp4', 'aac'],
    ['PCM', 'pcm_s16le', 'in-pcm.mov', 'aac'],
    ['Opus', 'libopus', 'in-opus.mkv', 'aac'],
  ];
  for (const [what, codec, name, expected] of cases) {
    it(`${what} audio comes out as ${expected}, as long as the video`, async () => {
      const input = path.join(tmp.dir, name);
      const make = spawnSync(
        bins.ffmpeg.path,
        [
          '-v',
          'error',
          '-y',
          '-f',
          'lavfi',
          '-i',
          'testsrc=size=64x48:rate=25',
          '-f',
          'lavfi',
          '-i',
          'sine=frequency=440:sample_rate=48000',
          '-t',
          '1',
          '-c:v',
          'libx264',
          '-pix_fmt',
          'yuv420p',
          '-c:a',
          codec,
          input,
        ],
        { encoding: 'utf8' },
      );
      expect(make.status, make.stderr).toBe(0);
      const out = path.join(tmp.dir, `${name}.out.mp4`);
      await segmentVideo({ input, output: out, model: tinyModelDir, workers: 1, threads: 1 });
      const facts = probe(out);
      expect(facts.audio.map((a) => a.codec)).toEqual([expected]);
      expect(Math.abs(facts.audio[0].duration - facts.video.duration)).toBeLessThan(0.1);
    }, 60_000);
  }
});
