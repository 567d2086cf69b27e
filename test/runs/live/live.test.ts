import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEngine } from '../../../src/infer/engine.js';
import { loadModel } from '../../../src/infer/model-card.js';
import type { Engine } from '../../../src/infer/types.js';
import { segmentVideo } from '../../../src/runs/video/segment-video.js';
import { liveChildCount } from '../../../src/process/child.js';
import { binPath, runCli } from '../../helpers/cli.js';
import { childFfmpegPids, probe, repoRoot, tempDir, tinyModelDir } from '../../helpers/media.js';
import { gstreamerAvailable, makeLiveClip, startRtspServer, type RtspServer } from '../../helpers/rtsp.js';

const haveGst = gstreamerAvailable();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** An engine that takes `delayMs` longer than the real one: inference slower than the camera. */
function slowEngine(inner: Engine, delayMs: number): Engine {
  return {
    name: inner.name,
    backend: `${inner.backend} + ${delayMs} ms delay`,
    model: inner.model,
    inputLayout: inner.inputLayout,
    run: async (inputs) => {
      await sleep(delayMs);
      return inner.run(inputs);
    },
    dispose: () => inner.dispose(),
  };
}

function mean(values: number[]): number {
  return values.reduce((a, b) => a + b, 0) / Math.max(1, values.length);
}

describe.runIf(haveGst)('live RTSP stream (GStreamer RTSP server on loopback)', () => {
  const tmp = tempDir('segstream-live-');
  const clip = path.join(tmp.dir, 'camera.mp4');
  let server: RtspServer;

  beforeAll(async () => {
    makeLiveClip(clip, { seconds: 10, size: '320x240', gop: 25 });
    server = await startRtspServer({ file: clip, user: 'viewer', password: 's3cret-pw' });
  });
  afterAll(async () => {
    await server?.stop();
    tmp.cleanup();
  });

  it('connects, writes a playable overlay, masks and per-frame stats for the requested duration', async () => {
    const output = path.join(tmp.dir, 'live.mp4');
    const masks = path.join(tmp.dir, 'masks');
    const stats = path.join(tmp.dir, 'stats.jsonl');
    const s = await segmentVideo({ input: server.url, output, masks, stats, model: tinyModelDir, duration: 4 });
    expect(s.live).toBe(true);
    expect(s.stopped).toBe('duration');
    expect(s.input).not.toContain('s3cret-pw');
    expect(s.frames).toBeGreaterThan(40);
    const facts = probe(output);
    expect(facts.video.frames).toBe(s.frames);
    expect([facts.video.width, facts.video.height]).toEqual([320, 240]);
    // Timestamps follow the clock: ~4 s of stream, counted from the first frame.
    expect(facts.video.duration).toBeGreaterThan(2.5);
    expect(facts.video.duration).toBeLessThan(4.5);
    expect(readdirSync(masks)).toHaveLength(s.frames);
    const lines = readFileSync(stats, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines).toHaveLength(s.frames);
    expect(lines.map((l) => l.index)).toEqual(lines.map((_, i) => i));
    for (const l of lines)
      expect(Object.keys(l).sort()).toEqual([
        'arrivalUnixMs',
        'droppedSoFar',
        'index',
        'latencyMs',
        'pts',
        'sourceIndex',
      ]);
    expect(s.latencyMs.p95).toBeGreaterThan(0);
    expect(s.latencyMs.p50).toBeLessThanOrEqual(s.latencyMs.p95);
    expect(liveChildCount()).toBe(0);
  });

  it('reconnects after the server goes away and comes back, in the same playable file', async () => {
    const output = path.join(tmp.dir, 'reconnect.mp4');
    // The server goes away once frames flow (a fixed wait is outrun by a slow start on a loaded machine).
    let flowing!: () => void;
    const frames = new Promise<void>((resolve) => (flowing = resolve));
    const stats = path.join(tmp.dir, 'reconnect.jsonl');
    const run = segmentVideo({
      input: server.url,
      output,
      stats,
      model: tinyModelDir,
      duration: 10,
      reconnectDelayMs: 200,
      timeoutMs: 2000,
      onProgress: (p) => {
        if (p.frames >= 5) flowing();
      },
    });
    await frames;
    await server.stop();
    await sleep(1000);
    await server.restart();
    const s = await run;
    expect(s.reconnects).toBeGreaterThanOrEqual(1);
    const facts = probe(output);
    expect(facts.video.frames).toBe(s.frames);
    // The gap is kept in the timeline (the last frame is held): frames are stamped when they reach
    // the encoder (arrival + latency in --stats), so the file spans those times, the outage included.
    const stamps = readFileSync(stats, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { arrivalUnixMs: number; latencyMs: number })
      .map((f) => f.arrivalUnixMs + f.latencyMs);
    const gaps = stamps.slice(1).map((t, i) => t - stamps[i]);
    expect(Math.max(...gaps)).toBeGreaterThan(800);
    const span = (stamps.at(-1)! - stamps[0]) / 1000;
    expect(Math.abs(facts.video.duration - span)).toBeLessThan(0.4);
  });

  it('drops stale frames when inference is slower than the camera, with bounded latency; --no-drop keeps every frame', async () => {
    const model = await loadModel(tinyModelDir);
    const inner = await createEngine(model);
    try {
      const stats = path.join(tmp.dir, 'slow.jsonl');
      // 250 ms a frame against a 25 fps camera: drops even when a loaded machine delivers a third of its frames.
      const s = await segmentVideo({
        input: server.url,
        masks: path.join(tmp.dir, 'slow-masks'),
        stats,
        model,
        engine: slowEngine(inner, 250),
        duration: 6,
      });
      expect(s.droppedFrames).toBeGreaterThan(10);
      const latencies = readFileSync(stats, 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l).latencyMs as number);
      const third = Math.floor(latencies.length / 3);
      // No growth: the last third is no slower than the first (plus slack for a loaded machine).
      expect(mean(latencies.slice(-third))).toBeLessThan(mean(latencies.slice(1, third + 1)) * 1.5 + 100);
      expect(s.latencyMs.max).toBeLessThan(2000);

      const keptStats = path.join(tmp.dir, 'kept.jsonl');
      const kept = await segmentVideo({
        input: server.url,
        masks: path.join(tmp.dir, 'kept-masks'),
        stats: keptStats,
        model,
        engine: slowEngine(inner, 60),
        frames: 30,
        noDrop: true,
      });
      // Every frame received went through, in order, with no gap; the one waiting at the stop is not a drop.
      const sourceIndexes = readFileSync(keptStats, 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l).sourceIndex as number);
      expect(sourceIndexes).toEqual(sourceIndexes.map((_, i) => i));
      expect(kept.droppedFrames).toBe(0);
    } finally {
      await inner.dispose();
    }
  });

  it('--segment-time cuts the live overlay into complete files that add up to every frame', async () => {
    const dir = path.join(tmp.dir, 'segments');
    const { mkdirSync } = await import('node:fs');
    mkdirSync(dir);
    const s = await segmentVideo({
      input: server.url,
      output: path.join(dir, 'live.mp4'),
      model: tinyModelDir,
      duration: 9,
      segmentTime: 2,
    });
    expect(s.outputs.segments!.length).toBeGreaterThanOrEqual(2);
    expect(readdirSync(dir).sort()).toEqual(s.outputs.segments!.map((f) => path.basename(f)).sort());
    const total = s.outputs.segments!.reduce((n, f) => n + probe(f).video.frames, 0);
    expect(total).toBe(s.frames);
  });

  it('unreachable server, wrong path and wrong credentials: coded error, exit 1, within the budget, no password printed', async () => {
    const base = [
      '--model',
      tinyModelDir,
      '-o',
      path.join(tmp.dir, 'never.mp4'),
      '--reconnect-max',
      '1',
      '--reconnect-delay',
      '0.2',
      '--timeout',
      '2',
      '--json',
    ];
    const cases: [string, string][] = [
      [server.url.replace(/:\d+\//, ':9/'), 'SEGSTREAM_ERR_STREAM_UNREACHABLE'],
      [server.url.replace('/stream', '/no-such-stream'), 'SEGSTREAM_ERR_STREAM_NOT_FOUND'],
      [server.url.replace('s3cret-pw', 'wrong-pw'), 'SEGSTREAM_ERR_STREAM_AUTH'],
    ];
    for (const [url, code] of cases) {
      const r = await runCli([url, ...base], { timeoutMs: 20_000 });
      expect(r.code, r.stderr).toBe(1);
      expect(r.stderr).toMatch(new RegExp(`^seg-stream: ${code}: `));
      expect(r.stderr + r.stdout).not.toMatch(/s3cret-pw|wrong-pw/);
      expect(r.ms).toBeLessThan(15_000);
      expect(existsSync(path.join(tmp.dir, 'never.mp4'))).toBe(false);
    }
  });

  it('SIGINT finishes the outputs, exits 0 and leaves no child process', async () => {
    const output = path.join(tmp.dir, 'interrupted.mp4');
    const stats = path.join(tmp.dir, 'interrupted.jsonl');
    const child = spawn(
      process.execPath,
      [binPath, server.url, '-o', output, '--stats', stats, '--model', tinyModelDir, '--json'],
      { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    // Ctrl-C once frames flow (the per-frame stats say so), however slowly the run started.
    for (
      let waited = 0;
      waited < 30_000 && !(existsSync(stats) && readFileSync(stats, 'utf8').split('\n').length > 10);
      waited += 200
    )
      await sleep(200);
    child.kill('SIGINT');
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(code, stderr).toBe(0);
    const summary = JSON.parse(stdout);
    expect(summary.stopped).toBe('signal');
    expect(probe(output).video.frames).toBe(summary.frames);
    expect(stderr).not.toContain('s3cret-pw');
    const strays = spawnSync('ps', ['-eo', 'args='], { encoding: 'utf8' })
      .stdout.split('\n')
      .filter((l) => /ffmpeg|ffprobe/.test(l) && l.includes(`:${server.port}/`));
    expect(strays).toEqual([]);
    expect(childFfmpegPids()).toEqual([]);
  });
});
