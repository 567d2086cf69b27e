/**
 * What a worker does with one job: an {@link Attempt} whose staging is registered in Redis, the
 * run of the job's kind, the lock checked once more, then publishing (renames and the done
 * marker). A stop (the worker closing, a lost lock) aborts the run; its staging is discarded.
 */
import { rm } from 'node:fs/promises';
import { WaitingError, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { ErrorCodes, SegStreamError, toSegStreamError } from '../errors.js';
import { redact } from '../process/redact.js';
import type { Progress } from '../runs/public.js';
import { Attempt, readDoneMarker } from './attempt.js';
import { failureError } from './job-failure.js';
import type { FleetJobData, FleetJobResult } from './jobs.js';
import { runJob, type FleetJob, type MachineOptions } from './run-job.js';
import { registerStaging, unregisterStaging } from './staging.js';
import type { WorkerEvent } from './jobs.js';

/** A job this worker runs now. */
export interface ActiveJob {
  job: FleetJob;
  token: string;
  stop: AbortController;
  /** Why it is being stopped, when it is. */
  why?: 'lock-lost' | 'hand-back';
}

/** What the processor of a worker shares with it. */
export interface ProcessorContext {
  name: string;
  client: Redis;
  machine: MachineOptions;
  lockDurationMs: number;
  emit: (event: WorkerEvent) => void;
  /** The jobs running now, by id (the worker stops them on close and on lost locks). */
  active: Map<string, ActiveJob>;
  /** Set once the worker closes. */
  closing(): 'finish' | 'hand-back' | undefined;
}

/** The BullMQ processor of a worker's queues. */
export function jobProcessor(ctx: ProcessorContext) {
  return async (
    job: Job<FleetJobData, FleetJobResult>,
    token?: string,
    signal?: AbortSignal,
  ): Promise<FleetJobResult> => {
    const entry: ActiveJob = { job, token: token ?? '', stop: new AbortController() };
    ctx.active.set(job.id!, entry);
    const onBullAbort = () => entry.stop.abort();
    signal?.addEventListener('abort', onBullAbort, { once: true });
    ctx.emit({ type: 'active', jobId: job.id!, kind: job.data.kind, input: redact(job.data.input) });
    const attempt = job.data.kind === 'live' ? undefined : new Attempt(job.id!, job.data.outputs);
    try {
      // A job taken just as the worker stops goes straight back.
      if (ctx.closing()) {
        entry.why = 'hand-back';
        throw stopError(entry);
      }
      if (attempt) {
        const done = await readDoneMarker<FleetJobResult>(job.id!, job.data.outputs);
        if (done) return { ...done, alreadyDone: true };
        await registerStaging(ctx.client, attempt.dirs, {
          queue: job.queueName,
          jobId: job.id!,
          attempt: job.attemptsStarted,
        });
        await attempt.prepare();
      }
      const result = await runJob(job, {
        attempt,
        machine: ctx.machine,
        signal: entry.stop.signal,
        onProgress: progressOf(job, ctx.name),
        lockedBy: ctx.name,
      });
      if (entry.stop.signal.aborted) throw stopError(entry);
      if (attempt) await publish(entry, attempt, result, ctx.lockDurationMs);
      return result;
    } catch (err) {
      throw await failed(ctx, entry, attempt, err);
    } finally {
      if (attempt) await unregisterStaging(ctx.client, attempt.dirs);
      signal?.removeEventListener('abort', onBullAbort);
      ctx.active.delete(job.id!);
    }
  };
}

/** Progress to BullMQ about once a second (and at the end): `queue status` reads it. */
function progressOf(job: FleetJob, worker: string): (p: Progress) => void {
  let lastReport = 0;
  return (p) => {
    const now = Date.now();
    if (now - lastReport < 1000 && p.frames !== p.total) return;
    lastReport = now;
    void job
      .updateProgress({
        frames: p.frames,
        total: p.total ?? job.data.total,
        fps: p.fps,
        dropped: p.dropped ?? 0,
        at: now,
        worker,
      })
      .catch(() => {});
  };
}

/** Publishes the attempt if the job is still this worker's, then removes the parts a join merged. */
async function publish(
  entry: ActiveJob,
  attempt: Attempt,
  result: FleetJobResult,
  lockDurationMs: number,
): Promise<void> {
  // The last word before publishing: is the job still ours?
  if ((await entry.job.extendLock(entry.token, lockDurationMs)) !== 1) {
    entry.why = 'lock-lost';
    throw stopError(entry);
  }
  await attempt.publish(result);
  // The parts a join merged are of no use once its output is published (a retry finds the done marker).
  for (const part of result.parts ?? []) await rm(part, { recursive: true, force: true });
}

/** The error the processor throws when a job did not finish: back to the queue, or its coded failure. */
async function failed(
  ctx: ProcessorContext,
  entry: ActiveJob,
  attempt: Attempt | undefined,
  err: unknown,
): Promise<Error> {
  const { job } = entry;
  await attempt?.discard().catch(() => {});
  if (entry.why === 'hand-back') {
    await job.moveToWait(entry.token).catch(() => {});
    ctx.emit({ type: 'handed-back', jobId: job.id! });
    return new WaitingError();
  }
  if (entry.why === 'lock-lost') ctx.emit({ type: 'lock-lost', jobId: job.id! });
  return failureError(entry.why ? stopError(entry) : toSegStreamError(err));
}

function stopError(entry: ActiveJob): SegStreamError {
  if (entry.why === 'lock-lost')
    return new SegStreamError(
      ErrorCodes.LOCK_LOST,
      `job ${entry.job.id} was taken over by another worker (this worker could not renew its lock in time); its partial outputs were discarded`,
    );
  return new SegStreamError(ErrorCodes.ABORTED, `job ${entry.job.id} was stopped`);
}
