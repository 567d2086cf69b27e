/**
 * Chunked runs of a long video, the parts on their own: where planChunks cuts, that a chunk's
 * decoder gives exactly the whole file's frames, what a chunk run refuses, and how stitching and
 * merging fail. Inputs are made here with ffmpeg (B-frames, key frames every 20 frames, audio).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decoderArgs } from '../../../src/ingest/video-decoder.js';
import { probeVideo } from '../../../src/ingest/probe.js';
import { planChunks } from '../../../src/runs/video/chunks.js';
import { mergeChunkSummaries, mergeStatsFiles } from '../../../src/runs/video/chunk-merge.js';
import { resolveVideoOptions } from '../../../src/runs/video/options.js';
import { rangeSeekSeconds } from '../../../src/runs/video/range.js';
import { segmentVideo, type RunSummary } from '../../../src/runs/video/segment-video.js';
import { stitchVideo } from '../../../src/runs/video/stitch.js';
import { bins, probe, tempDir, tinyModelDir } from '../../helpers/media.js';

function ffmpeg(args: string[]): Buffer {
  const r = spawnSync(bins.ffmpeg.path, ['-v', 'error', '-y', ...args], { maxBuffer: 2 ** 30 });
  if (r.status !== 0) throw new Error(`ffmpeg ${args.join(' ')}: ${r.stderr.toString()}`);
  return r.stdout;
}

/** Key frame times (seconds) of the first video stream, as ffprobe reads them. */
function keyTimes(file: string): number[] {
  const r = spawnSync(
    bins.ffprobe.path,
    [
      '-v',
      'error',
      '-select_streams',
      'v:0',
      '-skip_frame',
      'nokey',
      '-show_entries',
      'frame=pts_time',
      '-of',
      'csv=p=0',
      file,
    ],
    { encoding: 'utf8' },
  );
  return r.stdout
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => Number.parseFloat(l));
}

/** 90 frames at 30000/1001 fps, 96x64, key frames every 20 frames, B-frames, AAC audio. */
function makeInput(file: string, extra: string[] = [], frames = 90): void {
  ffmpeg([
    '-f',
    'lavfi',
    '-i',
    'testsrc2=size=96x64:rate=30000/1001',
    '-f',
    'lavfi',
    '-i',
    'sine=frequency=440:sample_rate=48000',
    '-frames:v',
    String(frames),
    '-c:v',
    'libx264',
    '-preset',
    'veryfast',
    '-g',
    '20',
    '-keyint_min',
    '20',
    '-sc_threshold',
    '0',
    '-pix_fmt',
    'yuv420p',
    '-c:a',
    'aac',
    '-shortest',
    ...extra,
    file,
  ]);
}

describe('planChunks', () => {
  const tmp = tempDir();
  const input = path.join(tmp.dir, 'in.mp4');
  beforeAll(() => makeInput(input));
  afterAll(() => tmp.cleanup());

  it('cuts at the first key frame at or after each multiple of chunkSeconds; the chunks cover every frame once', async () => {
    const plan = await planChunks(input, { chunkSeconds: 1 });
    // Key frames at 0, 0.667, 1.335, 2.002, 2.669 s: cuts at 1.335 (frame 40) and 2.002 (frame 60).
    expect(plan).toMatchObject({ frames: 90, fps: { num: 30000, den: 1001 } });
    expect(plan.whole).toBeUndefined();
    expect(plan.chunks.map((c) => [c.index, c.startFrame, c.frames])).toEqual([
      [0, 0, 40],
      [1, 40, 20],
      [2, 60, 30],
    ]);
    const keys = keyTimes(input);
    for (const c of plan.chunks) {
      expect(keys.some((k) => Math.abs(k - c.startSeconds) < 1e-6)).toBe(true);
      expect(c.startSeconds).toBeCloseTo((c.startFrame * 1001) / 30000, 9);
    }
  });

  it("a chunk's decoder seeks to its key frame and gives exactly the whole file's frames from there", async () => {
    const plan = await planChunks(input, { chunkSeconds: 0.5 });
    expect(plan.chunks.length).toBe(5);
    const info = await probeVideo(input, { ffprobe: bins.ffprobe.path });
    const size = (96 * 64 * 3) / 2;
    const whole = ffmpeg(decoderArgs(input).slice(0));
    expect(whole.length).toBe(90 * size);
    for (const c of plan.chunks) {
      const part = ffmpeg(decoderArgs(input, c.frames, 'yuv420p', undefined, rangeSeekSeconds(c, info)));
      expect(part.length).toBe(c.frames * size);
      expect(part.equals(whole.subarray(c.startFrame * size, (c.startFrame + c.frames) * size))).toBe(true);
    }
  });

  it('one chunk for a video shorter than chunkSeconds, fewer chunks when key frames are scarce', async () => {
    const short = await planChunks(input, { chunkSeconds: 10 });
    expect(short.chunks).toEqual([{ index: 0, startFrame: 0, frames: 90, startSeconds: 0 }]);
    expect(short.whole).toBeUndefined();
    const sparse = path.join(tmp.dir, 'one-key.mp4');
    makeInput(sparse, ['-g', '1000', '-keyint_min', '1000']);
    expect((await planChunks(sparse, { chunkSeconds: 0.5 })).chunks).toHaveLength(1);
    // Key frames every 20 frames (0.667 s) and chunks asked every 0.1 s: one chunk per key frame.
    expect((await planChunks(input, { chunkSeconds: 0.1 })).chunks.map((c) => c.startFrame)).toEqual([
      0, 20, 40, 60, 80,
    ]);
  });

  it('a variable-frame-rate video is not chunked: one chunk, and the reason', async () => {
    const vfr = path.join(tmp.dir, 'vfr.mp4');
    ffmpeg([
      '-f',
      'lavfi',
      '-i',
      'testsrc2=size=96x64:rate=30',
      '-frames:v',
      '90',
      '-vf',
      "setpts='if(lt(N,30),N/30,1+(N-30)/15)/TB'",
      '-vsync',
      'vfr',
      '-c:v',
      'libx264',
      '-g',
      '10',
      '-pix_fmt',
      'yuv420p',
      vfr,
    ]);
    const plan = await planChunks(vfr, { chunkSeconds: 1 });
    expect(plan.chunks).toEqual([{ index: 0, startFrame: 0, frames: 90, startSeconds: 0 }]);
    expect(plan.whole).toMatch(/variable frame rate/);
  });

  it('refuses a bad chunkSeconds and a missing input with coded errors', async () => {
    for (const bad of [0, -1, Number.NaN, Infinity, '5']) {
      await expect(planChunks(input, { chunkSeconds: bad as number })).rejects.toMatchObject({
        code: 'SEGSTREAM_ERR_INVALID_OPTION',
        message: expect.stringContaining('for chunkSeconds'),
      });
    }
    await expect(planChunks(path.join(tmp.dir, 'nope.mp4'), { chunkSeconds: 1 })).rejects.toMatchObject({
      code: 'SEGSTREAM_ERR_INPUT_NOT_FOUND',
    });
  });
});

describe('segmentVideo({ range })', () => {
  const tmp = tempDir();
  const input = path.join(tmp.dir, 'in.mp4');
  beforeAll(() => makeInput(input));
  afterAll(() => tmp.cleanup());
  const range = { startFrame: 40, frames: 20, startSeconds: (40 * 1001) / 30000 };

  it('refuses live streams, options a chunk cannot honour and malformed ranges', () => {
    const opts = (extra: object) => () => resolveVideoOptions({ input, masks: 'm/', range, ...extra });
    expect(() => resolveVideoOptions({ input: 'rtsp://cam/s', masks: 'm/', range }, true)).toThrow(
      expect.objectContaining({
        code: 'SEGSTREAM_ERR_INVALID_OPTION',
        message: expect.stringContaining('live stream'),
      }),
    );
    for (const extra of [{ frames: 5 }, { duration: 1 }, { segmentTime: 2 }, { smooth: 0.5 }]) {
      expect(opts(extra)).toThrow(
        expect.objectContaining({
          code: 'SEGSTREAM_ERR_INVALID_OPTION',
          message: expect.stringContaining(Object.keys(extra)[0]),
        }),
      );
    }
    for (const [field, bad] of [
      ['range.startFrame', { ...range, startFrame: -1 }],
      ['range.frames', { ...range, frames: 0 }],
      ['range.startSeconds', { ...range, startSeconds: Number.NaN }],
      ['range', 'frames 40-60'],
    ] as const) {
      expect(opts({ range: bad })).toThrow(
        expect.objectContaining({
          code: 'SEGSTREAM_ERR_INVALID_OPTION',
          message: expect.stringContaining(`for ${field} `),
        }),
      );
    }
  });

  it('refuses a range past the end of the file and a variable-frame-rate file, before writing anything', async () => {
    const masks = path.join(tmp.dir, 'refused');
    await expect(
      segmentVideo({ input, masks, model: tinyModelDir, range: { startFrame: 80, frames: 20, startSeconds: 2.669 } }),
    ).rejects.toMatchObject({ code: 'SEGSTREAM_ERR_INVALID_OPTION' });
    const vfr = path.join(tmp.dir, 'vfr.mp4');
    ffmpeg([
      '-f',
      'lavfi',
      '-i',
      'testsrc2=size=96x64:rate=30',
      '-frames:v',
      '60',
      '-vf',
      "setpts='if(lt(N,30),N/30,1+(N-30)/15)/TB'",
      '-vsync',
      'vfr',
      '-c:v',
      'libx264',
      '-pix_fmt',
      'yuv420p',
      vfr,
    ]);
    await expect(
      segmentVideo({ input: vfr, masks, model: tinyModelDir, range: { startFrame: 0, frames: 10, startSeconds: 0 } }),
    ).rejects.toMatchObject({
      code: 'SEGSTREAM_ERR_INVALID_OPTION',
      message: expect.stringContaining('constant-frame-rate'),
    });
    expect(existsSync(masks)).toBe(false);
  });

  it('rotated (phone) video: chunks decode upright and the stitched overlay and masks equal a whole run', async () => {
    const rotated = path.join(tmp.dir, 'rot90.mp4');
    ffmpeg(['-i', input, '-map', '0', '-c', 'copy', '-metadata:s:v:0', 'rotate=90', rotated]);
    const plan = await planChunks(rotated, { chunkSeconds: 1 });
    expect(plan.chunks).toHaveLength(3);
    const run = { model: tinyModelDir, workers: 1, threads: 1 };
    const whole = await segmentVideo({
      ...run,
      input: rotated,
      output: path.join(tmp.dir, 'whole.mp4'),
      masks: path.join(tmp.dir, 'whole-masks'),
    });
    const parts: string[] = [];
    for (const c of plan.chunks) {
      parts.push(path.join(tmp.dir, `part${c.index}.mp4`));
      await segmentVideo({
        ...run,
        input: rotated,
        output: parts[c.index],
        masks: path.join(tmp.dir, 'chunk-masks'),
        range: c,
      });
    }
    const stitched = await stitchVideo({
      parts,
      input: rotated,
      output: path.join(tmp.dir, 'stitched.mp4'),
      frames: plan.frames,
    });
    expect(stitched.frames).toBe(whole.frames);
    const a = probe(path.join(tmp.dir, 'whole.mp4'));
    const b = probe(stitched.output);
    expect(b.video).toMatchObject({
      width: 64,
      height: 96,
      rFrameRate: a.video.rFrameRate,
      frames: 90,
      duration: a.video.duration,
    });
    const names = readdirSync(path.join(tmp.dir, 'whole-masks')).sort();
    expect(readdirSync(path.join(tmp.dir, 'chunk-masks')).sort()).toEqual(names);
    for (const n of names)
      expect(
        readFileSync(path.join(tmp.dir, 'chunk-masks', n)).equals(readFileSync(path.join(tmp.dir, 'whole-masks', n))),
      ).toBe(true);
  });
});

describe('stitching and merging refuse what would not equal a whole run', () => {
  const tmp = tempDir();
  const input = path.join(tmp.dir, 'in.mp4');
  const parts = [0, 1].map((i) => path.join(tmp.dir, `part${i}.mp4`));
  const summaries: RunSummary[] = [];
  beforeAll(async () => {
    makeInput(input, [], 40);
    const ranges = [
      { startFrame: 0, frames: 20, startSeconds: 0 },
      { startFrame: 20, frames: 20, startSeconds: (20 * 1001) / 30000 },
    ];
    for (const [i, range] of ranges.entries()) {
      summaries.push(
        await segmentVideo({
          input,
          output: parts[i],
          stats: path.join(tmp.dir, `part${i}.jsonl`),
          model: tinyModelDir,
          workers: 1,
          threads: 1,
          range,
        }),
      );
    }
  });
  afterAll(() => tmp.cleanup());

  it('a missing part, the input as output, a part of another video, a frame count that does not add up', async () => {
    const output = path.join(tmp.dir, 'out.mp4');
    await expect(
      stitchVideo({ parts: [parts[0], path.join(tmp.dir, 'gone.mp4')], input, output }),
    ).rejects.toMatchObject({ code: 'SEGSTREAM_ERR_INPUT_NOT_FOUND' });
    await expect(stitchVideo({ parts, input, output: input })).rejects.toMatchObject({
      code: 'SEGSTREAM_ERR_INVALID_OPTION',
    });
    const other = path.join(tmp.dir, 'other.mp4');
    ffmpeg([
      '-f',
      'lavfi',
      '-i',
      'testsrc2=size=64x48:rate=25',
      '-frames:v',
      '10',
      '-c:v',
      'libx264',
      '-pix_fmt',
      'yuv420p',
      other,
    ]);
    await expect(stitchVideo({ parts: [parts[0], other], input, output })).rejects.toMatchObject({
      code: 'SEGSTREAM_ERR_INVALID_OPTION',
      message: expect.stringContaining('for parts'),
    });
    await expect(stitchVideo({ parts: [parts[0]], input, output, frames: 40 })).rejects.toMatchObject({
      code: 'SEGSTREAM_ERR_ENCODE_FAILED',
      message: expect.stringContaining('20 frames but 40'),
    });
    // Nothing half-written is left: no output, no temporary files.
    expect(readdirSync(tmp.dir).filter((f) => f.startsWith('.') || f === 'out.mp4')).toEqual([]);
    const done = await stitchVideo({ parts, input, output, frames: 40 });
    expect(done).toMatchObject({ frames: 40, parts: 2, audio: ['aac'] });
  });

  it('60 parts at 60000/1001 fps join with every frame exactly on its time (no drift from rounded part durations)', async () => {
    const source = path.join(tmp.dir, 'source60.mp4');
    const encode = [
      '-f',
      'lavfi',
      '-i',
      'testsrc2=size=64x48:rate=60000/1001',
      '-frames:v',
      '240',
      '-c:v',
      'libx264',
      '-preset',
      'veryfast',
      '-g',
      '4',
      '-keyint_min',
      '4',
      '-sc_threshold',
      '0',
      '-pix_fmt',
      'yuv420p',
    ];
    ffmpeg([...encode, source]);
    // Parts of 4 frames (66.733 ms, 66.733.. µs: neither whole milliseconds nor whole microseconds).
    const dir = path.join(tmp.dir, 'parts60');
    mkdirSync(dir);
    const cuts = Array.from({ length: 59 }, (_, i) => 4 * (i + 1)).join(',');
    ffmpeg([
      ...encode,
      '-f',
      'segment',
      '-segment_frames',
      cuts,
      '-reset_timestamps',
      '1',
      '-segment_format',
      'mp4',
      path.join(dir, 'p%03d.mp4'),
    ]);
    const parts60 = readdirSync(dir)
      .sort()
      .map((f) => path.join(dir, f));
    expect(parts60).toHaveLength(60);
    const done = await stitchVideo({
      parts: parts60,
      input: source,
      output: path.join(tmp.dir, 'joined60.mp4'),
      partFrames: parts60.map(() => 4),
    });
    const r = spawnSync(
      bins.ffprobe.path,
      [
        '-v',
        'error',
        '-select_streams',
        'v:0',
        '-show_entries',
        'packet=dts:stream=r_frame_rate,avg_frame_rate,duration',
        '-of',
        'csv=p=0',
        done.output,
      ],
      { encoding: 'utf8' },
    );
    const lines = r.stdout.trim().split('\n');
    const dts = lines.slice(0, 240).map(Number);
    const steps = new Set(dts.slice(1).map((t, i) => t - dts[i]));
    expect([...steps]).toEqual([1001]);
    expect(lines[240]).toBe('60000/1001,60000/1001,4.004000');
  });

  it('stats parts out of order or with a gap, and summaries that are not contiguous', async () => {
    const stats = [0, 1].map((i) => path.join(tmp.dir, `part${i}.jsonl`));
    const merged = path.join(tmp.dir, 'merged.jsonl');
    await expect(mergeStatsFiles([stats[1], stats[0]], merged)).rejects.toMatchObject({
      code: 'SEGSTREAM_ERR_INVALID_OPTION',
      message: expect.stringContaining('frame 40 next'),
    });
    const gap = path.join(tmp.dir, 'gap.jsonl');
    writeFileSync(gap, readFileSync(stats[1], 'utf8').split('\n').slice(1).join('\n'));
    await expect(mergeStatsFiles([stats[0], gap], merged)).rejects.toMatchObject({
      code: 'SEGSTREAM_ERR_INVALID_OPTION',
    });
    expect(readdirSync(tmp.dir).filter((f) => f.startsWith('.') || f === 'merged.jsonl')).toEqual([]);
    expect(await mergeStatsFiles(stats, merged)).toBe(40);
    expect(
      readFileSync(merged, 'utf8')
        .trim()
        .split('\n')
        .map((l) => (JSON.parse(l) as { index: number }).index),
    ).toEqual([...Array(40).keys()]);
    expect(() => mergeChunkSummaries([summaries[1], summaries[0]])).toThrow(
      expect.objectContaining({ code: 'SEGSTREAM_ERR_INVALID_OPTION' }),
    );
    expect(() => mergeChunkSummaries([summaries[0], { ...summaries[1], frames: 19 }])).toThrow(
      expect.objectContaining({ code: 'SEGSTREAM_ERR_INVALID_OPTION' }),
    );
    expect(mergeChunkSummaries(summaries)).toMatchObject({
      chunks: 2,
      startFrame: 0,
      frames: 40,
      decodeErrors: 0,
      missingFrames: 0,
    });
  });
});
