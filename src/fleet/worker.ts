/**
 * A fleet worker: takes jobs from the fleet's BullMQ queues and runs each as one run of the run
 * core (`segmentVideo`, `runFolders`), writing into an {@link Attempt}'s staging and publishing
 * with renames and a done marker (exactly-once outputs on at-least-once delivery).
 *
 * Locks: BullMQ renews a job's lock every `lockDurationMs / 2` while the run goes (inference,
 * decoding and encoding are off the event loop: engine thread, worker pool, ffmpeg). A worker
 * that cannot renew (its event loop was blocked, Redis lost it) aborts the run and discards its
 * staging; before publishing, the lock is checked once more. Live workers' stalled checks move
 * a dead worker's job back to waiting within `stalledIntervalMs + lockDurationMs`.
 */
import { rm } from 'node:fs/promises';
import { hostname } from 'node:os';
import { UnrecoverableError, WaitingError, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { ErrorCodes, SegStreamError, isSegStreamError, toSegStreamError, type ErrorCode } from '../errors.js';
import { redact } from '../process/redact.js';
import type { Progress } from '../runs/public.js';
import { Attempt, readDoneMarker, sweepStagingDir } from './attempt.js';
import { FILES_QUEUE, FLEET_PREFIX, LIVE_QUEUE, type FleetJobData, type FleetJobResult } from './jobs.js';
import { assertRedisReachable, connectRedis, fleetQueue } from './redis.js';
import { runJob, type MachineOptions } from './run-job.js';

/** Defaults of the lock and stall settings (BullMQ's). */
export const FLEET_LOCK_DEFAULTS = Object.freeze({ lockDurationMs: 30_000, stalledIntervalMs: 30_000, maxStalledCount: 2 });

/** Redis hash of staging places being written: field = staging folder, value = owner. */
const STAGING_KEY = `${FLEET_PREFIX}:staging`;

/** Options of {@link startWorker}. */
export interface StartWorkerOptions extends MachineOptions {
  /** `redis://[user:pass@]host:port[/db]`. */
  redis: string;
  /** Jobs run at once by this worker (default 1: one run already uses every core). */
  concurrency?: number;
  /** Queues served (default both: video files / frame sequences, and live cameras). */
  queues?: ('files' | 'live')[];
  /** How long a job's lock lasts without renewal (default 30 s). */
  lockDurationMs?: number;
  /** How often this worker looks for jobs whose worker died (default 30 s). */
  stalledIntervalMs?: number;
  /** Times a job may be taken back from a dead worker before it fails (default 2). */
  maxStalledCount?: number;
  /** Name shown in `queue status` (default host:pid). */
  name?: string;
  /** What the worker does, for a log: started, finished or failed jobs, lost locks, Redis state. */
  onEvent?: (event: WorkerEvent) => void;
}

/** What a worker reports. */
export type WorkerEvent =
  | { type: 'ready'; name: string }
  | { type: 'active'; jobId: string; kind: string; input: string }
  | { type: 'completed'; jobId: string; frames: number; fps: number; alreadyDone: boolean }
  | { type: 'failed'; jobId: string; code: string; message: string; willRetry: boolean }
  | { type: 'lock-lost'; jobId: string }
  | { type: 'handed-back'; jobId: string }
  | { type: 'swept'; dir: string }
  | { type: 'redis'; state: 'lost' | 'back'; message?: string };

/** A running worker. */
export interface FleetWorker {
  readonly name: string;
  /**
   * Stops taking jobs. `finish`: the jobs running now finish (live cameras are handed back: they
   * never finish); `hand-back`: every running job is stopped and put back in its queue at once.
   */
  close(how?: 'finish' | 'hand-back'): Promise<void>;
}

interface Active {
  job: Job<FleetJobData, FleetJobResult>;
  token: string;
  stop: AbortController;
  why?: 'lock-lost' | 'hand-back';
}

/**
 * Starts a worker on the fleet's queues.
 *
 * @example
 * ```ts
 * const worker = await startWorker({ redis: 'redis://q:6379' });
 * process.on('SIGTERM', () => void worker.close('finish'));
 * ```
 * @throws {SegStreamError} `SEGSTREAM_ERR_REDIS_UNAVAILABLE` when Redis cannot be reached at start
 */
export async function startWorker(options: StartWorkerOptions): Promise<FleetWorker> {
  const name = options.name ?? `${hostname()}:${process.pid}`;
  const emit = options.onEvent ?? (() => {});
  const lockDuration = options.lockDurationMs ?? FLEET_LOCK_DEFAULTS.lockDurationMs;
  const client = connectRedis(options.redis, 'worker');
  await assertRedisReachable(client, options.redis).catch(async (err) => {
    client.disconnect();
    throw err;
  });
  let redisLost = false;
  client.on('close', () => {
    if (!redisLost) emit({ type: 'redis', state: 'lost', message: `connection to ${redact(options.redis)} lost; reconnecting` });
    redisLost = true;
  });
  client.on('ready', () => {
    if (redisLost) emit({ type: 'redis', state: 'back' });
    redisLost = false;
  });
  const queueNames = options.queues ?? ['files', 'live'];
  const queues = new Map(queueNames.map((q) => (q === 'live' ? LIVE_QUEUE : FILES_QUEUE)).map((name) => [name, fleetQueue(name, client)]));
  await sweepStaging(client, queues, emit);

  const active = new Map<string, Active>();
  let closing: 'finish' | 'hand-back' | undefined;

  const processor = async (job: Job<FleetJobData, FleetJobResult>, token?: string, signal?: AbortSignal): Promise<FleetJobResult> => {
    const stop = new AbortController();
    const entry: Active = { job, token: token ?? '', stop };
    active.set(job.id!, entry);
    const onBullAbort = () => stop.abort();
    signal?.addEventListener('abort', onBullAbort, { once: true });
    emit({ type: 'active', jobId: job.id!, kind: job.data.kind, input: redact(job.data.input) });
    const attempt = job.data.kind === 'live' ? undefined : new Attempt(job.id!, job.data.outputs);
    try {
      // A job taken just as the worker stops goes straight back.
      if (closing) {
        entry.why = 'hand-back';
        throw stopError(entry);
      }
      if (attempt) {
        const done = await readDoneMarker<FleetJobResult>(job.id!, job.data.outputs);
        if (done) return { ...done, alreadyDone: true };
        // Registered before it exists, so a kill at any point leaves nothing a starting worker cannot find.
        for (const dir of attempt.dirs) await client.hset(STAGING_KEY, dir, JSON.stringify({ queue: job.queueName, jobId: job.id, token }));
        await attempt.prepare();
      }
      let lastReport = 0;
      const onProgress = (p: Progress) => {
        const now = Date.now();
        if (now - lastReport < 1000 && p.frames !== p.total) return;
        lastReport = now;
        void job.updateProgress({ frames: p.frames, total: p.total ?? job.data.total, fps: p.fps, dropped: p.dropped ?? 0, at: now, worker: name }).catch(() => {});
      };
      const result = await runJob(job, { attempt, machine: options, signal: stop.signal, onProgress, lockedBy: name });
      if (stop.signal.aborted) throw stopError(entry);
      if (attempt) {
        // The last word before publishing: is the job still ours?
        if ((await job.extendLock(entry.token, lockDuration)) !== 1) {
          entry.why = 'lock-lost';
          throw stopError(entry);
        }
        await attempt.publish(result);
        // The parts a join merged are of no use once its output is published (a retry finds the done marker).
        for (const part of result.parts ?? []) await rm(part, { recursive: true, force: true });
      }
      return result;
    } catch (err) {
      await attempt?.discard().catch(() => {});
      if (entry.why === 'hand-back') {
        await job.moveToWait(entry.token).catch(() => {});
        emit({ type: 'handed-back', jobId: job.id! });
        throw new WaitingError();
      }
      if (entry.why === 'lock-lost') emit({ type: 'lock-lost', jobId: job.id! });
      throw bullError(entry.why ? stopError(entry) : toSegStreamError(err));
    } finally {
      if (attempt) for (const dir of attempt.dirs) await client.hdel(STAGING_KEY, dir).catch(() => {});
      signal?.removeEventListener('abort', onBullAbort);
      active.delete(job.id!);
    }
  };

  const workers = [...queues.keys()].map(
    (queueName) =>
      new Worker<FleetJobData, FleetJobResult>(queueName, processor, {
        connection: client,
        prefix: FLEET_PREFIX,
        name,
        concurrency: options.concurrency ?? 1,
        lockDuration,
        stalledInterval: options.stalledIntervalMs ?? FLEET_LOCK_DEFAULTS.stalledIntervalMs,
        // A camera outlives many workers: its job is taken over however often they die.
        maxStalledCount: queueName === LIVE_QUEUE ? Number.MAX_SAFE_INTEGER : (options.maxStalledCount ?? FLEET_LOCK_DEFAULTS.maxStalledCount),
        autorun: false,
      }),
  );
  for (const worker of workers) {
    worker.on('lockRenewalFailed', (ids: string[]) => {
      for (const id of ids) {
        const entry = active.get(id);
        if (!entry) continue;
        entry.why ??= 'lock-lost';
        entry.stop.abort();
      }
    });
    worker.on('completed', (job, result) => emit({ type: 'completed', jobId: job.id!, frames: result.frames, fps: result.fps, alreadyDone: result.alreadyDone === true }));
    worker.on('failed', (job, err) => {
      if (!job || err instanceof WaitingError || err.name === 'WaitingError') return;
      const [code, ...rest] = err.message.split(': ');
      emit({ type: 'failed', jobId: job.id!, code: code!, message: rest.join(': '), willRetry: job.attemptsMade < (job.opts.attempts ?? 1) && !(err instanceof UnrecoverableError) });
    });
    // Connection errors are retried by the connection; a job that failed is reported above.
    worker.on('error', () => {});
  }
  await Promise.all(workers.map((w) => w.waitUntilReady()));
  // The loop ends when Redis goes away at the wrong moment (its stall check cannot start): start it again.
  const keepRunning = (worker: Worker) => {
    void worker.run().catch(() => {
      if (closing) return;
      setTimeout(() => keepRunning(worker), 1000);
    });
  };
  for (const worker of workers) keepRunning(worker);
  emit({ type: 'ready', name });

  let closed: Promise<void> | undefined;
  return {
    name,
    close(how = 'finish') {
      closing = how === 'hand-back' || closing === 'hand-back' ? 'hand-back' : 'finish';
      for (const entry of active.values()) {
        if (closing === 'hand-back' || entry.job.data.kind === 'live') {
          entry.why ??= 'hand-back';
          entry.stop.abort();
        }
      }
      closed ??= (async () => {
        await Promise.all(workers.map((w) => w.close()));
        await Promise.all([...queues.values()].map((q) => q.close()));
        await client.quit().catch(() => client.disconnect());
      })();
      return closed;
    },
  };
}

function stopError(entry: Active): SegStreamError {
  if (entry.why === 'lock-lost') return new SegStreamError(ErrorCodes.LOCK_LOST, `job ${entry.job.id} was taken over by another worker (this worker could not renew its lock in time); its partial outputs were discarded`);
  return new SegStreamError(ErrorCodes.ABORTED, `job ${entry.job.id} was stopped`);
}

/** Codes worth another attempt (on this or another machine); every other code fails the job at once. */
const RETRIED: ReadonlySet<ErrorCode> = new Set([ErrorCodes.STREAM_LOST, ErrorCodes.STREAM_UNREACHABLE, ErrorCodes.STREAM_CHANGED, ErrorCodes.FFMPEG_CRASHED, ErrorCodes.WORKER_FAILED, ErrorCodes.INTERNAL, ErrorCodes.OUTPUT_FULL, ErrorCodes.REDIS_UNAVAILABLE, ErrorCodes.ABORTED, ErrorCodes.INFERENCE_FAILED]);

/** The error BullMQ stores: `SEGSTREAM_ERR_<CODE>: message`, unrecoverable unless retrying may help. */
function bullError(err: SegStreamError): Error {
  const message = `${err.code}: ${redact(err.message)}`;
  return RETRIED.has(err.code) || isSegStreamError(err, ErrorCodes.LOCK_LOST) ? new Error(message) : new UnrecoverableError(message);
}

/**
 * Removes staging places that no attempt holds any more: their job is not active, or another
 * attempt holds its lock now. Runs when a worker starts.
 */
async function sweepStaging(client: Redis, queues: Map<string, ReturnType<typeof fleetQueue>>, emit: (e: WorkerEvent) => void): Promise<void> {
  const entries = await client.hgetall(STAGING_KEY);
  for (const [dir, owner] of Object.entries(entries)) {
    let o: { queue: string; jobId: string; token: string };
    try {
      o = JSON.parse(owner) as typeof o;
    } catch {
      await client.hdel(STAGING_KEY, dir);
      continue;
    }
    const queue = queues.get(o.queue);
    if (!queue) continue;
    const lock = await client.get(queue.toKey(`${o.jobId}:lock`));
    if (lock === o.token) continue;
    await sweepStagingDir(dir);
    await client.hdel(STAGING_KEY, dir);
    emit({ type: 'swept', dir });
  }
}

