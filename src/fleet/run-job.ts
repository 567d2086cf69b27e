/**
 * One fleet job as one run of its kind: a video file, chunk or camera through the video kind, a
 * frame sequence through the folders kind, a driving log or a chunk of one through the log kind, a join through the
 * merge of its kind; the outputs pointed at the attempt's staging. Each kind of job has its data
 * and result types (`jobs.ts`) and its function (`kinds/`).
 */
import type { Job } from 'bullmq';
import { ErrorCodes, SegStreamError } from '../errors.js';
import type { ChunkJobResult, FleetJobData, FleetJobResult, LogChunkJobResult, SequenceJobResult } from './jobs.js';
import type { RunJobContext } from './kinds/context.js';
import { joinLogChunks, runLogChunkJob, runLogJob } from './kinds/log.js';
import { joinSequences, runSequenceJob } from './kinds/folders.js';
import { joinChunks, runChunkJob, runLiveJob, runVideoJob } from './kinds/video.js';

export type { MachineOptions, RunJobContext } from './kinds/context.js';

/** A fleet job as BullMQ hands it over. */
export type FleetJob = Job<FleetJobData, FleetJobResult>;

/** Runs a job; its outputs are in the attempt's staging when it returns. */
export async function runJob(job: FleetJob, ctx: RunJobContext): Promise<FleetJobResult> {
  const { data } = job;
  const staged = ctx.attempt?.staged ?? data.outputs;
  switch (data.kind) {
    case 'video':
      return runVideoJob(data, staged, ctx);
    case 'chunk':
      return data.log ? runLogChunkJob(data, staged, ctx) : runChunkJob(data, staged, ctx);
    case 'live':
      return runLiveJob(data, ctx);
    case 'log':
      return runLogJob(data, staged, ctx);
    case 'sequence':
      return runSequenceJob(data, staged, ctx);
    case 'join':
      if (data.join === 'chunks') return joinChunks(data, await childResults<ChunkJobResult>(job), staged);
      if (data.join === 'logChunks')
        return joinLogChunks(data, await childResults<LogChunkJobResult>(job), staged, ctx.signal);
      if (data.join === 'sequences')
        return joinSequences(job.id!, data, await childResults<SequenceJobResult>(job), staged);
  }
  // A job added by a newer seg-stream than this worker's.
  const kind = (job.data as { kind: string }).kind;
  throw new SegStreamError(
    ErrorCodes.INVALID_OPTION,
    `this worker cannot run ${kind} jobs: update seg-stream on this machine`,
    { context: { option: 'kind' } },
  );
}

/** The results of a join's children (every child is of the kind the join merges). */
async function childResults<R extends FleetJobResult>(job: FleetJob): Promise<R[]> {
  return Object.values(await job.getChildrenValues<R>());
}
