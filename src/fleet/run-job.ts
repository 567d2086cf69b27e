/**
 * One fleet job as one run of the run core: a video file through `segmentVideo`, a frame
 * sequence through `runFolders`, with the outputs pointed at the attempt's staging.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { link, mkdir, readdir } from 'node:fs/promises';
import path from 'node:path';
import type { Job } from 'bullmq';
import { findSequences, type Sequence } from '../datasets/layouts.js';
import { ErrorCodes, SegStreamError } from '../errors.js';
import type { DeviceName, EngineName } from '../infer/types.js';
import {
  mergeChunkSummaries,
  mergeScoreCounts,
  mergeStatsFiles,
  resolveFolderOptions,
  runFolders,
  segmentLog,
  segmentVideo,
  stitchVideo,
  writeManifest,
  type FolderRunSummary,
  type Progress,
  type RunSummary,
  type ScoreCounts,
} from '../runs/public.js';
import type { Attempt } from './attempt.js';
import type { FleetJobData, FleetJobResult, JobOutputs } from './jobs.js';

/** What belongs to the machine rather than the job: each worker sets its own. */
export interface MachineOptions {
  engine?: EngineName;
  device?: DeviceName;
  /** CPU inference threads per job. */
  threads?: number;
  /** Pre-/post-processing worker threads per job. */
  workers?: number;
  ffmpegPath?: string;
  ffprobePath?: string;
  /** Camera URL as queued (no credentials) → the full URL this machine connects to. */
  cameras?: Record<string, string>;
}

/** How a job is run. */
export interface RunJobContext {
  /** Staging of this attempt (absent for live cameras, which publish segment by segment). */
  attempt?: Attempt;
  machine: MachineOptions;
  signal: AbortSignal;
  onProgress: (p: Progress) => void;
  /** This worker's name. */
  lockedBy: string;
}

/** Runs a job; its outputs are in the attempt's staging when it returns. */
export async function runJob(job: Job<FleetJobData, FleetJobResult>, ctx: RunJobContext): Promise<FleetJobResult> {
  const { data } = job;
  const { machine, signal, onProgress } = ctx;
  const staged = ctx.attempt?.staged ?? data.outputs;
  switch (data.kind) {
    case 'video': {
      const s = await segmentVideo({ ...data.options, ...machine, input: data.input, output: staged.output, masks: staged.masks, freeSpace: staged.freeSpace, stats: staged.stats, signal, onProgress });
      return { frames: s.frames, fps: s.fps, wallSeconds: s.wallSeconds, outputs: data.outputs };
    }
    case 'log': {
      const s = await segmentLog({ ...data.options, ...logMachine(machine), input: data.input, logOut: staged.logOut, signal, onProgress });
      return { frames: s.frames, fps: s.fps, wallSeconds: s.wallSeconds, outputs: data.outputs };
    }
    case 'chunk': {
      const { index: _index, ...range } = data.chunk!;
      const s = await segmentVideo({ ...data.options, ...machine, input: data.input, range, output: staged.output, masks: staged.masks, freeSpace: staged.freeSpace, stats: staged.stats, signal, onProgress });
      return { frames: s.frames, fps: s.fps, wallSeconds: s.wallSeconds, outputs: data.outputs, summary: s };
    }
    case 'sequence': {
      const seq = await findSequence(data.input, data.sequence ?? '', data.recursive === true);
      const opts = resolveFolderOptions({ ...data.options, ...machine, input: data.input, output: staged.output, masks: staged.masks, freeSpace: staged.freeSpace, kittiRoad: staged.kittiRoad, freeSpaceJson: staged.freeSpaceJson, signal, onProgress });
      const { summary, scores } = await runFolders(opts, { sequences: [seq], manifest: data.noManifest !== true });
      return { frames: summary.frames, fps: summary.fps, wallSeconds: summary.wallSeconds, outputs: data.outputs, scores: summary.scores.length > 0 ? summary.scores : undefined, summary, scoreCounts: scores?.counts() };
    }
    case 'live': {
      // Every attempt records under its own start time, so a camera taken over by another worker
      // goes on in new files and nothing an earlier attempt wrote is replaced.
      const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
      const o = data.outputs;
      const { cameras, ...run } = machine;
      const s = await segmentVideo({
        ...data.options,
        ...run,
        input: cameras?.[data.input] ?? data.input,
        live: true,
        output: o.output && path.join(path.dirname(o.output), `${path.basename(o.output, path.extname(o.output))}-${stamp}${path.extname(o.output) || '.mp4'}`),
        masks: o.masks && path.join(o.masks, stamp),
        freeSpace: o.freeSpace && path.join(o.freeSpace, stamp),
        signal,
        onProgress,
      });
      return { frames: s.frames, fps: s.fps, wallSeconds: s.wallSeconds, outputs: prune({ output: s.outputs.segments?.[0] ?? s.outputs.video, masks: s.outputs.masks, freeSpace: s.outputs.freeSpace }) };
    }
    case 'join': {
      if (data.join === 'chunks') return joinChunks(job, staged);
      if (data.join !== 'sequences') break;
      // Children return their part files; merged in sequence order (the part names carry it).
      return joinSequences(job, staged);
    }
  }
  throw new SegStreamError(ErrorCodes.INVALID_OPTION, `this worker cannot run ${data.kind} jobs: update seg-stream on this machine`, { context: { option: 'kind' } });
}

/**
 * The join of a chunked video: the chunk overlays joined without re-encoding and the source's
 * audio muxed once (`stitchVideo`), the chunks' masks (already named by their frame's place in the
 * whole video) moved into one folder, the stats merged in order. Equal to a one-machine run.
 */
async function joinChunks(job: Job<FleetJobData, FleetJobResult>, staged: JobOutputs): Promise<FleetJobResult> {
  const { data } = job;
  const chunks = Object.values(await job.getChildrenValues<FleetJobResult>()).sort((a, b) => (a.summary as RunSummary).range!.startFrame - (b.summary as RunSummary).range!.startFrame);
  const summaries = chunks.map((c) => c.summary as RunSummary);
  const totals = mergeChunkSummaries(summaries);
  if (staged.output) {
    await stitchVideo({ parts: chunks.map((c) => c.outputs.output!), input: data.input, output: staged.output, audio: data.options.audio !== false, partFrames: summaries.map((s) => s.frames), frames: totals.frames });
  }
  for (const key of ['masks', 'freeSpace'] as const) {
    if (!staged[key]) continue;
    await mkdir(staged[key], { recursive: true });
    // Linked, not moved: the parts stay whole until the join is published, so a join attempt that dies
    // part-way (its staging removed by the next) loses no chunk's masks.
    for (const c of chunks) for (const name of await readdir(c.outputs[key]!)) await link(path.join(c.outputs[key]!, name), path.join(staged[key], name));
  }
  if (staged.stats) await mergeStatsFiles(chunks.map((c) => c.outputs.stats!), staged.stats);
  const parts = [...new Set(chunks.map((c) => path.dirname(Object.values(c.outputs)[0]!)))];
  return { frames: totals.frames, fps: Math.round((totals.frames / Math.max(1e-3, totals.workSeconds)) * 100) / 100, wallSeconds: totals.workSeconds, outputs: data.outputs, parts };
}

/**
 * The join of a dataset's sequence jobs: the JSONL parts merged in sequence order, and one
 * manifest over every sequence with the dataset's scores (the sequences' counts added up: the
 * scores one run over the whole dataset gives).
 */
async function joinSequences(job: Job<FleetJobData, FleetJobResult>, staged: JobOutputs): Promise<FleetJobResult> {
  const { data } = job;
  // Children in sequence order: their JSONL part names, or else their sequence ids, carry it.
  const children = Object.values(await job.getChildrenValues<FleetJobResult>()).sort((a, b) => {
    const ka = a.outputs.freeSpaceJson ?? (a.summary as FolderRunSummary).sequences[0]?.id ?? '';
    const kb = b.outputs.freeSpaceJson ?? (b.summary as FolderRunSummary).sequences[0]?.id ?? '';
    return ka < kb ? -1 : ka > kb ? 1 : 0;
  });
  const parts = staged.freeSpaceJson ? children.map((r) => r.outputs.freeSpaceJson!) : [];
  if (staged.freeSpaceJson) await concatFiles(parts, staged.freeSpaceJson);
  const summaries = children.map((c) => c.summary as FolderRunSummary);
  const scores = mergeScoreCounts(children.flatMap((c) => (c.scoreCounts as ScoreCounts[] | undefined) ?? []));
  const frames = summaries.reduce((n, s) => n + s.frames, 0);
  const wallSeconds = summaries.reduce((n, s) => n + s.wallSeconds, 0);
  if (staged.manifest) {
    const first = summaries[0]!;
    const merged: FolderRunSummary = {
      ...first,
      input: data.input,
      recursive: data.recursive === true,
      outputs: { ...first.outputs, freeSpaceJson: data.outputs.freeSpaceJson, videos: summaries.flatMap((s) => s.outputs.videos ?? []), manifest: data.outputs.manifest!, perSequenceFolders: true },
      sequences: summaries.flatMap((s) => s.sequences),
      total: summaries.reduce((n, s) => n + s.total, 0),
      frames,
      skipped: summaries.reduce((n, s) => n + s.skipped, 0),
      fps: Math.round((frames / Math.max(1e-3, wallSeconds)) * 100) / 100,
      wallSeconds: Math.round(wallSeconds * 1000) / 1000,
      ffmpegDecoded: summaries.reduce((n, s) => n + s.ffmpegDecoded, 0),
      sharpDecoded: summaries.reduce((n, s) => n + s.sharpDecoded, 0),
      scores,
      unscored: summaries.reduce((n, s) => n + s.unscored, 0),
      notes: [...new Set(summaries.flatMap((s) => s.notes))],
      peakRssMB: Math.max(...summaries.map((s) => s.peakRssMB)),
      startedAt: summaries.map((s) => s.startedAt).sort()[0]!,
      finishedAt: summaries.map((s) => s.finishedAt).sort().at(-1)!,
    };
    await writeManifest(staged.manifest, merged, { ...data.options, fleet: { join: job.id, jobs: children.length } });
  }
  return { frames, fps: 0, wallSeconds, outputs: data.outputs, parts, scores: scores.length > 0 ? scores : undefined };
}

/** Writes the files in order into `target` (streamed: a part may be large). */
async function concatFiles(files: string[], target: string): Promise<void> {
  const out = createWriteStream(target);
  try {
    for (const f of files) await pipeline(createReadStream(f), out, { end: false });
  } finally {
    await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
  }
}

/** Sequences of a root found recently, so a dataset's many sequence jobs walk it once per worker. */
const walks = new Map<string, { at: number; sequences: Promise<Sequence[]> }>();
const WALK_TTL_MS = 60_000;

async function findSequence(root: string, id: string, recursive: boolean): Promise<Sequence> {
  const key = `${recursive ? 'r' : 'n'}:${root}`;
  const now = Date.now();
  for (const [k, v] of walks) if (now - v.at > WALK_TTL_MS) walks.delete(k);
  let walk = walks.get(key);
  if (!walk) {
    walk = { at: now, sequences: findSequences(root, { recursive }) };
    walks.set(key, walk);
    walk.sequences.catch(() => walks.delete(key));
  }
  const seq = (await walk.sequences).find((s) => s.id === id);
  if (!seq) throw new SegStreamError(ErrorCodes.INPUT_NOT_FOUND, `sequence ${JSON.stringify(id)} is no longer found below ${JSON.stringify(root)}`);
  return seq;
}

function prune(o: JobOutputs): JobOutputs {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as JobOutputs;
}

/** The machine options a log run takes (no cameras). */
function logMachine(machine: MachineOptions): Omit<MachineOptions, 'cameras' | 'ffprobePath'> {
  const { cameras: _c, ffprobePath: _p, ...rest } = machine;
  return rest;
}
