/**
 * Driving logs in chunks on the fleet: `queue add drive.mcap drive.bag --log-out … --chunk 0.1s`
 * makes per log chunk jobs (windows of log time) under a join; real `seg-stream worker`s on a
 * real redis-server run them and the join merges the part logs. The published logs hold what a
 * one-machine run of each log writes (topics, log times, stamps, class-id bytes; the class table
 * once), read back by independent readers (`@mcap/core`; ROS's Python `rosbag` for the bag), and
 * the parts are gone.
 */
import { copyFileSync, mkdirSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fleetStatus, type FleetStatus } from '../../src/fleet/status.js';
import { segmentLog } from '../../src/runs/logs/segment-log.js';
import { runCli } from '../helpers/cli.js';
import { cleanupLogFixtures, haveLogTools, logFixtures } from '../helpers/logs.js';
import { tempDir, tinyModelDir } from '../helpers/media.js';
import {
  redisAvailable,
  startRedis,
  startWorkerProcess,
  type RedisServer,
  type WorkerProcess,
} from '../helpers/redis.js';
import { bagRows, mcapRows } from '../runs/logs/read-back.js';

afterAll(cleanupLogFixtures);

describe.skipIf(!redisAvailable() || !haveLogTools())('fleet: driving logs in chunks', () => {
  const tmp = tempDir('segstream-fleet-log-chunks-');
  let redis: RedisServer | undefined;
  const workers: WorkerProcess[] = [];
  afterAll(async () => {
    for (const w of workers) w.kill('SIGTERM');
    for (const w of workers) await w.exited;
    await redis?.stop();
    tmp.cleanup();
  });

  it('chunk jobs under a join per log; the merged logs equal one-machine runs', async () => {
    const fx = logFixtures();
    redis = await startRedis();
    const inDir = path.join(tmp.dir, 'in');
    const outDir = path.join(tmp.dir, 'out');
    mkdirSync(inDir, { recursive: true });
    mkdirSync(outDir, { recursive: true });
    copyFileSync(fx.log('ros1.mcap'), path.join(inDir, 'a.mcap'));
    copyFileSync(fx.log('drive-bz2.bag'), path.join(inDir, 'b.bag'));
    const add = (input: string, logOut: string) =>
      runCli([
        'queue',
        'add',
        path.join(inDir, input),
        '--redis',
        redis!.url,
        '--log-out',
        path.join(outDir, logOut),
        '--chunk',
        '0.1s',
        '-m',
        tinyModelDir,
        '--json',
      ]);
    for (const [input, logOut] of [
      ['a.mcap', '{stem}.seg.mcap'],
      ['b.bag', '{stem}.seg.bag'],
    ]) {
      const r = await add(input, logOut);
      expect(r.code, r.stderr).toBe(0);
      const jobs = (JSON.parse(r.stdout) as { jobs: { kind: string; children?: number }[] }).jobs;
      expect(jobs).toMatchObject([{ kind: 'join', children: 4 }]);
    }
    const args = ['--lock-duration', '5', '--threads', '1', '--workers', '1'];
    workers.push(startWorkerProcess(redis.url, [...args, '--name', 'l1']));
    workers.push(startWorkerProcess(redis.url, [...args, '--name', 'l2']));
    let status: FleetStatus | undefined;
    for (const end = Date.now() + 360_000; Date.now() < end; await new Promise((r) => setTimeout(r, 500))) {
      status = await fleetStatus({ redis: redis.url });
      if (status.counts.completed + status.counts.failed >= 10) break;
    }
    expect(status!.counts.completed + status!.counts.failed).toBe(10);
    expect(status!.jobs.filter((j) => j.state === 'failed').map((j) => j.error)).toEqual([]);
    expect(readdirSync(outDir).filter((f) => !f.startsWith('.'))).toEqual(
      expect.arrayContaining(['a.seg.mcap', 'b.seg.bag']),
    );

    const local = { model: tinyModelDir, threads: 1, workers: 1 };
    const wholeMcap = path.join(tmp.dir, 'a-whole.mcap');
    const wholeBag = path.join(tmp.dir, 'b-whole.bag');
    await segmentLog({ input: path.join(inDir, 'a.mcap'), logOut: wholeMcap, ...local });
    await segmentLog({ input: path.join(inDir, 'b.bag'), logOut: wholeBag, ...local });
    const merged = (await mcapRows(path.join(outDir, 'a.seg.mcap'))).rows;
    expect(merged).toEqual((await mcapRows(wholeMcap)).rows);
    expect(merged.filter((r) => r.startsWith('/seg_stream/classes '))).toHaveLength(1);
    expect(merged.filter((r) => r.includes('/seg/class_ids '))).toHaveLength(12);
    expect(bagRows(path.join(outDir, 'b.seg.bag')).rows).toEqual(bagRows(wholeBag).rows);

    // The parts were removed once the joins were published: only outputs and done markers remain.
    const files = readdirSync(path.join(outDir, '.seg-stream'), { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile())
      .map((e) => path.relative(outDir, path.join(e.parentPath, e.name)));
    expect(files.filter((f) => !f.startsWith(path.join('.seg-stream', 'done')))).toEqual([]);
  }, 400_000);
});
