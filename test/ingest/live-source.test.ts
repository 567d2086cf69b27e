/**
 * The live source against a real RTSP server (GStreamer, test/helpers/rtsp_server.py): frames of
 * the right size over TCP and UDP, reconnection after the server dies or stalls, coded errors
 * for unreachable / wrong path / wrong credentials without leaking them, newest-frame-wins under
 * a slow consumer, noDrop, and a graceful stop that leaves no child.
 */
import { createServer } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SegStreamError } from '../../src/errors.js';
import { LiveErrorCodes, liveDecoderArgs, scrubber, timeoutArgs, type LiveStatus } from '../../src/ingest/live/args.js';
import { probeLiveStream } from '../../src/ingest/live/probe.js';
import {
  liveFrames,
  newLiveStats,
  type LiveFrame,
  type LiveSourceOptions,
  type LiveStats,
} from '../../src/ingest/live/source.js';
import { InFlightGate } from '../../src/ingest/gate.js';
import { liveChildCount } from '../../src/process/child.js';
import { bins, childFfmpegPids, tempDir } from '../helpers/media.js';
import { gstreamerAvailable, makeLiveClip, startRtspServer, type RtspServer } from '../helpers/rtsp.js';

const W = 320;
const H = 240;
const FRAME_BYTES = W * H + 2 * (W / 2) * (H / 2);
const SECRET = 'hunter2-s3cret';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Run {
  frames: LiveFrame[];
  /** now − arrivalMs when each frame reached the consumer. */
  ages: number[];
  stats: LiveStats;
  statuses: LiveStatus[];
  stop: () => void;
  /** Resolves when the Observable completes; rejects with its error. */
  done: Promise<void>;
}

/**
 * Subscribes like the pipeline does: an InFlightGate of `inFlight` slots, each frame released
 * after `workMs`, one at a time.
 */
function consume(options: Omit<LiveSourceOptions, 'gate' | 'ffmpeg' | 'ffprobe'>, workMs = 0, inFlight = 1): Run {
  const gate = new InFlightGate(inFlight);
  const stats = newLiveStats();
  const statuses: LiveStatus[] = [];
  const controller = new AbortController();
  const frames: LiveFrame[] = [];
  const ages: number[] = [];
  const queue: LiveFrame[] = [];
  let working = false;
  const work = () => {
    if (working || queue.length === 0) return;
    working = true;
    queue.shift();
    setTimeout(() => {
      working = false;
      gate.release();
      work();
    }, workMs);
  };
  const done = new Promise<void>((resolve, reject) => {
    liveFrames({
      ffmpeg: bins.ffmpeg.path,
      ffprobe: bins.ffprobe.path,
      gate,
      stats,
      stopSignal: controller.signal,
      onStatus: (s) => statuses.push(s),
      ...options,
    }).subscribe({
      next: (frame) => {
        ages.push(performance.now() - frame.arrivalMs);
        frames.push(frame);
        queue.push(frame);
        work();
      },
      error: reject,
      complete: resolve,
    });
  });
  return { frames, ages, stats, statuses, stop: () => controller.abort(), done };
}

async function until(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const start = performance.now();
  while (!condition()) {
    if (performance.now() - start > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(50);
  }
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  await new Promise((r) => server.close(r));
  return port;
}

async function expectCodedError(promise: Promise<unknown>, code: string): Promise<SegStreamError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(SegStreamError);
  const e = err as SegStreamError;
  expect(e.code).toBe(code);
  const everything = `${e.message}\n${JSON.stringify(e.context)}`;
  expect(everything).not.toContain(SECRET);
  expect(everything).not.toContain(`user:`);
  return e;
}

function mean(xs: number[]): number {
  return xs.reduce((a, b) => a + b, 0) / xs.length;
}

describe('live source: arguments', () => {
  it('uses the RTSP socket-timeout option this ffmpeg has (-stimeout before 5.0, -timeout after) and -rw_timeout for http', () => {
    const ffmpegOption = timeoutArgs(bins.ffmpeg.path, 'rtsp://h/s', 2500);
    expect(ffmpegOption[1]).toBe('2500000');
    expect(['-stimeout', '-timeout']).toContain(ffmpegOption[0]);
    expect(timeoutArgs(bins.ffmpeg.path, 'https://h/s.m3u8', 1000)).toEqual(['-rw_timeout', '1000000']);
    const args = liveDecoderArgs(bins.ffmpeg.path, 'rtsps://h/s', 640, 360, { transport: 'udp' });
    expect(args.slice(args.indexOf('-rtsp_transport'), args.indexOf('-rtsp_transport') + 2)).toEqual([
      '-rtsp_transport',
      'tcp',
    ]);
    expect(args.join(' ')).toContain('scale=640:360');
    expect(args.join(' ')).toContain('-f rawvideo -pix_fmt yuv420p pipe:1');
  });

  it('scrubs credentials, also percent-encoded ones and bare ones in other text', () => {
    const scrub = scrubber('rtsp://admin:p%40ss%2Fw0rd@cam:554/s');
    const text = scrub('rtsp://admin:p%40ss%2Fw0rd@cam:554/s: 401; tried password p@ss/w0rd as admin');
    expect(text).not.toMatch(/p%40ss|p@ss|admin/);
    expect(text).toContain('rtsp://***@cam:554/s');
  });
});

describe.skipIf(!gstreamerAvailable())('live source against a real RTSP server', () => {
  const tmp = tempDir('segstream-live-');
  const clip = path.join(tmp.dir, 'clip.mp4');
  let server: RtspServer;

  beforeAll(async () => {
    makeLiveClip(clip, { seconds: 10, size: `${W}x${H}`, gop: 25 });
    server = await startRtspServer({ file: clip });
  });
  afterAll(async () => {
    await server?.stop();
    tmp.cleanup();
  });

  it('probes the stream and delivers I420 frames of its size over TCP, then stops leaving no child', async () => {
    const info = await probeLiveStream(server.url, { ffprobe: bins.ffprobe.path });
    expect([info.width, info.height, info.fps]).toEqual([W, H, { num: 25, den: 1 }]);
    const run = consume({ url: server.url, info });
    await until(() => run.frames.length >= 20, 15_000, '20 frames');
    run.stop();
    await run.done;
    const f = run.frames;
    expect(
      f.every((x) => x.width === W && x.height === H && x.format === 'yuv420p' && x.pixels.length === FRAME_BYTES),
    ).toBe(true);
    expect(f.map((x) => x.index)).toEqual(f.map((_, i) => i));
    for (let i = 1; i < f.length; i++) {
      expect(f[i].sourceIndex).toBeGreaterThan(f[i - 1].sourceIndex);
      expect(f[i].pts).toBeGreaterThanOrEqual(f[i - 1].pts);
    }
    // testsrc2 is a colourful picture, not a blank frame: the luma plane varies.
    const luma = f[10].pixels.subarray(0, W * H);
    expect(Math.max(...luma) - Math.min(...luma)).toBeGreaterThan(100);
    expect(run.statuses[0]?.type).toBe('connected');
    expect(liveChildCount()).toBe(0);
    expect(childFfmpegPids()).toEqual([]);
  });

  it('delivers frames over UDP', async () => {
    const run = consume({ url: server.url, transport: 'udp' });
    await until(() => run.frames.length >= 10, 15_000, '10 frames over UDP');
    run.stop();
    await run.done;
    expect(run.frames[0].pixels.length).toBe(FRAME_BYTES);
  });

  it('reconnects when the server is killed and restarted, and frames continue', async () => {
    const own = await startRtspServer({ file: clip });
    try {
      const run = consume({ url: own.url, reconnectDelayMs: 200, reconnectDelayMaxMs: 1000 });
      await until(() => run.frames.length >= 15, 15_000, 'frames before the kill');
      await own.stop();
      await sleep(400); // frames already decoded may still come through the pipe
      const before = run.stats.received;
      await sleep(800);
      expect(run.stats.received).toBe(before); // the server really is gone
      await own.restart();
      await until(
        () => run.stats.reconnects >= 1 && run.stats.received >= before + 25,
        15_000,
        'frames after the restart',
      );
      run.stop();
      await run.done;
      const types = run.statuses.map((s) => s.type);
      expect(types).toContain('disconnected');
      expect(types).toContain('reconnecting');
      const reconnected = run.statuses.find((s) => s.type === 'reconnected') as Extract<
        LiveStatus,
        { type: 'reconnected' }
      >;
      expect(reconnected.gapMs).toBeGreaterThan(1100);
      console.log(
        `reconnect: gap ${reconnected.gapMs.toFixed(0)} ms (server down 1 s + restart), ${run.stats.reconnectAttempts} attempts`,
      );
      expect(run.frames.every((x) => x.pixels.length === FRAME_BYTES)).toBe(true);
    } finally {
      await own.stop();
    }
  });

  it('reconnects after a stall: the server stops sending but keeps the connection open', async () => {
    const own = await startRtspServer({ file: clip });
    try {
      const run = consume({ url: own.url, timeoutMs: 1500, reconnectDelayMs: 200, reconnectDelayMaxMs: 1000 });
      await until(() => run.frames.length >= 10, 15_000, 'frames before the stall');
      own.suspend();
      await until(
        () => run.statuses.some((s) => s.type === 'disconnected'),
        5000,
        'the watchdog to end the stalled connection',
      );
      const stalled = run.statuses.find((s) => s.type === 'disconnected') as Extract<
        LiveStatus,
        { type: 'disconnected' }
      >;
      expect(stalled.reason).toMatch(/no data for 1\.5 s/);
      own.resume();
      const before = run.stats.received;
      await until(
        () => run.stats.reconnects >= 1 && run.stats.received >= before + 10,
        15_000,
        'frames after the stall',
      );
      run.stop();
      await run.done;
    } finally {
      await own.stop();
    }
  });

  it('fails with STREAM_LOST once reconnectMax attempts have failed, without printing credentials', async () => {
    const own = await startRtspServer({ file: clip, user: 'user', password: SECRET });
    try {
      const run = consume({ url: own.url, reconnectMax: 2, reconnectDelayMs: 200 });
      await until(() => run.frames.length >= 5, 15_000, 'frames');
      await own.stop();
      const start = performance.now();
      await expectCodedError(run.done, LiveErrorCodes.STREAM_LOST);
      expect(performance.now() - start).toBeLessThan(200 + 400 + 5000);
      expect(run.stats.reconnectAttempts).toBe(2);
      expect(liveChildCount()).toBe(0);
    } finally {
      await own.stop();
    }
  });

  it('fails with STREAM_CHANGED when the stream comes back with another frame size', async () => {
    const own = await startRtspServer({ file: clip });
    const bigger = path.join(tmp.dir, 'bigger.mp4');
    makeLiveClip(bigger, { seconds: 2, size: '352x288' });
    let other: RtspServer | undefined;
    try {
      const run = consume({ url: own.url, reconnectDelayMs: 200, reconnectDelayMaxMs: 500 });
      await until(() => run.frames.length >= 5, 15_000, 'frames');
      await own.stop();
      other = await startRtspServer({ file: bigger, port: own.port });
      const e = await expectCodedError(run.done, LiveErrorCodes.STREAM_CHANGED);
      expect(e.message).toContain('352x288');
      expect(run.frames.every((x) => x.pixels.length === FRAME_BYTES)).toBe(true);
    } finally {
      await own.stop();
      await other?.stop();
    }
  });

  it('fails with STREAM_UNREACHABLE within the retry budget when nothing listens, without printing credentials', async () => {
    const port = await freePort();
    const url = `rtsp://user:${SECRET}@127.0.0.1:${port}/stream`;
    const o = { connectRetries: 2, reconnectDelayMs: 200, timeoutMs: 2000 };
    const budgetMs = 200 + 400; // the two backoff delays; a refused connection fails at once
    let start = performance.now();
    const e = await expectCodedError(
      probeLiveStream(url, { ffprobe: bins.ffprobe.path, ...o }),
      LiveErrorCodes.STREAM_UNREACHABLE,
    );
    const elapsed = performance.now() - start;
    expect(elapsed).toBeGreaterThanOrEqual(budgetMs);
    expect(elapsed).toBeLessThan(budgetMs + 5000);
    expect(e.message).toMatch(/3 attempts.*connection refused/);
    // The same through the Observable, which probes first.
    start = performance.now();
    await expectCodedError(consume({ url, ...o }).done, LiveErrorCodes.STREAM_UNREACHABLE);
    expect(performance.now() - start).toBeLessThan(budgetMs + 5000);
    expect(liveChildCount()).toBe(0);
  });

  it('fails with STREAM_NOT_FOUND at once for a wrong path', async () => {
    const start = performance.now();
    const url = server.url.replace('/stream', '/no-such-stream');
    const e = await expectCodedError(
      probeLiveStream(url, { ffprobe: bins.ffprobe.path }),
      LiveErrorCodes.STREAM_NOT_FOUND,
    );
    expect(performance.now() - start).toBeLessThan(5000); // no retries
    expect(e.message).toContain('404');
  });

  it('fails with STREAM_AUTH at once for wrong or missing credentials, never printing them; right ones work', async () => {
    const own = await startRtspServer({ file: clip, user: 'viewer', password: 'right-password' });
    try {
      const wrong = own.url.replace('viewer:right-password', `user:${SECRET}`);
      const start = performance.now();
      const e = await expectCodedError(consume({ url: wrong }).done, LiveErrorCodes.STREAM_AUTH);
      expect(performance.now() - start).toBeLessThan(5000);
      expect(e.message).toContain('401');
      expect(e.message).toContain('rtsp://***@127.0.0.1');
      await expectCodedError(
        probeLiveStream(own.url.replace('viewer:right-password@', ''), { ffprobe: bins.ffprobe.path }),
        LiveErrorCodes.STREAM_AUTH,
      );
      const run = consume({ url: own.url });
      await until(() => run.frames.length >= 5, 15_000, 'frames with the right credentials');
      run.stop();
      await run.done;
    } finally {
      await own.stop();
    }
  });

  it('drops stale frames for a slow consumer and keeps the age of emitted frames bounded', async () => {
    const run = consume({ url: server.url }, 200);
    await until(() => run.frames.length >= 30, 20_000, '30 frames at 200 ms each');
    run.stop();
    await run.done;
    const { stats, ages } = run;
    expect(stats.dropped).toBeGreaterThan(stats.emitted); // 25 fps in, 5 fps out
    expect(stats.received).toBe(stats.emitted + stats.dropped + stats.waitingAtStop);
    // Skip the burst of the first connection, then compare the first and last thirds.
    const steady = ages.slice(3);
    const third = Math.floor(steady.length / 3);
    const first = mean(steady.slice(0, third));
    const last = mean(steady.slice(-third));
    console.log(
      `slow consumer: ${stats.emitted} emitted, ${stats.dropped} dropped; frame age at emit ${first.toFixed(1)} -> ${last.toFixed(1)} ms`,
    );
    expect(last).toBeLessThan(first + 100); // no growth (a backlog would add 160 ms per frame)
    expect(Math.max(...steady)).toBeLessThan(1000);
  });

  it('with noDrop keeps every frame', async () => {
    const run = consume({ url: server.url, noDrop: true }, 100);
    await until(() => run.frames.length >= 25, 20_000, '25 frames');
    run.stop();
    await run.done;
    expect(run.frames.map((f) => f.sourceIndex)).toEqual(run.frames.map((_, i) => i));
    // Nothing is dropped; what sat in the ring at the stop is counted apart.
    expect(run.stats.dropped).toBe(0);
    expect(run.stats.received - run.stats.emitted).toBe(run.stats.waitingAtStop);
  });

  it('maxFrames emits exactly that many frames, also with two in flight behind a slow consumer, then completes', async () => {
    const limits: string[] = [];
    const run = consume({ url: server.url, maxFrames: 7, onLimit: (l) => limits.push(l) }, 100, 2);
    await run.done;
    expect(run.frames.map((f) => f.index)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(limits).toEqual(['frames']);
    expect(liveChildCount()).toBe(0);
  });

  it('maxSeconds ends at the first frame whose time since the first frame reaches it; noDrop frames waiting in the ring still go out', async () => {
    const limits: string[] = [];
    const run = consume({ url: server.url, maxSeconds: 1.5, noDrop: true, onLimit: (l) => limits.push(l) }, 60);
    await run.done;
    expect(limits).toEqual(['seconds']);
    expect(run.frames[0].pts).toBe(0);
    expect(run.frames.at(-1)!.pts).toBeLessThan(1.5);
    expect(run.frames.at(-1)!.pts).toBeGreaterThan(0.9);
    expect(run.frames.map((f) => f.sourceIndex)).toEqual(run.frames.map((_, i) => i));
    expect(run.stats.dropped).toBe(0);
    expect(run.stats.waitingAtStop).toBe(0);
    expect(liveChildCount()).toBe(0);
  });
});
