/**
 * A live camera in the fleet: one long-running job on the live queue, taken over by another
 * worker when its worker is killed, recording on in new segment files; the camera's credentials
 * stay on the workers (never in Redis).
 */
import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { probe, tempDir } from '../helpers/media.js';
import {
  redisAvailable,
  startRedis,
  startWorkerProcess,
  type RedisServer,
  type WorkerProcess,
} from '../helpers/redis.js';
import { gstreamerAvailable, makeLiveClip, startRtspServer, type RtspServer } from '../helpers/rtsp.js';
import { fleetStatus } from '../../src/fleet/status.js';

const FAST = ['--lock-duration', '2', '--stalled-interval', '1'];
const ready = redisAvailable() && gstreamerAvailable();

describe.skipIf(!ready)('fleet: a live camera', () => {
  let redis: RedisServer;
  let server: RtspServer;
  let tmp: ReturnType<typeof tempDir>;
  const workers: WorkerProcess[] = [];
  beforeAll(async () => {
    tmp = tempDir('segstream-fleet-live-');
    const clip = path.join(tmp.dir, 'clip.mp4');
    makeLiveClip(clip, { seconds: 10, size: '320x240', gop: 25 });
    server = await startRtspServer({ file: clip, user: 'viewer', password: 's3cret-pw' });
    redis = await startRedis();
  });
  afterAll(async () => {
    for (const w of workers) w.kill('SIGKILL');
    await Promise.all(workers.map((w) => w.exited));
    await server?.stop();
    await redis?.stop();
    tmp?.cleanup();
  });

  it('is taken over when its worker is killed and records on in new segments; credentials never reach Redis', async () => {
    const plain = server.url.replace(/\/\/[^@]+@/, '//');
    const out = path.join(tmp.dir, 'out');
    execFileSync('mkdir', ['-p', out]);
    // With credentials in the URL the add is refused: they would be stored in Redis.
    const refused = await runCli([
      'queue',
      'add',
      server.url,
      '--live',
      '--redis',
      redis.url,
      '-o',
      path.join(out, 'cam.mp4'),
    ]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/carries credentials; they never go into Redis/);
    expect(refused.stderr).not.toContain('s3cret-pw');
    const add = await runCli([
      'queue',
      'add',
      plain,
      '--live',
      '--redis',
      redis.url,
      '-o',
      path.join(out, 'cam.mp4'),
      '--segment-time',
      '1',
      '--json',
    ]);
    expect(add.code).toBe(0);
    const env = { SEGSTREAM_CAMERAS: JSON.stringify({ [plain]: server.url }) };
    const a = startWorkerProcess(redis.url, [...FAST, '--name', 'a'], env);
    workers.push(a);
    await a.waitFor((e) => e.type === 'active');
    // Wait for a few completed segments, then kill the worker.
    const segments = () => readdirSync(out).filter((f) => /^cam-\d{8}T\d{6}Z-\d{5}\.mp4$/.test(f));
    for (let i = 0; i < 200 && segments().length < 2; i++) await new Promise((r) => setTimeout(r, 200));
    expect(segments().length).toBeGreaterThanOrEqual(2);
    a.kill('SIGKILL');
    await a.exited;
    const before = segments();
    const b = startWorkerProcess(redis.url, [...FAST, '--name', 'b'], env);
    workers.push(b);
    await b.waitFor((e) => e.type === 'active', 60_000);
    for (let i = 0; i < 200 && segments().length < before.length + 2; i++) await new Promise((r) => setTimeout(r, 200));
    const after = segments();
    // Everything a wrote is still there; b records under its own start time.
    for (const f of before) expect(after).toContain(f);
    const stamps = new Set(after.map((f) => f.split('-')[1]));
    expect(stamps.size).toBe(2);
    for (const f of after) expect(probe(path.join(out, f)).video.frames).toBeGreaterThan(0);
    const status = await fleetStatus({ redis: redis.url });
    const cam = status.jobs.find((j) => j.kind === 'live')!;
    expect(cam.state).toBe('active');
    expect(cam.input).toBe(plain);
    // Nothing in Redis carries the password.
    const client = new Redis(redis.url);
    try {
      for (const key of await client.keys('*')) {
        const type = await client.type(key);
        const text =
          type === 'hash'
            ? JSON.stringify(await client.hgetall(key))
            : type === 'string'
              ? await client.get(key)
              : type === 'list'
                ? JSON.stringify(await client.lrange(key, 0, -1))
                : type === 'zset'
                  ? JSON.stringify(await client.zrange(key, 0, -1))
                  : type === 'stream'
                    ? JSON.stringify(await client.xrange(key, '-', '+'))
                    : '';
        expect(text ?? '').not.toContain('s3cret-pw');
      }
    } finally {
      client.disconnect();
    }
    // SIGTERM: the camera is handed back (its current segment finished) and the worker exits 0.
    b.kill('SIGTERM');
    await b.waitFor((e) => e.type === 'handed-back', 30_000);
    expect(await b.exited).toBe(0);
    const waiting = await fleetStatus({ redis: redis.url });
    expect(waiting.jobs.find((j) => j.kind === 'live')!.state).toBe('waiting');
  }, 240_000);
});
