/**
 * What a fleet job is: its data in Redis (paths and options only, never frames or credentials),
 * its deterministic id, the queues, and the output templates that give thousands of inputs
 * distinct outputs.
 */
import { createHash } from 'node:crypto';
import path from 'node:path';
import { ErrorCodes, SegStreamError } from '../errors.js';

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

/** The `queue add` flag of each output, for messages. */
export const JOB_OUTPUT_FLAGS: Readonly<Record<keyof JobOutputs, string>> = Object.freeze({
  output: '-o',
  masks: '--masks',
  freeSpace: '--free-space',
  kittiRoad: '--kitti-road',
  freeSpaceJson: '--free-space-json',
  stats: '--stats',
  manifest: 'the manifest',
  logOut: '--log-out',
});

/** Run options a job carries: the same as a local run's, minus those of the machine (device, threads, workers). */
export interface JobRunOptions {
  model?: string;
  batch?: number;
  alpha?: number;
  classes?: string;
  crf?: number;
  preset?: string;
  smooth?: number;
  audio?: boolean;
  frames?: number;
  duration?: number;
  padToEven?: boolean;
  /** Frame folders: overlay frame rate. */
  fps?: number;
  /** Frame folders: score against ground truth. */
  score?: boolean;
  /** Live cameras. */
  segmentTime?: number;
  rtspTransport?: 'tcp' | 'udp';
  timeoutMs?: number;
  reconnectDelayMs?: number;
  noDrop?: boolean;
}

/** A frame range of a long video: one chunk job. */
export interface ChunkRange {
  index: number;
  startFrame: number;
  frames: number;
  startSeconds: number;
}

/** The data of a job in Redis. */
export interface FleetJobData {
  kind: FleetJobKind;
  /** Video file, frame-folder root, or the camera URL without credentials. */
  input: string;
  /** Sequence jobs: the sequence's id below `input` (`""`: the input is the sequence). */
  sequence?: string;
  /** Sequence jobs: the input was walked recursively (`batch`). */
  recursive?: boolean;
  outputs: JobOutputs;
  options: JobRunOptions;
  /** Chunk jobs: the range; join jobs: the ranges of its chunks, in order. */
  chunk?: ChunkRange;
  /** Frames the job is expected to process, when known at add time (for status and ETA). */
  total?: number;
  /** Join jobs: what the parent joins (`chunks` of one video, `sequences` of one dataset). */
  join?: 'chunks' | 'sequences';
  /** Sequence jobs under a dataset join: the join writes the manifest, not each sequence. */
  noManifest?: boolean;
}

/** What a finished job returns (BullMQ keeps it as the job's return value). */
export interface FleetJobResult {
  frames: number;
  fps: number;
  wallSeconds: number;
  outputs: JobOutputs;
  /** Join jobs: the children's part files and folders, removed once the join is published. */
  parts?: string[];
  /** Already finished by an earlier attempt (its done marker was found). */
  alreadyDone?: boolean;
  /** Scores and other run figures worth keeping (frame folders). */
  scores?: unknown;
  /** Chunk and sequence jobs: the run's summary, for the join's totals. */
  summary?: unknown;
  /** Sequence jobs: the counts behind the scores, for the dataset's scores. */
  scoreCounts?: unknown;
}

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
  if (unknown) throw new SegStreamError(ErrorCodes.INVALID_OPTION, `unknown template field {${unknown[1]}} in ${JSON.stringify(pattern)}: use {stem}, {name} or {sequence}`);
  const filled = pattern.replace(TEMPLATE_RE, (_, field: keyof TemplateValues) => values[field] ?? '');
  return path.resolve(filled);
}

/** Template values of an input path. */
export function templateValues(input: string, sequence?: string): TemplateValues {
  const name = path.basename(input.replace(/[\\/]+$/, ''));
  return { name, stem: name.replace(/\.[^.]*$/, '') || name, sequence };
}
