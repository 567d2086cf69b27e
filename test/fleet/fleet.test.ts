/**
 * Fleet mode with real parts: a real redis-server, real `seg-stream worker` processes, real
 * videos and frame folders. Workers use short locks (2 s) and stall checks (1 s) so takeovers
 * happen within seconds.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { makeIndexedVideo, probe, tempDir } from '../helpers/media.js';
import {
  redisAvailable,
  startRedis,
  startWorkerProcess,
  type RedisServer,
  type WorkerProcess,
} from '../helpers/redis.js';
import { fleetStatus, type FleetStatus } from '../../src/fleet/status.js';

const FAST = ['--lock-duration', '2', '--stalled-interval', '1'];
const haveRedis = redisAvailable();

/** Every file below `dir`, relative, sorted (hidden fleet folders included). */
function tree(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string, rel: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) walk(path.join(d, e.name), r);
      else out.push(r);
    }
  };
  walk(dir, '');
  return out.sort();
}

async function until(
  status: () => Promise<FleetStatus>,
  done: (s: FleetStatus) => boolean,
  timeoutMs = 240_000,
): Promise<FleetStatus> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const s = await status();
    if (done(s)) return s;
    if (Date.now() > end)
      throw new Error(
        `fleet did not settle: ${JSON.stringify(s.counts)} ${JSON.stringify(s.jobs.map((j) => [j.id, j.state, j.frames, j.error]))}`,
      );
    await new Promise((r) => setTimeout(r, 300));
  }
}

describe.skipIf(!haveRedis)('fleet: queue add, workers, status', () => {
  let redis: RedisServer;
  let tmp: ReturnType<typeof tempDir>;
  const workers: WorkerProcess[] = [];
  beforeAll(async () => {
    redis = await startRedis();
    tmp = tempDir('segstream-fleet-');
  });
  afterAll(async () => {
    for (const w of workers) w.kill('SIGKILL');
    await Promise.all(workers.map((w) => w.exited));
    await redis?.stop();
    tmp?.cleanup();
  });

  it('runs every video exactly once across 3 workers, one SIGKILLed mid-job: outputs complete, equal to a local run, no staging left', async () => {
    const inDir = path.join(tmp.dir, 'in');
    const outDir = path.join(tmp.dir, 'out');
    execFileSync('mkdir', ['-p', inDir, outDir]);
    for (let i = 0; i < 4; i++)
      await makeIndexedVideo(path.join(inDir, `drive${i}.mp4`), {
        width: 160,
        height: 96,
        frames: 90,
        fps: '25/1',
        audio: i === 0,
      });
    const add = await runCli([
      'queue',
      'add',
      path.join(inDir, '*.mp4'),
      '--redis',
      redis.url,
      '-o',
      path.join(outDir, '{stem}.mp4'),
      '--masks',
      path.join(outDir, '{stem}-masks'),
      '--json',
    ]);
    expect(add.stderr).toBe('');
    expect(add.code).toBe(0);
    const jobs = JSON.parse(add.stdout).jobs as { id: string; state: string; input: string }[];
    expect(jobs.map((j) => j.state)).toEqual(['added', 'added', 'added', 'added']);

    // The same work again adds nothing.
    const again = await runCli([
      'queue',
      'add',
      path.join(inDir, '*.mp4'),
      '--redis',
      redis.url,
      '-o',
      path.join(outDir, '{stem}.mp4'),
      '--masks',
      path.join(outDir, '{stem}-masks'),
      '--json',
    ]);
    expect((JSON.parse(again.stdout).jobs as { state: string }[]).map((j) => j.state)).toEqual([
      'exists',
      'exists',
      'exists',
      'exists',
    ]);

    for (let i = 0; i < 3; i++) workers.push(startWorkerProcess(redis.url, [...FAST, '--name', `w${i}`]));
    // Kill the first worker that has made progress on a job.
    const victim = await Promise.race(workers.map((w) => w.waitFor((e) => e.type === 'active').then(() => w)));
    const victimJob = victim.events.find((e) => e.type === 'active')!.jobId!;
    await until(
      () => fleetStatus({ redis: redis.url }),
      (s) => (s.jobs.find((j) => j.id === victimJob)?.frames ?? 0) > 5,
    );
    victim.kill('SIGKILL');
    expect(await victim.exited).toBe('SIGKILL');

    const status = await until(
      () => fleetStatus({ redis: redis.url }),
      (s) => s.counts.completed + s.counts.failed === 4,
    );
    expect(status.jobs.filter((j) => j.state === 'failed').map((j) => j.error)).toEqual([]);
    expect(status.jobs.filter((j) => j.state === 'completed').map((j) => j.frames)).toEqual([90, 90, 90, 90]);

    // Exactly the outputs, once; no staging; one done marker per job.
    const files = tree(outDir);
    const visible = files.filter((f) => !f.startsWith('.seg-stream/'));
    for (let i = 0; i < 4; i++) {
      expect(visible).toContain(`drive${i}.mp4`);
      expect(visible.filter((f) => f.startsWith(`drive${i}-masks/`))).toHaveLength(90);
    }
    expect(visible).toHaveLength(4 * 91);
    expect(files.filter((f) => f.startsWith('.seg-stream/')).sort()).toEqual(
      jobs.map((j) => `.seg-stream/done/${j.id}.json`).sort(),
    );

    // The killed job's outputs equal a clean local run of the same file.
    const victimInput = jobs.find((j) => j.id === victimJob)!.input;
    const stem = path.basename(victimInput, '.mp4');
    const local = path.join(tmp.dir, 'local');
    execFileSync('mkdir', ['-p', local]);
    const run = await runCli(
      [
        victimInput,
        '-o',
        path.join(local, 'o.mp4'),
        '--masks',
        path.join(local, 'masks'),
        '--threads',
        '1',
        '--workers',
        '1',
        '-q',
      ],
      { timeoutMs: 120_000 },
    );
    expect(run.stderr).toMatch(/^seg-stream: 90 frames/);
    expect(run.code).toBe(0);
    for (const name of readdirSync(path.join(local, 'masks'))) {
      expect(
        readFileSync(path.join(outDir, `${stem}-masks`, name)).equals(readFileSync(path.join(local, 'masks', name))),
      ).toBe(true);
    }
    const fleetVideo = probe(path.join(outDir, `${stem}.mp4`)).video;
    const localVideo = probe(path.join(local, 'o.mp4')).video;
    expect(fleetVideo).toEqual(localVideo);
    // The takeover was logged by a surviving worker.
    expect(
      workers
        .filter((w) => w !== victim)
        .some((w) => w.events.some((e) => e.type === 'active' && e.jobId === victimJob)),
    ).toBe(true);
  }, 400_000);

  it('a worker that stalls past its lock loses the job to another and publishes nothing; one complete output', async () => {
    await redis.stop();
    redis = await startRedis();
    const dir = path.join(tmp.dir, 'stall');
    execFileSync('mkdir', ['-p', path.join(dir, 'out')]);
    const input = path.join(dir, 'long.mp4');
    await makeIndexedVideo(input, { width: 160, height: 96, frames: 250, fps: '25/1' });
    const add = await runCli([
      'queue',
      'add',
      input,
      '--redis',
      redis.url,
      '--masks',
      path.join(dir, 'out', 'masks'),
      '-o',
      path.join(dir, 'out', 'long.mp4'),
      '--json',
    ]);
    expect(add.code).toBe(0);
    const a = startWorkerProcess(redis.url, [...FAST, '--name', 'a']);
    workers.push(a);
    const [jobId] = (JSON.parse(add.stdout).jobs as { id: string }[]).map((j) => j.id);
    await a.waitFor((e) => e.type === 'active');
    await until(
      () => fleetStatus({ redis: redis.url }),
      (s) => (s.jobs[0]?.frames ?? 0) > 10,
    );
    // Everything in worker a stops (event loop, threads): its lock expires and b takes the job over.
    a.kill('SIGSTOP');
    const b = startWorkerProcess(redis.url, [...FAST, '--name', 'b']);
    workers.push(b);
    await b.waitFor((e) => e.type === 'active' && e.jobId === jobId, 120_000);
    a.kill('SIGCONT');
    await a.waitFor((e) => e.type === 'lock-lost' && e.jobId === jobId, 120_000);
    const status = await until(
      () => fleetStatus({ redis: redis.url }),
      (s) => s.counts.completed + s.counts.failed === 1,
    );
    expect(status.counts.completed).toBe(1);
    // b's event line may reach this process after Redis counts the job done: wait for it (it fails if it never comes).
    await b.waitFor((e) => e.type === 'completed' && e.jobId === jobId, 60_000);
    expect(a.events.some((e) => e.type === 'completed' && e.jobId === jobId)).toBe(false);
    const files = tree(path.join(dir, 'out'));
    expect(files.filter((f) => f.startsWith('masks/'))).toHaveLength(250);
    expect(files.filter((f) => !f.startsWith('masks/'))).toEqual(['.seg-stream/done/' + jobId + '.json', 'long.mp4']);
    expect(probe(path.join(dir, 'out', 'long.mp4')).video.frames).toBe(250);
    // SIGTERM: a worker with nothing to do exits 0 at once.
    a.kill('SIGTERM');
    b.kill('SIGTERM');
    expect(await a.exited).toBe(0);
    expect(await b.exited).toBe(0);
  }, 300_000);

  it('a corrupt file fails its own job with its code (no retries); the others finish; status shows the code', async () => {
    await redis.stop();
    redis = await startRedis();
    const dir = path.join(tmp.dir, 'bad');
    execFileSync('mkdir', ['-p', path.join(dir, 'in'), path.join(dir, 'out')]);
    await makeIndexedVideo(path.join(dir, 'in', 'good.mp4'), { width: 160, height: 96, frames: 20, fps: '25/1' });
    writeFileSync(path.join(dir, 'in', 'broken.mp4'), Buffer.alloc(4096, 7));
    const add = await runCli([
      'queue',
      'add',
      path.join(dir, 'in', 'good.mp4'),
      path.join(dir, 'in', 'broken.mp4'),
      '--redis',
      redis.url,
      '--masks',
      path.join(dir, 'out', '{stem}'),
    ]);
    expect(add.code).toBe(0);
    const w = startWorkerProcess(redis.url, FAST);
    workers.push(w);
    const status = await until(
      () => fleetStatus({ redis: redis.url }),
      (s) => s.counts.completed + s.counts.failed === 2,
    );
    expect(status.counts.completed).toBe(1);
    const failed = status.jobs.find((j) => j.state === 'failed')!;
    expect(failed.input).toBe(path.join(dir, 'in', 'broken.mp4'));
    expect(failed.error?.code).toMatch(/^SEGSTREAM_ERR_INPUT_(NOT_VIDEO|CORRUPT)$/);
    expect(failed.attempts).toBe(1);
    expect(existsSync(path.join(dir, 'out', 'good'))).toBe(true);
    expect(existsSync(path.join(dir, 'out', 'broken'))).toBe(false);
    expect(tree(path.join(dir, 'out')).filter((f) => f.includes('staging'))).toEqual([]);
    const text = await runCli(['queue', 'status', '--redis', redis.url]);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/1 done, 1 failed/);
    expect(text.stdout).toContain(`${failed.error?.code}: `);
    // Adding the same work again runs the failed job again (and only that one).
    const again = await runCli([
      'queue',
      'add',
      path.join(dir, 'in', 'good.mp4'),
      path.join(dir, 'in', 'broken.mp4'),
      '--redis',
      redis.url,
      '--masks',
      path.join(dir, 'out', '{stem}'),
      '--json',
    ]);
    expect((JSON.parse(again.stdout).jobs as { state: string }[]).map((j) => j.state)).toEqual(['done', 'retried']);
    await w.waitFor((e) => e.type === 'failed' && w.events.filter((x) => x.type === 'failed').length === 2);
    w.kill('SIGTERM');
    expect(await w.exited).toBe(0);
  }, 200_000);

  it('a dataset becomes one job per sequence and a join merges the JSONL and the scores: equal to a local run', async () => {
    await redis.stop();
    redis = await startRedis();
    const dir = path.join(tmp.dir, 'seq');
    // A Cityscapes-layout dataset: two cities, frames with ground truth (road below, sky above).
    for (const [city, count] of [
      ['aachen', 5],
      ['bremen', 4],
    ] as const) {
      const video = path.join(dir, `${city}.mp4`);
      const images = path.join(dir, 'ds', 'leftImg8bit', 'val', city);
      const labels = path.join(dir, 'ds', 'gtFine', 'val', city);
      execFileSync('mkdir', ['-p', images, labels]);
      await makeIndexedVideo(video, { width: 160, height: 96, frames: count, fps: '10/1' });
      execFileSync('ffmpeg', ['-v', 'error', '-i', video, path.join(images, `${city}_000000_%06d_leftImg8bit.png`)]);
      for (let i = 1; i <= count; i++) {
        execFileSync('ffmpeg', [
          '-v',
          'error',
          '-f',
          'lavfi',
          '-i',
          'color=c=black:s=160x96',
          '-vf',
          `geq=lum='if(lt(Y,H/2),23,7)'`,
          '-frames:v',
          '1',
          '-pix_fmt',
          'gray',
          path.join(labels, `${city}_000000_${String(i).padStart(6, '0')}_gtFine_labelIds.png`),
        ]);
      }
    }
    const add = await runCli([
      'queue',
      'add',
      path.join(dir, 'ds'),
      '--redis',
      redis.url,
      '--masks',
      path.join(dir, 'out', 'masks'),
      '--free-space-json',
      path.join(dir, 'out', 'fs.jsonl'),
      '--json',
    ]);
    expect(add.stderr).toBe('');
    const jobs = JSON.parse(add.stdout).jobs as { kind: string; children?: number }[];
    expect(jobs).toMatchObject([{ kind: 'join', children: 2 }]);
    const w = startWorkerProcess(redis.url, FAST);
    workers.push(w);
    const status = await until(
      () => fleetStatus({ redis: redis.url }),
      (s) => s.counts.completed + s.counts.failed === 3,
    );
    expect(status.counts.failed).toBe(0);
    const local = await runCli([
      path.join(dir, 'ds'),
      '--masks',
      path.join(dir, 'local', 'masks'),
      '--free-space-json',
      path.join(dir, 'local', 'fs.jsonl'),
      '--threads',
      '1',
      '--workers',
      '1',
      '-q',
    ]);
    expect(local.code).toBe(0);
    // The fleet's done markers live in hidden .seg-stream folders beside the outputs.
    const files = (root: string) => tree(root).filter((f) => !f.split('/').includes('.seg-stream'));
    expect(files(path.join(dir, 'out', 'masks'))).toEqual(files(path.join(dir, 'local', 'masks')));
    for (const f of files(path.join(dir, 'local', 'masks')).filter((n) => n.endsWith('.png'))) {
      expect(
        readFileSync(path.join(dir, 'out', 'masks', f)).equals(readFileSync(path.join(dir, 'local', 'masks', f))),
      ).toBe(true);
    }
    expect(readFileSync(path.join(dir, 'out', 'fs.jsonl'), 'utf8')).toBe(
      readFileSync(path.join(dir, 'local', 'fs.jsonl'), 'utf8'),
    );
    // One manifest over both sequences, with the dataset's scores equal to the local run's.
    const manifest = (root: string) =>
      JSON.parse(readFileSync(path.join(root, 'manifest.json'), 'utf8')) as {
        scores: unknown[];
        sequences: { id: string }[];
        frames: number;
      };
    const fleet = manifest(path.join(dir, 'out', 'masks'));
    const one = manifest(path.join(dir, 'local', 'masks'));
    expect(fleet.scores).toHaveLength(1);
    expect(fleet.scores).toEqual(one.scores);
    expect(fleet.sequences.map((q) => q.id)).toEqual(one.sequences.map((q) => q.id));
    expect(fleet.frames).toBe(9);
    // The parts the join merged are gone; nothing staged is left.
    expect(tree(path.join(dir, 'out')).filter((f) => f.includes('/parts/') || f.includes('staging'))).toEqual([]);
    w.kill('SIGTERM');
    expect(await w.exited).toBe(0);
  }, 200_000);

  it('refuses outputs that exist, and says so when Redis cannot be reached (credentials never shown)', async () => {
    const dir = path.join(tmp.dir, 'refuse');
    execFileSync('mkdir', ['-p', dir]);
    const input = path.join(dir, 'a.mp4');
    await makeIndexedVideo(input, { width: 64, height: 48, frames: 3, fps: '25/1' });
    writeFileSync(path.join(dir, 'a-out.mp4'), 'mine');
    const exists = await runCli(['queue', 'add', input, '--redis', redis.url, '-o', path.join(dir, '{stem}-out.mp4')]);
    expect(exists.code).toBe(2);
    expect(exists.stderr).toMatch(/^seg-stream: SEGSTREAM_ERR_INVALID_OPTION: -o .*a-out\.mp4 exists already/);
    expect(readFileSync(path.join(dir, 'a-out.mp4'), 'utf8')).toBe('mine');
    execFileSync('cp', [input, path.join(dir, 'b.mp4')]);
    const clash = await runCli([
      'queue',
      'add',
      input,
      path.join(dir, 'b.mp4'),
      '--redis',
      redis.url,
      '-o',
      path.join(dir, 'same.mp4'),
    ]);
    expect(clash.code).toBe(2);
    expect(clash.stderr).toMatch(/would both write .*same\.mp4; put \{stem\}/);
    const down = `redis://:hunter2@127.0.0.1:${redis.port}`;
    await redis.stop();
    for (const args of [
      ['queue', 'add', input, '--redis', down, '--masks', path.join(dir, 'm')],
      ['queue', 'status', '--redis', down],
      ['worker', '--redis', down],
    ]) {
      const r = await runCli(args, { timeoutMs: 30_000 });
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(
        /^seg-stream: SEGSTREAM_ERR_REDIS_UNAVAILABLE: cannot reach Redis at redis:\/\/\*\*\*@127\.0\.0\.1:\d+/,
      );
      expect(r.stderr + r.stdout).not.toContain('hunter2');
    }
    redis = await startRedis();
  }, 120_000);

  it('a worker rides out a Redis restart and goes on taking jobs', async () => {
    await redis.stop();
    redis = await startRedis();
    const w = startWorkerProcess(redis.url, FAST);
    workers.push(w);
    await w.waitFor((e) => e.type === 'ready');
    await redis.stop();
    await w.waitFor((e) => e.type === 'redis' && e.state === 'lost', 30_000);
    redis = await startRedis(redis.port);
    await w.waitFor((e) => e.type === 'redis' && e.state === 'back', 30_000);
    const dir = path.join(tmp.dir, 'restart');
    execFileSync('mkdir', ['-p', dir]);
    await makeIndexedVideo(path.join(dir, 'a.mp4'), { width: 64, height: 48, frames: 5, fps: '25/1' });
    expect(
      (
        await runCli([
          'queue',
          'add',
          path.join(dir, 'a.mp4'),
          '--redis',
          redis.url,
          '--masks',
          path.join(dir, 'masks'),
        ])
      ).code,
    ).toBe(0);
    await w.waitFor((e) => e.type === 'completed', 60_000);
    expect(readdirSync(path.join(dir, 'masks'))).toHaveLength(5);
    w.kill('SIGTERM');
    expect(await w.exited).toBe(0);
  }, 120_000);

  it('SIGTERM lets the running job finish, then the worker exits 0; status --watch --json refreshes until stopped', async () => {
    await redis.stop();
    redis = await startRedis();
    const dir = path.join(tmp.dir, 'term');
    execFileSync('mkdir', ['-p', dir]);
    await makeIndexedVideo(path.join(dir, 'a.mp4'), { width: 160, height: 96, frames: 150, fps: '25/1' });
    expect(
      (
        await runCli([
          'queue',
          'add',
          path.join(dir, 'a.mp4'),
          '--redis',
          redis.url,
          '--masks',
          path.join(dir, 'masks'),
        ])
      ).code,
    ).toBe(0);
    const w = startWorkerProcess(redis.url, FAST);
    workers.push(w);
    await w.waitFor((e) => e.type === 'active');
    await until(
      () => fleetStatus({ redis: redis.url }),
      (s) => (s.jobs[0]?.frames ?? 0) > 5,
    );
    w.kill('SIGTERM');
    expect(await w.exited).toBe(0);
    expect(w.events.some((e) => e.type === 'completed')).toBe(true);
    expect(readdirSync(path.join(dir, 'masks'))).toHaveLength(150);
    const { spawn } = await import('node:child_process');
    const { binPath } = await import('../helpers/cli.js');
    const watch = spawn(process.execPath, [binPath, 'queue', 'status', '--redis', redis.url, '--watch', '--json'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    watch.stdout.on('data', (d) => (out += d));
    for (let i = 0; i < 100 && out.split('\n').filter(Boolean).length < 2; i++)
      await new Promise((r) => setTimeout(r, 100));
    watch.kill('SIGINT');
    const code = await new Promise((r) => watch.once('exit', r));
    expect(code).toBe(0);
    const frames = out
      .split('\n')
      .filter(Boolean)
      .map((l) => (JSON.parse(l) as FleetStatus).counts.completed);
    expect(frames.length).toBeGreaterThanOrEqual(2);
    expect(frames.every((c) => c === 1)).toBe(true);
  }, 120_000);

  it('the worker stop policy: the first SIGTERM finishes, a second hands the running job back at once and exits 0', async () => {
    await redis.stop();
    redis = await startRedis();
    const dir = path.join(tmp.dir, 'ladder');
    execFileSync('mkdir', ['-p', dir]);
    await makeIndexedVideo(path.join(dir, 'a.mp4'), { width: 160, height: 96, frames: 500, fps: '25/1' });
    expect(
      (
        await runCli([
          'queue',
          'add',
          path.join(dir, 'a.mp4'),
          '--redis',
          redis.url,
          '--masks',
          path.join(dir, 'masks'),
        ])
      ).code,
    ).toBe(0);
    const said = async (w: WorkerProcess, text: string) => {
      while (!w.stderr().includes(text)) await new Promise((r) => setTimeout(r, 50));
    };
    const a = startWorkerProcess(redis.url, FAST);
    workers.push(a);
    await a.waitFor((e) => e.type === 'active');
    a.kill('SIGTERM');
    await said(a, 'SIGTERM: finishing the jobs running now (again to hand them back)');
    a.kill('SIGTERM');
    await said(a, 'SIGTERM again: handing the jobs back to the queue (again to abort)');
    expect(await a.exited).toBe(0);
    expect(a.events.some((e) => e.type === 'handed-back')).toBe(true);
    expect(a.events.some((e) => e.type === 'completed')).toBe(false);
    const back = await fleetStatus({ redis: redis.url });
    expect(back.counts.completed).toBe(0);
    expect(back.counts.waiting + back.counts.prioritized + back.counts.delayed).toBe(1);
  }, 300_000);

  it('a starting worker removes the staging a killed worker left for a job that is gone', async () => {
    await redis.stop();
    redis = await startRedis();
    const dir = path.join(tmp.dir, 'sweep');
    execFileSync('mkdir', ['-p', dir]);
    await makeIndexedVideo(path.join(dir, 'a.mp4'), { width: 160, height: 96, frames: 200, fps: '25/1' });
    const add = await runCli([
      'queue',
      'add',
      path.join(dir, 'a.mp4'),
      '--redis',
      redis.url,
      '--masks',
      path.join(dir, 'out', 'masks'),
      '--json',
    ]);
    const [jobId] = (JSON.parse(add.stdout).jobs as { id: string }[]).map((j) => j.id);
    const a = startWorkerProcess(redis.url, FAST);
    workers.push(a);
    await until(
      () => fleetStatus({ redis: redis.url }),
      (s) => (s.jobs[0]?.frames ?? 0) > 5,
    );
    a.kill('SIGKILL');
    await a.exited;
    const staging = path.join(dir, 'out', '.seg-stream', 'staging');
    expect(readdirSync(staging)).toHaveLength(1);
    // The job is removed (its lock expired first), so no attempt will ever clean up after it.
    const { Queue } = await import('bullmq');
    const { Redis } = await import('ioredis');
    const connection = new Redis(redis.url, { maxRetriesPerRequest: null });
    const queue = new Queue('files', { connection, prefix: 'seg-stream' });
    for (let i = 0; i < 50 && !(await queue.remove(jobId)); i++) await new Promise((r) => setTimeout(r, 200));
    await queue.close();
    connection.disconnect();
    const b = startWorkerProcess(redis.url, FAST);
    workers.push(b);
    await b.waitFor((e) => e.type === 'swept');
    expect(existsSync(staging)).toBe(false);
    b.kill('SIGTERM');
    expect(await b.exited).toBe(0);
  }, 120_000);

  it('a long video cut into chunks runs on 2 workers and the join equals a one-machine run', async () => {
    await redis.stop();
    redis = await startRedis();
    const dir = path.join(tmp.dir, 'chunks');
    execFileSync('mkdir', ['-p', path.join(dir, 'out'), path.join(dir, 'local')]);
    const input = path.join(dir, 'long.mp4');
    // 6 s at 25 fps with a key frame every second, and audio.
    execFileSync('ffmpeg', [
      '-v',
      'error',
      '-f',
      'lavfi',
      '-i',
      'testsrc2=size=192x108:rate=25',
      '-f',
      'lavfi',
      '-i',
      'sine=frequency=440:sample_rate=48000',
      '-t',
      '6',
      '-c:v',
      'libx264',
      '-preset',
      'ultrafast',
      '-g',
      '25',
      '-pix_fmt',
      'yuv420p',
      '-c:a',
      'aac',
      '-shortest',
      input,
    ]);
    const out = (f: string) => path.join(dir, 'out', f);
    const add = await runCli([
      'queue',
      'add',
      input,
      '--redis',
      redis.url,
      '-o',
      out('{stem}.mp4'),
      '--masks',
      out('{stem}-masks'),
      '--stats',
      out('{stem}.jsonl'),
      '--chunk',
      '2s',
      '--json',
    ]);
    expect(add.stderr).toBe('');
    const [join] = JSON.parse(add.stdout).jobs as { kind: string; children: number }[];
    expect(join).toMatchObject({ kind: 'join', children: 3 });
    const ws = [
      startWorkerProcess(redis.url, [...FAST, '--name', 'c1']),
      startWorkerProcess(redis.url, [...FAST, '--name', 'c2']),
    ];
    workers.push(...ws);
    const status = await until(
      () => fleetStatus({ redis: redis.url }),
      (s) => s.counts.completed + s.counts.failed === 4,
    );
    expect(status.jobs.filter((j) => j.state === 'failed').map((j) => j.error)).toEqual([]);
    // Both workers ran chunks.
    for (const w of ws) expect(w.events.some((e) => e.type === 'active' && e.kind === 'chunk')).toBe(true);
    const local = await runCli([
      input,
      '-o',
      path.join(dir, 'local', 'long.mp4'),
      '--masks',
      path.join(dir, 'local', 'masks'),
      '--stats',
      path.join(dir, 'local', 'long.jsonl'),
      '--threads',
      '1',
      '--workers',
      '1',
      '-q',
    ]);
    expect(local.code).toBe(0);
    const a = probe(out('long.mp4'));
    const b = probe(path.join(dir, 'local', 'long.mp4'));
    expect(a.video).toEqual(b.video);
    expect(a.audio).toHaveLength(1);
    expect(Math.abs(a.audio[0].duration - b.audio[0].duration)).toBeLessThan(0.03);
    const names = readdirSync(path.join(dir, 'local', 'masks')).sort();
    expect(readdirSync(out('long-masks')).sort()).toEqual(names);
    for (const n of names)
      expect(
        readFileSync(path.join(out('long-masks'), n)).equals(readFileSync(path.join(dir, 'local', 'masks', n))),
      ).toBe(true);
    const fields = (f: string) =>
      readFileSync(f, 'utf8')
        .trim()
        .split('\n')
        .map((l) => {
          const j = JSON.parse(l);
          return [j.index, j.sourceIndex, j.pts];
        });
    expect(fields(out('long.jsonl'))).toEqual(fields(path.join(dir, 'local', 'long.jsonl')));
    // Parts and staging are gone: only the outputs and the done markers remain.
    expect(
      tree(path.join(dir, 'out')).filter((f) => f.startsWith('.seg-stream/') && !f.startsWith('.seg-stream/done/')),
    ).toEqual([]);
    for (const w of ws) w.kill('SIGTERM');
    for (const w of ws) expect(await w.exited).toBe(0);
  }, 300_000);
});
