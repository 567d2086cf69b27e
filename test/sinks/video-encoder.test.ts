import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { frameByteLength } from '../../src/pixels/yuv.js';
import { VideoEncoder } from '../../src/sinks/video-encoder.js';
import { bins, decodeAll, probe, tempDir } from '../helpers/media.js';

/** Nice value of every thread of `pid` (field 19 of /proc/<pid>/task/<tid>/stat). */
function threadNice(pid: number): number[] {
  return readdirSync(`/proc/${pid}/task`).map((tid) => {
    const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
  });
}

describe('VideoEncoder priority', () => {
  const tmp = tempDir();
  afterAll(() => tmp.cleanup());

  for (const [label, nice, expected] of [
    ['default', undefined, 10],
    ['nice: 0', 0, 0],
  ] as const) {
    it(`runs the encoder and all its threads at nice ${expected} (${label}) and still writes the video`, async () => {
      const output = path.join(tmp.dir, `nice-${expected}.mp4`);
      const [width, height] = [64, 48];
      const encoder = new VideoEncoder({
        ffmpeg: bins.ffmpeg.path,
        output,
        width,
        height,
        fps: { num: 25, den: 1 },
        nice,
      });
      const frame = new Uint8Array(frameByteLength('yuv420p', width, height)).fill(128);
      for (let i = 0; i < 30; i++) await encoder.write(frame.slice());
      // x264 starts its threads once the first frames are in.
      let niceValues = threadNice(encoder.child.process.pid!);
      for (let i = 0; i < 100 && niceValues.length === 1 && availableParallelism() > 1; i++) {
        await new Promise((r) => setTimeout(r, 50));
        niceValues = threadNice(encoder.child.process.pid!);
      }
      // With more than one core x264 runs threads of its own: they must carry the priority too.
      if (availableParallelism() > 1) expect(niceValues.length).toBeGreaterThan(1);
      expect(new Set(niceValues)).toEqual(new Set([expected]));
      await encoder.finish();
      expect(existsSync(output)).toBe(true);
      expect(probe(output).video.frames).toBe(30);
    });
  }
});

describe('VideoEncoder.write', () => {
  const tmp = tempDir();
  afterAll(() => tmp.cleanup());

  it('resolves once ffmpeg has taken the bytes, so the caller may refill the same buffer for the next frame', async () => {
    const output = path.join(tmp.dir, 'reuse.mp4');
    const [width, height, frames] = [64, 48, 80];
    const encoder = new VideoEncoder({
      ffmpeg: bins.ffmpeg.path,
      output,
      width,
      height,
      fps: { num: 25, den: 1 },
      crf: 0,
      preset: 'ultrafast',
    });
    // One buffer for every frame, as a pool of frame buffers does: frame i is grey level 40 + 2i.
    const frame = new Uint8Array(frameByteLength('yuv420p', width, height));
    // ffmpeg paused for a moment: the pipe fills up and later writes wait in Node, which still
    // reports room for more (a frame is smaller than the stream's high-water mark).
    const pid = encoder.child.process.pid!;
    process.kill(pid, 'SIGSTOP');
    const resume = setTimeout(() => process.kill(pid, 'SIGCONT'), 500);
    try {
      for (let i = 0; i < frames; i++) {
        frame.fill(128).fill(40 + 2 * i, 0, width * height);
        await encoder.write(frame);
      }
    } finally {
      clearTimeout(resume);
      process.kill(pid, 'SIGCONT');
    }
    await encoder.finish();
    const levels = decodeAll(output, width, height).map((rgb) => rgb[0]);
    expect(levels.length).toBe(frames);
    // Limited-range luma Y shows as (Y - 16) * 255 / 219 in RGB.
    levels.forEach((level, i) => expect(Math.abs(level - ((40 + 2 * i - 16) * 255) / 219)).toBeLessThanOrEqual(3));
  });
});
