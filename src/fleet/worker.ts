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
import { hostname } from 'node:os';
import { UnrecoverableError, WaitingError, Worker, type Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { redact } from '../process/redact.js';
import { readFailure } from './job-failure.js';
import {
  FILES_QUEUE,
  FLEET_PREFIX,
  LIVE_QUEUE,
  type FleetJobData,
  type FleetJobResult,
  type WorkerEvent,
} from './jobs.js';
import { jobProcessor, type ActiveJob, type ProcessorContext } from './processor.js';
import { assertRedisReachable, connectRedis, fleetQueue } from './redis.js';
import type { MachineOptions } from './run-job.js';
import { sweepStaging } from './staging.js';

/** Defaults of the lock and stall settings (BullMQ's). */
export const FLEET_LOCK_DEFAULTS = Object.freeze({
  lockDurationMs: 30_000,
  stalledIntervalMs: 30_000,
  maxStalledCount: 2,
});

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

export type { WorkerEvent };

/** A running worker. */
export interface FleetWorker {
  readonly name: string;
  /**
   * Stops taking jobs. `finish`: the jobs running now finish (live cameras are handed back: they
   * never finish); `hand-back`: every running job is stopped and put back in its queue at once.
   */
  close(how?: 'finish' | 'hand-back'): Promise<void>;
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
  const client = await connectWorker(options.redis, emit);
  const queueNames = (options.queues ?? ['files', 'live']).map((q) => (q === 'live' ? LIVE_QUEUE : FILES_QUEUE));
  const queues = new Map(queueNames.map((queueName) => [queueName, fleetQueue(queueName, client)]));
  for (const dir of await sweepStaging(client, queues)) emit({ type: 'swept', dir });
  let closing: 'finish' | 'hand-back' | undefined;
  const ctx: ProcessorContext = {
    name,
    client,
    machine: machineOf(options),
    lockDurationMs: options.lockDurationMs ?? FLEET_LOCK_DEFAULTS.lockDurationMs,
    emit,
    active: new Map(),
    closing: () => closing,
  };
  const workers = queueNames.map((queueName) => bullWorker(queueName, options, ctx));
  await Promise.all(workers.map((w) => w.waitUntilReady()));
  for (const worker of workers) keepRunning(worker, () => closing !== undefined);
  emit({ type: 'ready', name });
  let closed: Promise<void> | undefined;
  return {
    name,
    close(how = 'finish') {
      closing = how === 'hand-back' || closing === 'hand-back' ? 'hand-back' : 'finish';
      for (const entry of ctx.active.values()) {
        if (closing === 'hand-back' || entry.job.data.kind === 'live') stopJob(entry, 'hand-back');
      }
      closed ??= closeAll(workers, queues, client);
      return closed;
    },
  };
}

/** The worker's Redis connection, checked once; losing it and getting it back are reported. */
async function connectWorker(url: string, emit: (e: WorkerEvent) => void): Promise<Redis> {
  const client = connectRedis(url, 'worker');
  await assertRedisReachable(client, url).catch((err: unknown) => {
    client.disconnect();
    throw err;
  });
  let lost = false;
  client.on('close', () => {
    if (!lost) emit({ type: 'redis', state: 'lost', message: `connection to ${redact(url)} lost; reconnecting` });
    lost = true;
  });
  client.on('ready', () => {
    if (lost) emit({ type: 'redis', state: 'back' });
    lost = false;
  });
  return client;
}

/** The options of this machine that every job's run takes. */
function machineOf(options: StartWorkerOptions): MachineOptions {
  const { engine, device, threads, workers, ffmpegPath, ffprobePath, cameras } = options;
  return { engine, device, threads, workers, ffmpegPath, ffprobePath, cameras };
}

/** One BullMQ worker on `queueName`, its events reported. */
function bullWorker(
  queueName: string,
  options: StartWorkerOptions,
  ctx: ProcessorContext,
): Worker<FleetJobData, FleetJobResult> {
  const worker = new Worker<FleetJobData, FleetJobResult>(queueName, jobProcessor(ctx), {
    connection: ctx.client,
    prefix: FLEET_PREFIX,
    name: ctx.name,
    concurrency: options.concurrency ?? 1,
    lockDuration: ctx.lockDurationMs,
    stalledInterval: options.stalledIntervalMs ?? FLEET_LOCK_DEFAULTS.stalledIntervalMs,
    // A camera outlives many workers: its job is taken over however often they die.
    maxStalledCount:
      queueName === LIVE_QUEUE
        ? Number.MAX_SAFE_INTEGER
        : (options.maxStalledCount ?? FLEET_LOCK_DEFAULTS.maxStalledCount),
    autorun: false,
  });
  worker.on('lockRenewalFailed', (ids: string[]) => {
    for (const id of ids) {
      const entry = ctx.active.get(id);
      if (entry) stopJob(entry, 'lock-lost');
    }
  });
  worker.on('completed', (job, result) =>
    ctx.emit({
      type: 'completed',
      jobId: job.id!,
      frames: result.frames,
      fps: result.fps,
      alreadyDone: result.alreadyDone === true,
    }),
  );
  worker.on('failed', (job, err) => {
    if (!job || err instanceof WaitingError || err.name === 'WaitingError') return;
    const willRetry = job.attemptsMade < (job.opts.attempts ?? 1) && !(err instanceof UnrecoverableError);
    ctx.emit({ type: 'failed', jobId: job.id!, ...readFailure(err.message), willRetry });
  });
  // Connection errors are retried by the connection; a job that failed is reported above.
  worker.on('error', () => {});
  return worker;
}

/** Stops a running job (the first reason given is kept). */
function stopJob(entry: ActiveJob, why: 'lock-lost' | 'hand-back'): void {
  entry.why ??= why;
  entry.stop.abort();
}

/** The loop ends when Redis goes away at the wrong moment (its stall check cannot start): start it again. */
function keepRunning(worker: Worker, closing: () => boolean): void {
  void worker.run().catch(() => {
    if (closing()) return;
    setTimeout(() => keepRunning(worker, closing), 1000);
  });
}

async function closeAll(workers: Worker[], queues: ReadonlyMap<string, Queue>, client: Redis): Promise<void> {
  await Promise.all(workers.map((w) => w.close()));
  await Promise.all([...queues.values()].map((q) => q.close()));
  await client.quit().catch(() => client.disconnect());
}
