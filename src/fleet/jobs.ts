/**
 * What a fleet job is: its data in Redis (paths and options only, never frames or credentials),
 * its deterministic id, the queues, and the output templates that give thousands of inputs
 * distinct outputs.
 */
import type { ErrorContext } from '../errors.js';
import { createHash } from 'node:crypto';
import path from 'node:path';
import { ErrorCodes, SegStreamError } from '../errors.js';
import type {
  Chunk,
  FolderRunSummary,
  LogChunk,
  RunSummary,
  ScoreCounts,
  ScoreReport,
  SegmentFolderOptions,
  SegmentVideoOptions,
} from '../runs/public.js';

/** Key prefix of every fleet key in Redis. */
export const FLEET_PREFIX = 'seg-stream';
/** Queue of video files, frame sequences, chunks and their joins. */
export const FILES_QUEUE = 'files';
/** Queue of live cameras: one long-running job each. */
export const LIVE_QUEUE = 'live';

/** Kinds of jobs. */
export type FleetJobKind = 'video' | 'sequence' | 'chunk' | 'join' | 'live' | 'log';

/** Final output paths of a job (absolute). */
export interface JobOutputs {
  output?: string;
  masks?: string;
  freeSpace?: string;
  kittiRoad?: string;
  freeSpaceJson?: string;
  stats?: string;
  /** Dataset joins: the run manifest over every sequence. */
  manifest?: string;
  /** Driving logs: the segmentation written back as an MCAP file. */
  logOut?: string;
}

/**
 * Run options a job carries: the kinds' own options (the same names, types and checks as a local
 * run's), minus those of the machine (engine, device, threads, workers: each worker sets its own).
 * The model is a path or a built-in name, never a loaded model; a palette or ego mask file, an
 * absolute path.
 */
export type JobRunOptions = Pick<
  SegmentVideoOptions,
  | 'batch'
  | 'alpha'
  | 'classes'
  | 'palette'
  | 'egoMask'
  | 'legend'
  | 'crf'
  | 'preset'
  | 'smooth'
  | 'audio'
  | 'frames'
  | 'duration'
  | 'padToEven'
  | 'segmentTime'
  | 'rtspTransport'
  | 'timeoutMs'
  | 'reconnectDelayMs'
  | 'noDrop'
> &
  Pick<SegmentFolderOptions, 'fps' | 'score'> & { model?: string };

/** What every job's data holds. */
interface JobDataBase {
  /** Video file, frame-folder root, driving log, or the camera URL without credentials. */
  input: string;
  outputs: JobOutputs;
  options: JobRunOptions;
  /** Frames the job is expected to process, when known at add time (for status and ETA). */
  total?: number;
}

/** A video file run whole. */
export interface VideoJobData extends JobDataBase {
  kind: 'video';
}

/** One chunk of a long video file (its parts are joined by a {@link ChunksJoinData} job). */
export interface ChunkJobData extends JobDataBase {
  kind: 'chunk';
  log?: undefined;
  /** The frames of the chunk, as `planChunks` cut them (passed to the run as its `range`). */
  chunk: Chunk;
}

/** One chunk of a driving log: a window of log time (its part log is merged by a {@link LogChunksJoinData} job). */
export interface LogChunkJobData extends JobDataBase {
  kind: 'chunk';
  log: true;
  /** The window of the chunk, as `planLogChunks` cut it (passed to the run as its `window`). */
  chunk: LogChunk;
}

/** One frame sequence of a folder or dataset. */
export interface SequenceJobData extends JobDataBase {
  kind: 'sequence';
  /** The sequence's id below `input` (`""`: the input is the sequence). */
  sequence: string;
  /** The input was walked recursively (`batch`). */
  recursive?: boolean;
  /** Under a dataset join: the join writes the manifest, not each sequence. */
  noManifest?: boolean;
}

/** A driving log (MCAP, ROS 1 bag), written back to `outputs.logOut`. */
export interface LogJobData extends JobDataBase {
  kind: 'log';
}

/** A live camera: one long-running job. */
export interface LiveJobData extends JobDataBase {
  kind: 'live';
}

/** The join of a chunked video: stitches its chunk jobs' parts. */
export interface ChunksJoinData extends JobDataBase {
  kind: 'join';
  join: 'chunks';
}

/** The join of a chunked driving log: merges its chunk jobs' part logs into `outputs.logOut`. */
export interface LogChunksJoinData extends JobDataBase {
  kind: 'join';
  join: 'logChunks';
}

/** The join of a dataset's sequence jobs: the merged JSONL and one manifest. */
export interface SequencesJoinData extends JobDataBase {
  kind: 'join';
  join: 'sequences';
  recursive?: boolean;
}

/** The data of a job in Redis (paths and options only). */
export type FleetJobData =
  | VideoJobData
  | ChunkJobData
  | LogChunkJobData
  | SequenceJobData
  | LogJobData
  | LiveJobData
  | ChunksJoinData
  | LogChunksJoinData
  | SequencesJoinData;

/** What every finished job returns (BullMQ keeps it as the job's return value; the done marker holds it too). */
export interface JobResultBase {
  frames: number;
  fps: number;
  wallSeconds: number;
  /** The job's final outputs (the parts' for chunk and sequence jobs under a join). */
  outputs: JobOutputs;
  /** Already finished by an earlier attempt (its done marker was found). */
  alreadyDone?: boolean;
  /** Joins: the children's part files and folders, removed once the join is published. */
  parts?: string[];
}

/** A video file run whole, a live camera's run, a driving log. */
export type VideoJobResult = JobResultBase;
export type LiveJobResult = JobResultBase;
export type LogJobResult = JobResultBase;

/** A chunk: its run's summary, for the join's totals and order. */
export interface ChunkJobResult extends JobResultBase {
  summary: RunSummary;
}

/** A log chunk: its index, for the join's order. */
export interface LogChunkJobResult extends JobResultBase {
  chunk: number;
}

/** A sequence: its run's summary, scores, and the counts behind them (for the dataset's scores). */
export interface SequenceJobResult extends JobResultBase {
  summary: FolderRunSummary;
  scores?: ScoreReport[];
  scoreCounts?: ScoreCounts[];
}

/** A join: the parts it merged; a dataset's join, the dataset's scores. */
export interface JoinJobResult extends JobResultBase {
  parts: string[];
  scores?: ScoreReport[];
}

/** The result of each kind of job. */
export interface JobResultOf {
  video: VideoJobResult;
  chunk: ChunkJobResult | LogChunkJobResult;
  sequence: SequenceJobResult;
  log: LogJobResult;
  live: LiveJobResult;
  join: JoinJobResult;
}

/** What a finished job returns. */
export type FleetJobResult = JobResultOf[FleetJobKind];

/**
 * The job id: a hash of the kind, the input's identity (absolute path, size and modification
 * time of a file; the path of a folder; the URL of a camera) and every option and output, so
 * adding the same work twice is a no-op and changed work is new work.
 */
export function jobIdFor(data: FleetJobData, identity: string): string {
  const canonical = JSON.stringify(sortKeys({ ...data, identity }));
  return `${data.kind}-${createHash('sha256').update(canonical).digest('hex').slice(0, 24)}`;
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>)
        .filter(([, v]) => v !== undefined)
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([k, v]) => [k, sortKeys(v)]),
    );
  }
  return value;
}

/** Values the output templates can use. */
export interface TemplateValues {
  /** The input's file or folder name without its extension. */
  stem: string;
  /** The input's file or folder name. */
  name: string;
  /** The sequence id (`/` kept: it makes subfolders), `""` when the input is the sequence. */
  sequence?: string;
}

const TEMPLATE_RE = /\{(stem|name|sequence)\}/g;

/** True when `pattern` uses a template field. */
export const hasTemplate = (pattern: string): boolean => /\{(stem|name|sequence)\}/.test(pattern);

/**
 * Fills `{stem}`, `{name}` and `{sequence}` in an output path.
 *
 * @example
 * ```ts
 * expandTemplate('/out/{stem}.mp4', { stem: 'drive', name: 'drive.mp4' }); // '/out/drive.mp4'
 * ```
 * @throws {SegStreamError} `SEGSTREAM_ERR_INVALID_OPTION` for an unknown `{field}`
 */
export function expandTemplate(pattern: string, values: TemplateValues): string {
  const unknown = /\{([a-z_]+)\}/gi.exec(pattern.replace(TEMPLATE_RE, ''));
  if (unknown)
    throw new SegStreamError(
      ErrorCodes.INVALID_OPTION,
      `unknown template field {${unknown[1]}} in ${JSON.stringify(pattern)}: use {stem}, {name} or {sequence}`,
    );
  const filled = pattern.replace(TEMPLATE_RE, (_, field: keyof TemplateValues) => values[field] ?? '');
  return path.resolve(filled);
}

/** Template values of an input path. */
export function templateValues(input: string, sequence?: string): TemplateValues {
  const name = path.basename(input.replace(/[\\/]+$/, ''));
  return { name, stem: name.replace(/\.[^.]*$/, '') || name, sequence };
}

/** Output templates filled with an input's values (unset outputs left out). */
export function fillOutputs(outputs: JobOutputs, values: TemplateValues): JobOutputs {
  const out: JobOutputs = {};
  for (const [k, v] of Object.entries(outputs) as [keyof JobOutputs, string | undefined][])
    if (v) out[k] = expandTemplate(v, values);
  return out;
}

/** The hidden folder where the chunks of a join write their parts (next to the join's first output). */
export function partsDir(outputs: JobOutputs, joinId: string): string {
  return path.join(path.dirname(outputEntries(outputs)[0][1]), '.seg-stream', 'parts', joinId);
}

/** The outputs that are set. */
export function pruneOutputs(outputs: JobOutputs): JobOutputs {
  return Object.fromEntries(Object.entries(outputs).filter(([, v]) => v !== undefined));
}

/** A sequence job's sequence id (`""`: the input is the sequence); undefined for other jobs. */
export function sequenceOf(data: FleetJobData): string | undefined {
  return data.kind === 'sequence' ? data.sequence : undefined;
}

/** The outputs that are set, as `[option, path]` pairs. */
export function outputEntries(outputs: JobOutputs): [keyof JobOutputs, string][] {
  return (Object.entries(outputs) as [keyof JobOutputs, string | undefined][]).filter(
    (e): e is [keyof JobOutputs, string] => typeof e[1] === 'string',
  );
}

/** What a worker reports. */
export type WorkerEvent =
  | { type: 'ready'; name: string }
  | { type: 'active'; jobId: string; kind: string; input: string }
  | { type: 'completed'; jobId: string; frames: number; fps: number; alreadyDone: boolean }
  | { type: 'failed'; jobId: string; code: string; message: string; context?: ErrorContext; willRetry: boolean }
  | { type: 'lock-lost'; jobId: string }
  | { type: 'handed-back'; jobId: string }
  | { type: 'swept'; dir: string }
  | { type: 'redis'; state: 'lost' | 'back'; message?: string };
