/**
 * The fleet keeps the promises a local run keeps, with a real redis-server and real worker
 * processes: unwritable outputs are refused at add time (and fail a job at once when they turn
 * unwritable later), the done marker and its outputs decide whether work is done, and the model
 * is resolved when the work is added.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { makeIndexedVideo, tempDir } from '../helpers/media.js';
import {
  redisAvailable,
  startRedis,
  startWorkerProcess,
  type RedisServer,
  type WorkerProcess,
} from '../helpers/redis.js';
import { fleetStatus } from '../../src/fleet/status.js';

const FAST = ['--lock-duration', '2', '--stalled-interval', '1'];
const haveRedis = redisAvailable();

interface AddedJob {
  id: string;
  state: string;
}

describe.skipIf(!haveRedis)('fleet: the promises of a local run', () => {
  let redis: RedisServer;
  let tmp: ReturnType<typeof tempDir>;
  let input: string;
  const workers: WorkerProcess[] = [];
  beforeAll(async () => {
    tmp = tempDir('segstream-fleet-promises-');
    input = path.join(tmp.dir, 'drive.mp4');
    await makeIndexedVideo(input, { width: 64, height: 48, frames: 3, fps: '25/1' });
  });
  beforeEach(async () => {
    await redis?.stop();
    redis = await startRedis();
  });
  afterAll(async () => {
    for (const w of workers) w.kill('SIGKILL');
    await Promise.all(workers.map((w) => w.exited));
    await redis?.stop();
    tmp?.cleanup();
  });

  const add = async (args: string[]) => {
    const r = await runCli(['queue', 'add', input, '--redis', redis.url, '--json', ...args]);
    return { ...r, jobs: r.code === 0 ? (JSON.parse(r.stdout).jobs as AddedJob[]) : [] };
  };
  const queued = async () => {
    const { counts } = await fleetStatus({ redis: redis.url });
    return Object.values(counts).reduce((n, c) => n + c, 0);
  };

  it('refuses an output under a regular file at add time with OUTPUT_UNWRITABLE, as a local run does', async () => {
    const dir = path.join(tmp.dir, 'under-file');
    execFileSync('mkdir', ['-p', dir]);
    const file = path.join(dir, 'file.txt');
    writeFileSync(file, 'mine');
    const local = await runCli([input, '-o', path.join(file, 'drive.mp4'), '--threads', '1', '--workers', '1', '-q']);
    expect(local.code).toBe(1);
    expect(local.stderr).toMatch(/^seg-stream: SEGSTREAM_ERR_OUTPUT_UNWRITABLE: /);
    for (const outputs of [
      ['-o', path.join(file, '{stem}.mp4')],
      ['--masks', path.join(file, 'sub', '{stem}')],
      ['--masks', path.join(dir, 'm'), '--stats', path.join(file, 's.jsonl')],
    ]) {
      const r = await add(outputs);
      expect(r.code, r.stderr).toBe(1);
      expect(r.stderr).toMatch(/^seg-stream: SEGSTREAM_ERR_OUTPUT_UNWRITABLE: .*file\.txt/);
      expect(r.stderr).not.toMatch(/ENOTDIR|SEGSTREAM_ERR_INTERNAL/);
    }
    expect(await queued()).toBe(0);
    expect(readFileSync(file, 'utf8')).toBe('mine');
    expect(readdirSync(dir)).toEqual(['file.txt']);
    // A folder that does not exist yet is still fine: the fleet creates it when it publishes.
    const fresh = await add(['-o', path.join(dir, 'new', 'deeper', '{stem}.mp4')]);
    expect(fresh.stderr).toBe('');
    expect(fresh.jobs.map((j) => j.state)).toEqual(['added']);
  }, 120_000);

  it('a worker that meets an unwritable output fails the job at once with OUTPUT_UNWRITABLE (no retries)', async () => {
    const dir = path.join(tmp.dir, 'turned-file');
    execFileSync('mkdir', ['-p', dir]);
    const later = path.join(dir, 'later');
    const r = await add(['-o', path.join(later, '{stem}.mp4'), '--masks', path.join(later, '{stem}-masks')]);
    expect(r.jobs.map((j) => j.state)).toEqual(['added']);
    // Between the add and the run, a file takes the place of the output folder.
    writeFileSync(later, 'mine');
    const w = startWorkerProcess(redis.url, FAST);
    workers.push(w);
    const failed = await w.waitFor((e) => e.type === 'failed');
    expect(failed).toMatchObject({ jobId: r.jobs[0].id, code: 'SEGSTREAM_ERR_OUTPUT_UNWRITABLE', willRetry: false });
    expect(failed.message).not.toMatch(/ENOTDIR .*mkdir/);
    const status = await fleetStatus({ redis: redis.url });
    expect(status.counts.failed).toBe(1);
    expect(status.jobs[0]).toMatchObject({
      state: 'failed',
      attempts: 1,
      error: { code: 'SEGSTREAM_ERR_OUTPUT_UNWRITABLE', context: { option: 'output' } },
    });
    // The library names the option; the worker's event and queue status (text and --json) name the flag.
    expect(status.jobs[0].error!.message).toMatch(/^cannot write `output` /);
    expect(failed.message).toMatch(/^cannot write -o /);
    // BullMQ keeps the failure as the coded error itself (JSON), not as text to take apart.
    const { Queue } = await import('bullmq');
    const { Redis } = await import('ioredis');
    const connection = new Redis(redis.url, { maxRetriesPerRequest: null });
    const queue = new Queue('files', { connection, prefix: 'seg-stream' });
    const reason = (await queue.getJob(r.jobs[0].id))!.failedReason;
    await queue.close();
    connection.disconnect();
    expect(JSON.parse(reason)).toMatchObject({
      code: 'SEGSTREAM_ERR_OUTPUT_UNWRITABLE',
      context: { option: 'output' },
    });
    const text = await runCli(['queue', 'status', '--redis', redis.url]);
    expect(text.stdout).toMatch(/failed .* SEGSTREAM_ERR_OUTPUT_UNWRITABLE: cannot write -o /);
    const json = await runCli(['queue', 'status', '--redis', redis.url, '--json']);
    expect(JSON.parse(json.stdout).jobs[0].error).toMatchObject({
      code: 'SEGSTREAM_ERR_OUTPUT_UNWRITABLE',
      message: expect.stringMatching(/^cannot write -o .*later/),
      context: { option: 'output' },
    });
    expect(readFileSync(later, 'utf8')).toBe('mine');
    w.kill('SIGTERM');
    expect(await w.exited).toBe(0);
  }, 120_000);

  it('the done marker and its outputs decide: "already done" while they exist, the work runs again once they are deleted', async () => {
    const out = path.join(tmp.dir, 'redo');
    const outputs = ['-o', path.join(out, '{stem}.mp4'), '--masks', path.join(out, '{stem}-masks')];
    const first = await add(outputs);
    expect(first.jobs.map((j) => j.state)).toEqual(['added']);
    const [id] = first.jobs.map((j) => j.id);
    const w = startWorkerProcess(redis.url, FAST);
    workers.push(w);
    const completions = () =>
      w.events.filter((e) => e.type === 'completed' && e.jobId === id && e.alreadyDone === false).length;
    await w.waitFor(() => completions() === 1);
    const done = await runCli(['queue', 'add', input, '--redis', redis.url, ...outputs]);
    expect(done.stderr).toMatch(
      /^seg-stream: already done video-.*\nseg-stream: 0 job\(s\) added, 0 already queued, 1 already done\n$/,
    );

    // The user deletes every output: adding the work again runs it again.
    rmSync(path.join(out, 'drive.mp4'));
    rmSync(path.join(out, 'drive-masks'), { recursive: true });
    expect((await add(outputs)).jobs.map((j) => j.state)).toEqual(['added']);
    await w.waitFor(() => completions() === 2);
    expect(readdirSync(path.join(out, 'drive-masks'))).toHaveLength(3);
    expect(existsSync(path.join(out, 'drive.mp4'))).toBe(true);
    expect((await add(outputs)).jobs.map((j) => j.state)).toEqual(['done']);

    // Only one of them deleted: the others are this job's own work, so it runs again too.
    rmSync(path.join(out, 'drive.mp4'));
    expect((await add(outputs)).jobs.map((j) => j.state)).toEqual(['added']);
    await w.waitFor(() => completions() === 3);
    expect(existsSync(path.join(out, 'drive.mp4'))).toBe(true);
    expect(readdirSync(path.join(out, 'drive-masks'))).toHaveLength(3);
    expect(readdirSync(path.join(out, '.seg-stream'))).toEqual(['done']);
    w.kill('SIGTERM');
    expect(await w.exited).toBe(0);
  }, 240_000);

  it('queue add --model: a model that does not exist fails the add with MODEL_NOT_FOUND; a valid one is accepted', async () => {
    const out = path.join(tmp.dir, 'model');
    const noCard = path.join(tmp.dir, 'no-card');
    execFileSync('mkdir', ['-p', noCard]);
    for (const model of ['no-such-model', noCard]) {
      const r = await add(['--masks', path.join(out, '{stem}'), '--model', model]);
      expect(r.code, r.stderr).toBe(1);
      expect(r.stderr).toMatch(/^seg-stream: SEGSTREAM_ERR_MODEL_NOT_FOUND: /);
    }
    expect(await queued()).toBe(0);
    const ok = await add(['--masks', path.join(out, '{stem}'), '--model', 'camvid-fast']);
    expect(ok.stderr).toBe('');
    expect(ok.jobs.map((j) => j.state)).toEqual(['added']);
  }, 120_000);
});
