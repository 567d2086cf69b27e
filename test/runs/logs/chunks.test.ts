/**
 * A log in chunks of log time: `planLogChunks` cuts windows that meet, each window's run reads
 * only its messages (`segmentLog({ window })`), and `mergeLogParts` makes of the part logs the log
 * a whole run writes: the same messages (topics, log times, stamps, class-id bytes), the class
 * table once, the other topics (`logCopyAll`) once. Read back with independent readers
 * (`@mcap/core`'s indexed reader; ROS's Python `rosbag` for bags). Logs by the formats' own writers.
 */
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { planLogChunks } from '../../../src/runs/logs/chunks.js';
import { mergeLogParts } from '../../../src/runs/logs/merge.js';
import { segmentLog } from '../../../src/runs/logs/segment-log.js';
import type { SegmentLogOptions } from '../../../src/runs/logs/options.js';
import { cleanupLogFixtures, expectedCameras, haveLogTools, logFixtures, readAll } from '../../helpers/logs.js';
import { tempDir, tinyModelDir } from '../../helpers/media.js';
import { bagRows, mcapRows } from './read-back.js';

const run = { model: tinyModelDir, workers: 2, threads: 1 } as const;

afterAll(cleanupLogFixtures);

describe.skipIf(!haveLogTools())('log chunks', () => {
  const tmp = tempDir();
  afterAll(() => tmp.cleanup());
  const fx = logFixtures();

  /** Runs `input` whole and in chunks of `chunkSeconds`, merges the parts; returns both outputs. */
  async function wholeAndChunked(input: string, ext: '.mcap' | '.bag', extra: Partial<SegmentLogOptions> = {}) {
    const name = path.basename(input).replace(/\W/g, '_');
    const whole = path.join(tmp.dir, `${name}-whole${ext}`);
    const w = await segmentLog({ input, logOut: whole, ...run, ...extra });
    const plan = await planLogChunks(input, { chunkSeconds: 0.1 });
    const parts = plan.chunks.map((c) => path.join(tmp.dir, `${name}-part-${c.index}${ext}`));
    let frames = 0;
    for (const c of plan.chunks)
      frames += (await segmentLog({ input, logOut: parts[c.index], window: c.window, ...run, ...extra })).frames;
    const merged = path.join(tmp.dir, `${name}-merged${ext}`);
    await mergeLogParts({ parts, output: merged });
    return { whole, merged, plan, wholeFrames: w.frames, frames };
  }

  it('plans windows that meet, open at both ends, from the index', async () => {
    const plan = await planLogChunks(fx.log('ros2-zstd.mcap'), { chunkSeconds: 0.1 });
    const cameras = expectedCameras(fx.manifest('ros2-zstd.mcap'));
    expect(plan.frames).toBe(cameras.length);
    expect(plan.chunks.length).toBe(4);
    expect(plan.chunks[0].window.from).toBeUndefined();
    expect(plan.chunks.at(-1)!.window.to).toBeUndefined();
    for (let i = 1; i < plan.chunks.length; i++) expect(plan.chunks[i].window.from).toBe(plan.chunks[i - 1].window.to);
    // A boundary falls exactly on a message's log time (frames 100 ms apart): it is read by one window only.
    expect(cameras.some((m) => m.logTimeNs === plan.chunks[1].window.from)).toBe(true);
    const reads = await Promise.all(
      plan.chunks.map(async (c) => {
        const ns = (t?: string) => (t === undefined ? undefined : BigInt(t));
        const w = { from: ns(c.window.from), to: ns(c.window.to) };
        return (await readAll(fx.log('ros2-zstd.mcap'), { window: w })).messages;
      }),
    );
    expect(reads.flat().map((m) => `${m.topic} ${m.logTimeNs}`)).toEqual(
      cameras.map((m) => `${m.topic} ${m.logTimeNs}`),
    );
    expect((await planLogChunks(fx.log('ros2-zstd.mcap'), { chunkSeconds: 10 })).chunks).toHaveLength(1);
    // A chunk length that would make millions of jobs is refused, naming the option.
    await expect(planLogChunks(fx.log('ros2-zstd.mcap'), { chunkSeconds: 1e-8 })).rejects.toMatchObject({
      code: 'SEGSTREAM_ERR_INVALID_OPTION',
      context: { option: 'chunkSeconds' },
    });
  });

  it('an MCAP in chunks, merged, holds what the whole run writes (other topics copied once)', async () => {
    const { whole, merged, plan, wholeFrames, frames } = await wholeAndChunked(fx.log('ros2-lz4.mcap'), '.mcap', {
      logCopyAll: true,
    });
    expect(plan.chunks.length).toBeGreaterThan(2);
    expect(frames).toBe(wholeFrames);
    const a = await mcapRows(whole);
    const b = await mcapRows(merged);
    expect(b.rows).toEqual(a.rows);
    expect(b.rows.filter((r) => r.startsWith('/seg_stream/classes '))).toHaveLength(1);
    expect(b.rows.filter((r) => r.startsWith('/status '))).toHaveLength(4);
    expect(b.metadata).toHaveLength(1);
    expect(b.metadata[0].metadata).toEqual(a.metadata[0].metadata);
  });

  it('a bag in chunks, merged into a bag, holds what the whole run writes, read by ROS', async () => {
    const { whole, merged, wholeFrames, frames } = await wholeAndChunked(fx.log('drive-lz4.bag'), '.bag', {
      logCopyAll: true,
    });
    expect(frames).toBe(wholeFrames);
    const a = bagRows(whole);
    const b = bagRows(merged);
    expect(b.rows).toEqual(a.rows);
    expect(b.counts).toEqual(a.counts);
    expect(b.counts['/gps/fix']).toBe(10);
    expect(b.counts['/seg_stream/classes']).toBe(1);
    const latched = (c: { topic: string; latching: boolean }[]) => c.filter((x) => x.latching).map((x) => x.topic);
    expect(latched(b.connections)).toEqual(latched(a.connections));
  });

  it('runs whole what cannot be cut: a log without index, compressed-video cameras (which `window` refuses)', async () => {
    const torn = await planLogChunks(fx.log('torn.bag'), { chunkSeconds: 0.01 });
    expect(torn.chunks).toEqual([expect.objectContaining({ index: 0, window: {} })]);
    expect(torn.whole).toMatch(/no index/);
    const video = await planLogChunks(fx.log('foxglove-proto.mcap'), { chunkSeconds: 0.01 });
    expect(video.chunks).toHaveLength(1);
    expect(video.whole).toMatch(/\/cam_front\/video/);
    const logOut = path.join(tmp.dir, 'video-window.mcap');
    await expect(
      segmentLog({ input: fx.log('foxglove-proto.mcap'), logOut, ...run, window: { from: 1n } }),
    ).rejects.toMatchObject({ code: 'SEGSTREAM_ERR_INVALID_OPTION', context: { option: 'window' } });
  });

  it('a window without messages (a gap in the recording) writes an empty part that merges to nothing', async () => {
    const input = fx.log('ros1.mcap');
    const part = path.join(tmp.dir, 'gap-a.mcap');
    const empty = path.join(tmp.dir, 'gap-b.mcap');
    const a = await segmentLog({ input, logOut: part, ...run, window: { to: 1_700_000_000_100_000_000n } });
    const b = await segmentLog({ input, logOut: empty, ...run, window: { from: 1_800_000_000_000_000_000n } });
    expect([a.frames, b.frames]).toEqual([3, 0]);
    const merged = path.join(tmp.dir, 'gap-merged.mcap');
    await mergeLogParts({ parts: [empty, part, empty], output: merged });
    expect((await mcapRows(merged)).rows).toEqual((await mcapRows(part)).rows);
  });

  it('refuses parts of another format than the output, and a bad window', async () => {
    await expect(
      mergeLogParts({ parts: [path.join(tmp.dir, 'x.mcap')], output: path.join(tmp.dir, 'y.bag') }),
    ).rejects.toMatchObject({ code: 'SEGSTREAM_ERR_INVALID_OPTION', context: { option: 'parts' } });
    const input = fx.log('ros1.mcap');
    const logOut = path.join(tmp.dir, 'bad.mcap');
    await expect(segmentLog({ input, logOut, ...run, window: { from: '20', to: '10' } })).rejects.toMatchObject({
      code: 'SEGSTREAM_ERR_INVALID_OPTION',
      context: { option: 'window.to' },
    });
    await expect(segmentLog({ input, logOut, ...run, window: { from: '-5' } })).rejects.toMatchObject({
      context: { option: 'window.from' },
    });
  });
});
