/**
 * A camera that switches modes: the RTSP server is restarted serving another frame size. Nothing
 * recorded is lost, and by default the run goes on at the new size in a new file.
 */
import { existsSync, mkdirSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SegStreamError } from '../../../src/errors.js';
import { segmentVideo } from '../../../src/runs/video/segment-video.js';
import { readPng } from '../folders/fixtures.js';
import { probe, tempDir, tinyModelDir } from '../../helpers/media.js';
import { gstreamerAvailable, makeLiveClip, startRtspServer } from '../../helpers/rtsp.js';

const haveGst = gstreamerAvailable();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Waits until `dir` holds `n` files. */
async function filesIn(dir: string, n: number): Promise<void> {
  for (let i = 0; i < 600; i++) {
    if ((existsSync(dir) ? readdirSync(dir).length : 0) >= n) return;
    await sleep(50);
  }
  throw new Error(`fewer than ${n} files in ${dir} after 30 s`);
}

/**
 * Stops the run once 20 more frames (at the new size, the server having been restarted) are
 * recorded: the run ends by what it has done, not by a clock a loaded machine may outrun.
 */
async function afterRestart(masks: string, stop: AbortController): Promise<void> {
  await filesIn(masks, readdirSync(masks).length + 20);
  stop.abort();
}

describe.runIf(haveGst)('live stream that changes frame size (RTSP server restarted at another size)', () => {
  const tmp = tempDir('segstream-resize-');
  const small = path.join(tmp.dir, 'small.mp4');
  const large = path.join(tmp.dir, 'large.mp4');

  beforeAll(() => {
    makeLiveClip(small, { seconds: 10, size: '320x240' });
    makeLiveClip(large, { seconds: 10, size: '352x288' });
  });
  afterAll(() => tmp.cleanup());

  it('keeps the file so far and goes on in a new file at the new size; masks follow each frame', async () => {
    const server = await startRtspServer({ file: small });
    try {
      const dir = path.join(tmp.dir, 'follow');
      mkdirSync(dir);
      const output = path.join(dir, 'live.mp4');
      const masks = path.join(dir, 'masks');
      const stats = path.join(dir, 'stats.jsonl');
      const stop = new AbortController();
      const run = segmentVideo({
        input: server.url,
        output,
        masks,
        stats,
        model: tinyModelDir,
        signal: stop.signal,
        reconnectDelayMs: 200,
        timeoutMs: 2000,
      });
      await sleep(500);
      await filesIn(masks, 20);
      await server.restart(large);
      await afterRestart(masks, stop);
      const s = await run;
      expect(s.stopped).toBe('signal');
      expect(s.outputs.videos).toEqual([output, path.join(dir, 'live-part2.mp4')]);
      const first = probe(output).video;
      const second = probe(path.join(dir, 'live-part2.mp4')).video;
      expect([first.width, first.height, second.width, second.height]).toEqual([320, 240, 352, 288]);
      expect(first.frames).toBeGreaterThan(10);
      expect(second.frames).toBeGreaterThan(10);
      expect(first.frames + second.frames).toBe(s.frames);
      const pngs = readdirSync(masks).sort();
      expect(pngs).toHaveLength(s.frames);
      const sizeOf = (f: string) => {
        const p = readPng(path.join(masks, f));
        return `${p.width}x${p.height}`;
      };
      expect([sizeOf(pngs[0]), sizeOf(pngs.at(-1)!)]).toEqual(['320x240', '352x288']);
      expect(readFileSync(stats, 'utf8').trim().split('\n')).toHaveLength(s.frames);
      expect(readdirSync(dir).filter((f) => f.startsWith('.'))).toEqual([]);
    } finally {
      await server.stop();
    }
  });

  it('with --segment-time the segment numbers continue across the size change', async () => {
    const server = await startRtspServer({ file: small });
    try {
      const dir = path.join(tmp.dir, 'segments');
      mkdirSync(dir);
      const masks = path.join(tmp.dir, 'segment-masks');
      const stop = new AbortController();
      const run = segmentVideo({
        input: server.url,
        output: path.join(dir, 'live.mp4'),
        masks,
        model: tinyModelDir,
        signal: stop.signal,
        segmentTime: 2,
        reconnectDelayMs: 200,
        timeoutMs: 2000,
      });
      await sleep(500);
      await filesIn(masks, 20);
      await server.restart(large);
      await afterRestart(masks, stop);
      const s = await run;
      const names = s.outputs.segments!.map((f) => path.basename(f));
      expect(names).toEqual(names.map((_, i) => `live-${String(i).padStart(5, '0')}.mp4`));
      expect(readdirSync(dir).sort()).toEqual(names);
      const facts = s.outputs.segments!.map((f) => probe(f).video);
      expect(facts.reduce((n, v) => n + v.frames, 0)).toBe(s.frames);
      expect([facts[0].width, facts.at(-1)!.width]).toEqual([320, 352]);
    } finally {
      await server.stop();
    }
  });

  it("onSizeChange 'stop': ends with STREAM_CHANGED and keeps the finished recording", async () => {
    const server = await startRtspServer({ file: small });
    try {
      const dir = path.join(tmp.dir, 'stop');
      mkdirSync(dir);
      const output = path.join(dir, 'live.mp4');
      const masks = path.join(dir, 'masks');
      const run = segmentVideo({
        input: server.url,
        output,
        masks,
        model: tinyModelDir,
        reconnectDelayMs: 200,
        timeoutMs: 2000,
        onSizeChange: 'stop',
      }).then(
        () => undefined,
        (e: unknown) => e,
      );
      await sleep(500);
      await filesIn(masks, 20);
      await server.restart(large);
      const err = await run;
      expect(err).toBeInstanceOf(SegStreamError);
      expect((err as SegStreamError).code).toBe('SEGSTREAM_ERR_STREAM_CHANGED');
      expect((err as SegStreamError).message).toContain('352x288');
      const video = probe(output).video;
      expect([video.width, video.height]).toEqual([320, 240]);
      expect(video.frames).toBeGreaterThan(10);
      expect(readdirSync(masks)).toHaveLength(video.frames);
      expect(readdirSync(dir).filter((f) => f.startsWith('.'))).toEqual([]);
    } finally {
      await server.stop();
    }
  });
});
