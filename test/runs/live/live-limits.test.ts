/**
 * Live `frames` and `duration` limits are exact and count the stream, not the run: `frames: N`
 * records N frames however many are in flight when it is reached, and `duration: S` counts S
 * seconds from the first frame, however long connecting took (a relay in front of the real RTSP
 * server holds the decoder's connection for longer than S).
 */
import { readFileSync, readdirSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCodes, SegStreamError } from '../../../src/errors.js';
import { createEngine } from '../../../src/infer/engine.js';
import { loadModel } from '../../../src/infer/model-card.js';
import type { Engine } from '../../../src/infer/types.js';
import { liveChildCount } from '../../../src/process/child.js';
import { segmentVideo } from '../../../src/runs/video/segment-video.js';
import { probe, tempDir, tinyModelDir } from '../../helpers/media.js';
import { gstreamerAvailable, makeLiveClip, startRtspServer, type RtspServer } from '../../helpers/rtsp.js';

const haveGst = gstreamerAvailable();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** An engine slower than the camera, so that a newer frame is always in flight when one finishes. */
function slowEngine(inner: Engine, delayMs: number): Engine {
  return {
    ...inner,
    backend: `${inner.backend} + ${delayMs} ms`,
    run: async (inputs) => (await sleep(delayMs), inner.run(inputs)),
    dispose: () => inner.dispose(),
  };
}

/**
 * A TCP relay to `port` that passes connections at once until one has carried media (the probe,
 * however many tries it took), then holds every later one (the decoder's) for `holdMs` before
 * connecting it (never when Infinity): a camera slow to start sending.
 */
async function slowRelay(port: number, holdMs: number): Promise<{ port: number; close: () => Promise<void> }> {
  const sockets = new Set<Socket>();
  const track = (s: Socket) => (sockets.add(s), s.on('error', () => {}), s.on('close', () => sockets.delete(s)));
  let mediaSeen = false;
  const server: Server = createServer((client) => {
    track(client);
    client.pause();
    const open = () => {
      if (client.destroyed) return;
      const upstream = connect(port, '127.0.0.1');
      track(upstream);
      let bytes = 0;
      // RTSP's replies are short; more than this from the server is RTP: the stream flowed.
      upstream.on('data', (d: Buffer) => (mediaSeen ||= (bytes += d.length) > 4096));
      client.pipe(upstream).on('close', () => client.destroy());
      upstream.pipe(client).on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
      client.on('close', () => upstream.destroy());
      client.resume();
    };
    if (!mediaSeen) open();
    else if (Number.isFinite(holdMs)) setTimeout(open, holdMs);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as { port: number }).port,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise((r) => server.close(r));
    },
  };
}

interface StatsLine {
  index: number;
  sourceIndex: number;
  pts: number;
}

describe.runIf(haveGst)('live limits (GStreamer RTSP server on loopback)', () => {
  const tmp = tempDir('segstream-live-limits-');
  const clip = path.join(tmp.dir, 'camera.mp4');
  let server: RtspServer;

  beforeAll(async () => {
    makeLiveClip(clip, { seconds: 10, size: '320x240', gop: 25 });
    server = await startRtspServer({ file: clip });
  });
  afterAll(async () => {
    await server?.stop();
    tmp.cleanup();
  });

  it('frames: N records exactly N frames (summary, video, masks, stats) with frames still in flight at the limit', async () => {
    const model = await loadModel(tinyModelDir);
    const inner = await createEngine(model);
    try {
      const output = path.join(tmp.dir, 'frames.mp4');
      const masks = path.join(tmp.dir, 'frames-masks');
      const stats = path.join(tmp.dir, 'frames.jsonl');
      // Two frames in flight (batch 1 + 1) and inference slower than the camera: the next frame is always waiting.
      const s = await segmentVideo({
        input: server.url,
        output,
        masks,
        stats,
        model,
        engine: slowEngine(inner, 120),
        frames: 20,
      });
      expect(s.stopped).toBe('frames');
      expect(s.peakInFlight).toBe(2);
      expect(s.frames).toBe(20);
      expect(probe(output).video.frames).toBe(20);
      expect(readdirSync(masks)).toHaveLength(20);
      const lines = readFileSync(stats, 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as StatsLine);
      expect(lines.map((l) => l.index)).toEqual([...Array(20).keys()]);
    } finally {
      await inner.dispose();
    }
    expect(liveChildCount()).toBe(0);
  });

  it('duration: S counts S seconds of stream from the first frame, not from the start of a slow connection', async () => {
    const seconds = 3;
    // The decoder's connection is held longer than the whole duration (within the connect timeout).
    const relay = await slowRelay(server.port, (seconds + 2) * 1000);
    try {
      const output = path.join(tmp.dir, 'duration.mp4');
      const stats = path.join(tmp.dir, 'duration.jsonl');
      const url = server.url.replace(`:${server.port}/`, `:${relay.port}/`);
      const s = await segmentVideo({
        input: url,
        output,
        stats,
        model: tinyModelDir,
        duration: seconds,
        timeoutMs: 10_000,
      });
      expect(s.stopped).toBe('duration');
      expect(s.frames).toBeGreaterThan(0);
      const lines = readFileSync(stats, 'utf8')
        .trim()
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as StatsLine);
      expect(lines.length).toBe(s.frames);
      expect(probe(output).video.frames).toBe(s.frames);
      // Stream time (pts counts from the first frame): the recording spans the duration, never past it.
      const last = lines.at(-1)!;
      expect(lines[0].pts).toBe(0);
      expect(last.pts).toBeLessThan(seconds);
      expect(last.pts).toBeGreaterThan(seconds * 0.6);
      // The camera's 25 fps over that time: frames the source received (emitted or dropped).
      expect(last.sourceIndex + 1).toBeGreaterThan(seconds * 25 * 0.6);
    } finally {
      await relay.close();
    }
    expect(liveChildCount()).toBe(0);
  });

  it('duration: S does not wait forever for a first frame: the connect budget ends it with STREAM_UNREACHABLE', async () => {
    const relay = await slowRelay(server.port, Infinity);
    try {
      const url = server.url.replace(`:${server.port}/`, `:${relay.port}/`);
      const err = await segmentVideo({
        input: url,
        masks: path.join(tmp.dir, 'never'),
        model: tinyModelDir,
        duration: 2,
        timeoutMs: 1000,
        reconnectDelayMs: 200,
      }).then(
        (s) => s,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(SegStreamError);
      expect((err as SegStreamError).code).toBe(ErrorCodes.STREAM_UNREACHABLE);
      expect((err as SegStreamError).message).toMatch(/answered but sent no frame in 4 attempts/);
    } finally {
      await relay.close();
    }
    expect(liveChildCount()).toBe(0);
  }, 90_000);
});
