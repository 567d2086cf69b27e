/**
 * Driving logs in the fleet: `queue add '*.mcap' --log-out '/out/{stem}.seg.mcap'` makes one job
 * per log (detected by magic bytes), a real `seg-stream worker` runs it on a real redis-server,
 * and the published log is complete: every camera message segmented, stamps kept.
 */
import { copyFileSync, mkdirSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../../helpers/cli.js';
import { cleanupLogFixtures, haveLogTools, logFixtures } from '../../helpers/logs.js';
import { tempDir, tinyModelDir } from '../../helpers/media.js';
import {
  redisAvailable,
  startRedis,
  startWorkerProcess,
  type RedisServer,
  type WorkerProcess,
} from '../../helpers/redis.js';
import { readBack, stampOf } from './read-back.js';

afterAll(cleanupLogFixtures);

describe.skipIf(!redisAvailable() || !haveLogTools())('fleet: driving logs', () => {
  const tmp = tempDir('segstream-fleet-logs-');
  let redis: RedisServer | undefined;
  let worker: WorkerProcess | undefined;
  afterAll(async () => {
    worker?.kill('SIGTERM');
    await worker?.exited;
    await redis?.stop();
    tmp.cleanup();
  });

  it('one log = one job; the worker publishes the written log', async () => {
    const fx = logFixtures();
    redis = await startRedis();
    const inDir = path.join(tmp.dir, 'in');
    const outDir = path.join(tmp.dir, 'out');
    mkdirSync(inDir, { recursive: true });
    mkdirSync(outDir, { recursive: true });
    copyFileSync(fx.log('ros2-lz4.mcap'), path.join(inDir, 'a.mcap'));
    copyFileSync(fx.log('drive-none.bag'), path.join(inDir, 'b.bag'));
    const add = await runCli([
      'queue',
      'add',
      path.join(inDir, '*'),
      '--redis',
      redis.url,
      '--log-out',
      path.join(outDir, '{stem}.seg.mcap'),
      '-m',
      tinyModelDir,
      '--json',
    ]);
    expect(add.code, add.stderr).toBe(0);
    const jobs = (JSON.parse(add.stdout) as { jobs: { kind: string }[] }).jobs;
    expect(jobs.map((j) => j.kind)).toEqual(['log', 'log']);
    worker = startWorkerProcess(redis.url, ['--lock-duration', '5']);
    await worker.waitFor(() => worker!.events.filter((x) => x.type === 'completed').length >= 2, 240_000);
    expect(
      readdirSync(outDir)
        .filter((f) => !f.startsWith('.'))
        .sort(),
    ).toEqual(['a.seg.mcap', 'b.seg.mcap']);
    const manifest = fx.manifest('ros2-lz4.mcap').filter((m) => m.topic === '/cam_left/image_raw');
    const { messages } = await readBack(path.join(outDir, 'a.seg.mcap'));
    const ids = messages.filter((m) => m.topic === '/cam_left/image_raw/seg/class_ids');
    expect(ids.map((m) => stampOf(m.value).ns)).toEqual(manifest.map((m) => BigInt(m.stampNs!)));
  });
});
