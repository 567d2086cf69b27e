/**
 * Source timing kept through to the overlay: variable-frame-rate input (phones, dashcams), damage
 * in the middle of a file, a truncated Matroska file.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../helpers/cli.js';
import { bins, decodeAll, makeIndexedVideo, probe, readIndex, tempDir, tinyModelDir } from '../../helpers/media.js';

function frameTimes(file: string): number[] {
  const r = spawnSync(
    bins.ffprobe.path,
    ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'frame=pts_time', '-of', 'csv=p=0', file],
    { encoding: 'utf8' },
  );
  return r.stdout
    .split('\n')
    .map((l) => parseFloat(l))
    .filter(Number.isFinite);
}

const common = ['-m', tinyModelDir, '-q', '--json', '--workers', '1', '--threads', '1'];

describe('source timing', () => {
  const tmp = tempDir();
  afterAll(() => tmp.cleanup());

  it('variable frame rate: every frame keeps its source time, duration and audio match', async () => {
    const input = path.join(tmp.dir, 'vfr.mp4');
    // 30 frames at 30 fps, then 45 at 15 fps: the average (19.2 fps) fits neither part.
    const make = spawnSync(bins.ffmpeg.path, [
      '-v',
      'error',
      '-y',
      '-f',
      'lavfi',
      '-i',
      'testsrc=size=160x120:rate=30',
      '-f',
      'lavfi',
      '-i',
      'sine=frequency=440:sample_rate=48000',
      '-t',
      '4',
      '-vf',
      "setpts='if(lt(N,30),N/30,1+(N-30)/15)/TB'",
      '-vsync',
      'vfr',
      '-c:v',
      'libx264',
      '-pix_fmt',
      'yuv420p',
      '-c:a',
      'aac',
      '-shortest',
      input,
    ]);
    expect(make.status).toBe(0);
    const out = path.join(tmp.dir, 'vfr-out.mp4');
    const r = await runCli([input, '-o', out, ...common]);
    expect(r.code).toBe(0);
    const source = frameTimes(input);
    const written = frameTimes(out);
    expect(written).toHaveLength(source.length);
    for (let i = 0; i < source.length; i++) expect(Math.abs(written[i] - source[i])).toBeLessThan(0.002);
    const a = probe(input);
    const b = probe(out);
    expect(Math.abs(b.video.duration - a.video.duration)).toBeLessThan(0.002);
    expect(b.audio[0].duration).toBeCloseTo(a.audio[0].duration, 2);
  }, 60_000);

  describe('damage in the middle of a file', () => {
    const input = path.join(tmp.dir, 'damaged.mp4');
    const frames = 150;
    beforeAll(async () => {
      const clean = path.join(tmp.dir, 'clean.mp4');
      await makeIndexedVideo(clean, { width: 160, height: 120, frames, fps: '25', audio: true });
      // Key frames every 25 so decoding resumes after the damage; garbage over a sixth of the file.
      const reencoded = path.join(tmp.dir, 'gop.mp4');
      expect(
        spawnSync(bins.ffmpeg.path, [
          '-v',
          'error',
          '-y',
          '-i',
          clean,
          '-c:v',
          'libx264',
          '-g',
          '25',
          '-qp',
          '10',
          '-pix_fmt',
          'yuv420p',
          '-c:a',
          'copy',
          reencoded,
        ]).status,
      ).toBe(0);
      const bytes = readFileSync(reencoded);
      let seed = 7;
      for (let i = Math.floor(bytes.length * 0.4); i < Math.floor(bytes.length * 0.4 + bytes.length / 6); i++) {
        seed = (seed * 1103515245 + 12345) >>> 0;
        bytes[i] = seed >>> 24;
      }
      writeFileSync(input, bytes);
    });

    it('one warning line, decodeErrors/missingFrames in --json, exit 0, and every frame after the gap at its source time', async () => {
      const out = path.join(tmp.dir, 'damaged-out.mp4');
      const r = await runCli([input, '-o', out, '--alpha', '0', ...common]);
      expect(r.code).toBe(0);
      const lines = r.stderr.trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(
        /^seg-stream: warning: the input is damaged or truncated \(\d+ decode errors?; \d+ of 150 frames could not be decoded\)/,
      );
      const summary = JSON.parse(r.stdout) as { frames: number; decodeErrors: number; missingFrames: number };
      expect(summary.decodeErrors).toBeGreaterThan(0);
      expect(summary.missingFrames).toBeGreaterThan(0);
      expect(summary.frames + summary.missingFrames).toBe(frames);
      // The gap is held, not closed: output frame k shows source frame k, or an earlier one held.
      const facts = probe(out);
      expect(facts.video.frames).toBe(frames);
      const shown = decodeAll(out, 160, 120).map((f) => readIndex(f, 160, 120));
      let exact = 0;
      shown.forEach((idx, k) => {
        expect(idx).toBeLessThanOrEqual(k);
        if (idx === k) exact++;
      });
      // A few frames decode from damaged data and show garbage instead of their index.
      expect(exact).toBeGreaterThanOrEqual(summary.frames - 5);
      expect(shown[frames - 1]).toBe(frames - 1);
    }, 60_000);
  });

  it('a truncated Matroska file is reported the same way', async () => {
    const clean = path.join(tmp.dir, 'src.mkv');
    await makeIndexedVideo(path.join(tmp.dir, 'src-for-mkv.mp4'), { width: 160, height: 120, frames: 100, fps: '25' });
    expect(
      spawnSync(bins.ffmpeg.path, [
        '-v',
        'error',
        '-y',
        '-i',
        path.join(tmp.dir, 'src-for-mkv.mp4'),
        '-c',
        'copy',
        clean,
      ]).status,
    ).toBe(0);
    truncateSync(clean, Math.floor(statSync(clean).size * 0.6));
    const r = await runCli([clean, '--masks', path.join(tmp.dir, 'mkv-masks'), ...common]);
    expect(r.code).toBe(0);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(
      /^seg-stream: warning: the input is damaged or truncated \(\d+ decode errors?; \d+ of 100 frames could not be decoded\)/,
    );
    const summary = JSON.parse(r.stdout) as { frames: number; missingFrames: number };
    expect(summary.frames + summary.missingFrames).toBe(100);
  }, 60_000);
});
