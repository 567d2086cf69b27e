/** The options of `queue add` and a planned job: shared by the planners of each input kind (enqueue.ts, log-jobs.ts). */
import type { FleetJobData, JobOutputs, JobRunOptions } from './jobs.js';

/** Output options of `queue add`: the job's outputs, as paths with `{stem}`, `{name}`, `{sequence}` templates. */
export type EnqueueOutputs = JobOutputs;

/** Options of `enqueue`. */
export interface EnqueueOptions extends EnqueueOutputs {
  redis: string;
  /** Video files, globs (quoted: expanded here, `**` for any depth), frame folders, datasets or camera URLs. */
  inputs: string[];
  /** The run options every job carries. */
  options?: JobRunOptions;
  /** Folders: every sequence anywhere below (as `seg-stream batch`). */
  recursive?: boolean;
  /** Camera URLs are live (default: rtsp(s):// is live, other URLs are refused). */
  live?: boolean;
  /** Attempts of a job that fails with a transient error (default 3 in all; cameras: unlimited). */
  attempts?: number;
  /** Cut video files into chunks of about this many seconds (at key frames) run in parallel, then joined. */
  chunkSeconds?: number;
}

/** One planned job of `queue add`: its data, the identity its id is made from, a join job's children. */
export interface Planned {
  data: FleetJobData;
  identity: string;
  /** Children of a join job. */
  children?: Planned[];
}
