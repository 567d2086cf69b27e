/**
 * `queue status`: per job and in total, frames done, rate, ETA and failures with their coded
 * errors, read from the queues (job states, the progress workers report about once a second,
 * failed reasons).
 */
import type { Job, JobType } from 'bullmq';
import { redact } from '../process/redact.js';
import { readFailure, type JobFailure } from './job-failure.js';
import { FILES_QUEUE, LIVE_QUEUE, sequenceOf, type FleetJobData, type FleetJobResult } from './jobs.js';
import { assertRedisReachable, connectRedis, fleetQueue, redisUnavailable } from './redis.js';
import { SegStreamError } from '../errors.js';

/** The progress a worker reports on a job. */
export interface JobProgressReport {
  frames: number;
  total?: number;
  fps: number;
  dropped: number;
  /** Unix ms of the report. */
  at: number;
  worker: string;
}

/** One job in the status. */
export interface JobStatus {
  id: string;
  queue: string;
  kind: FleetJobData['kind'];
  input: string;
  sequence?: string;
  state: 'waiting' | 'active' | 'completed' | 'failed' | 'delayed' | 'waiting-children' | 'prioritized';
  frames: number;
  total?: number;
  fps?: number;
  dropped?: number;
  etaSeconds?: number;
  worker?: string;
  attempts: number;
  /** Failed jobs: the coded error (`context.option`: the option it is about). */
  error?: JobFailure;
}

/** The fleet's status. */
export interface FleetStatus {
  counts: Record<JobStatus['state'], number>;
  /** Jobs listed (at most `limit` per state), active first. */
  jobs: JobStatus[];
  /** Frames done by listed jobs, and their known total. */
  frames: number;
  total: number;
  /** Sum of the active jobs' rates (frames per second). */
  fps: number;
  /** Seconds to go for the listed unfinished jobs with a known total, at the current rate. */
  etaSeconds?: number;
  /** Workers running a job now. */
  workers: string[];
}

const STATES: JobStatus['state'][] = [
  'active',
  'waiting',
  'prioritized',
  'delayed',
  'waiting-children',
  'failed',
  'completed',
];

/**
 * Reads the fleet's status.
 *
 * @param limit most jobs listed per state (counts are always complete)
 * @throws {SegStreamError} `SEGSTREAM_ERR_REDIS_UNAVAILABLE`
 */
export async function fleetStatus(options: { redis: string; limit?: number }): Promise<FleetStatus> {
  const client = connectRedis(options.redis, 'client');
  const queues = [fleetQueue(FILES_QUEUE, client), fleetQueue(LIVE_QUEUE, client)];
  const limit = options.limit ?? 1000;
  try {
    await assertRedisReachable(client, options.redis);
    const counts = Object.fromEntries(STATES.map((s) => [s, 0])) as FleetStatus['counts'];
    const jobs: JobStatus[] = [];
    for (const queue of queues) {
      const c = await queue.getJobCounts(...(STATES as JobType[]));
      for (const s of STATES) counts[s] += c[s] ?? 0;
      for (const state of STATES) {
        const list = (await queue.getJobs([state], 0, limit - 1, true)) as Job<FleetJobData, FleetJobResult>[];
        for (const job of list) if (job) jobs.push(describe(job, queue.name, state));
      }
    }
    const active = jobs.filter((j) => j.state === 'active');
    const fps = active.reduce((n, j) => n + (j.fps ?? 0), 0);
    // A join's frames are its children's: counted once, with the children.
    const work = jobs.filter((j) => j.kind !== 'join');
    const frames = work.reduce((n, j) => n + j.frames, 0);
    const total = work.reduce((n, j) => n + (j.total ?? 0), 0);
    const remaining = work
      .filter((j) => j.state !== 'completed' && j.state !== 'failed' && j.total !== undefined)
      .reduce((n, j) => n + Math.max(0, j.total! - j.frames), 0);
    const workers = [...new Set(jobs.filter((j) => j.worker && j.state === 'active').map((j) => j.worker!))];
    return {
      counts,
      jobs,
      frames,
      total,
      fps: round(fps),
      etaSeconds: fps > 0 && remaining > 0 ? Math.round(remaining / fps) : undefined,
      workers,
    };
  } catch (err) {
    if (err instanceof SegStreamError) throw err;
    throw redisUnavailable(options.redis, err);
  } finally {
    await Promise.allSettled(queues.map((q) => q.close()));
    client.disconnect();
  }
}

function describe(job: Job<FleetJobData, FleetJobResult>, queue: string, state: JobStatus['state']): JobStatus {
  const p = (typeof job.progress === 'object' ? job.progress : {}) as Partial<JobProgressReport>;
  const done = state === 'completed' ? job.returnvalue : undefined;
  const frames = done?.frames ?? p.frames ?? 0;
  const total = p.total ?? job.data.total ?? (state === 'completed' ? frames : undefined);
  const fps = state === 'active' ? p.fps : done?.fps;
  const s: JobStatus = {
    id: job.id!,
    queue,
    kind: job.data.kind,
    input: redact(job.data.input),
    sequence: sequenceOf(job.data),
    state,
    frames,
    total: total || undefined,
    fps: fps === undefined ? undefined : round(fps),
    dropped: p.dropped || undefined,
    worker: state === 'active' ? p.worker : undefined,
    attempts: job.attemptsMade,
  };
  if (state === 'active' && fps && total) s.etaSeconds = Math.round(Math.max(0, total - frames) / fps);
  if (state === 'failed' && job.failedReason) s.error = readFailure(job.failedReason);
  return s;
}

const round = (v: number) => Math.round(v * 100) / 100;
