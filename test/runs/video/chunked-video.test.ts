/**
 * A long video run as independent chunks (planChunks → segmentVideo({ range }) per chunk →
 * stitchVideo, mergeStatsFiles) equals the one-machine run of the same file: frames, exact rate,
 * size, audio, mask names and bytes, --stats lines. Real footage (the dashcam sample, cut to 5 s
 * at 30000/1001 fps with B-frames and a key frame every 25 frames) and the default model.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { planChunks } from '../../../src/runs/video/chunks.js';
import { mergeChunkSummaries, mergeStatsFiles } from '../../../src/runs/video/chunk-merge.js';
import { segmentVideo, type RunSummary } from '../../../src/runs/video/segment-video.js';
import { stitchVideo } from '../../../src/runs/video/stitch.js';
import { bins, decodeAll, haveShared, probe, repoRoot, sharedDir, tempDir } from '../../helpers/media.js';

const model = path.join(repoRoot, 'models', 'camvid-default');

/** What a player and a muxer see of a file: ffprobe's stream facts, frames counted. */
function streams(file: string): { video: Record<string, string>; audio: Record<string, string>[] } {
  const r = spawnSync(
    bins.ffprobe.path,
    [
      '-v',
      'error',
      '-count_frames',
      '-show_entries',
      'stream=codec_type,codec_name,width,height,r_frame_rate,avg_frame_rate,nb_read_frames,duration,sample_rate',
      '-of',
      'json',
      file,
    ],
    { encoding: 'utf8' },
  );
  const s = (JSON.parse(r.stdout) as { streams: Record<string, string>[] }).streams;
  return { video: s.find((x) => x.codec_type === 'video')!, audio: s.filter((x) => x.codec_type === 'audio') };
}

function statsLines(file: string): { index: number; sourceIndex: number; pts: number }[] {
  return readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { index: number; sourceIndex: number; pts: number });
}

describe.runIf(haveShared())('a long video in chunks equals the one-machine run', () => {
  const tmp = tempDir();
  const input = path.join(tmp.dir, 'drive.mp4');
  const out = (name: string) => path.join(tmp.dir, name);
  beforeAll(() => {
    const r = spawnSync(bins.ffmpeg.path, [
      '-v',
      'error',
      '-y',
      '-i',
      path.join(sharedDir, 'samples', 'solidWhiteRight.mp4'),
      '-vf',
      'scale=480:270,setpts=N/(30000/1001)/TB',
      '-r',
      '30000/1001',
      '-frames:v',
      '150',
      '-c:v',
      'libx264',
      '-preset',
      'veryfast',
      '-g',
      '25',
      '-keyint_min',
      '25',
      '-pix_fmt',
      'yuv420p',
      '-c:a',
      'aac',
      '-t',
      '5.005',
      input,
    ]);
    if (r.status !== 0) throw new Error(`ffmpeg: ${r.stderr.toString()}`);
  });
  afterAll(() => tmp.cleanup());

  it('4 chunks cut at key frames, each run alone, stitched and merged: the same video, audio, masks and stats', async () => {
    const plan = await planChunks(input, { chunkSeconds: 1.2 });
    expect(plan.frames).toBe(150);
    expect(plan.chunks.map((c) => [c.startFrame, c.frames])).toEqual([
      [0, 50],
      [50, 25],
      [75, 50],
      [125, 25],
    ]);
    const run = { input, model };
    const whole = await segmentVideo({
      ...run,
      output: out('whole.mp4'),
      masks: out('whole-masks'),
      freeSpace: out('whole-free'),
      stats: out('whole.jsonl'),
    });
    const summaries: RunSummary[] = [];
    for (const c of plan.chunks) {
      const s = await segmentVideo({
        ...run,
        output: out(`part${c.index}.mp4`),
        masks: out('masks'),
        freeSpace: out('free'),
        stats: out(`part${c.index}.jsonl`),
        range: c,
      });
      expect(s).toMatchObject({
        frames: c.frames,
        range: { startFrame: c.startFrame, frames: c.frames, startSeconds: c.startSeconds },
        stopped: 'end',
        missingFrames: 0,
      });
      // The audio is added once, by the stitch.
      expect(streams(out(`part${c.index}.mp4`)).audio).toEqual([]);
      summaries.push(s);
    }
    const parts = plan.chunks.map((c) => out(`part${c.index}.mp4`));
    const stitched = await stitchVideo({
      parts,
      input,
      output: out('stitched.mp4'),
      frames: mergeChunkSummaries(summaries).frames,
    });
    expect(stitched).toMatchObject({ frames: 150, parts: 4, audio: ['aac'] });

    // The video: frame count, exact nominal and average rate, size, duration.
    const a = streams(out('whole.mp4'));
    const b = streams(out('stitched.mp4'));
    for (const key of ['codec_name', 'width', 'height', 'r_frame_rate', 'avg_frame_rate', 'nb_read_frames', 'duration'])
      expect([key, b.video[key]]).toEqual([key, a.video[key]]);
    expect(b.video).toMatchObject({ r_frame_rate: '30000/1001', avg_frame_rate: '30000/1001', nb_read_frames: '150' });
    // The audio: same streams, same duration within one AAC frame (1024 samples).
    expect(b.audio.map((s) => s.codec_name)).toEqual(a.audio.map((s) => s.codec_name));
    expect(Math.abs(Number(b.audio[0].duration) - Number(a.audio[0].duration))).toBeLessThanOrEqual(
      1024 / Number(a.audio[0].sample_rate),
    );
    // Each overlay frame shows the same picture (x264 codes the parts apart, so not byte for byte).
    const fa = decodeAll(out('whole.mp4'), 480, 270);
    const fb = decodeAll(out('stitched.mp4'), 480, 270);
    expect(fb).toHaveLength(fa.length);
    const meanDiff = (x: Uint8Array, y: Uint8Array) => {
      let sum = 0;
      for (let i = 0; i < x.length; i++) sum += Math.abs(x[i] - y[i]);
      return sum / x.length;
    };
    const off = fa.map((frame, f) => [f, meanDiff(frame, fb[f])] as const).filter(([, d]) => d >= 3);
    expect(off).toEqual([]);

    // Masks and free-space masks: the same names (global frame index, same digits), the same bytes.
    for (const [mine, theirs] of [
      ['masks', 'whole-masks'],
      ['free', 'whole-free'],
    ]) {
      const names = readdirSync(out(theirs)).sort();
      expect(names).toHaveLength(150);
      expect(names[0]).toBe('000000.png');
      expect(readdirSync(out(mine)).sort()).toEqual(names);
      const differing = names.filter(
        (n) => !readFileSync(out(path.join(mine, n))).equals(readFileSync(out(path.join(theirs, n)))),
      );
      expect(differing).toEqual([]);
    }

    // --stats: the merged lines number and time the frames as the whole run does.
    expect(
      await mergeStatsFiles(
        plan.chunks.map((c) => out(`part${c.index}.jsonl`)),
        out('merged.jsonl'),
      ),
    ).toBe(150);
    const pick = (l: { index: number; sourceIndex: number; pts: number }) => [l.index, l.sourceIndex, l.pts];
    expect(statsLines(out('merged.jsonl')).map(pick)).toEqual(statsLines(out('whole.jsonl')).map(pick));
    expect(mergeChunkSummaries(summaries)).toMatchObject({ chunks: 4, startFrame: 0, frames: whole.frames });
    expect(probe(out('stitched.mp4')).video.frames).toBe(150);
  });
});
