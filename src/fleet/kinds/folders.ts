/**
 * Frame-sequence jobs: one sequence of a folder or dataset through the folders kind
 * (`runFolders`), and the join of a dataset's sequences: the JSONL parts merged in order and one
 * manifest over every sequence with the dataset's scores.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { findSequences, type Sequence } from '../../datasets/layouts.js';
import { ErrorCodes, SegStreamError } from '../../errors.js';
import {
  mergeScoreCounts,
  resolveFolderOptions,
  runFolders,
  writeManifest,
  type FolderRunSummary,
  type ScoreReport,
} from '../../runs/public.js';
import type { JobOutputs, JoinJobResult, SequenceJobData, SequenceJobResult, SequencesJoinData } from '../jobs.js';
import { runMachine, type RunJobContext } from './context.js';

/** One sequence of a folder or dataset. */
export async function runSequenceJob(
  data: SequenceJobData,
  staged: JobOutputs,
  ctx: RunJobContext,
): Promise<SequenceJobResult> {
  const seq = await findSequence(data.input, data.sequence, data.recursive === true);
  const { output, masks, freeSpace, kittiRoad, freeSpaceJson } = staged;
  const opts = resolveFolderOptions({
    ...data.options,
    ...runMachine(ctx.machine),
    input: data.input,
    output,
    masks,
    freeSpace,
    kittiRoad,
    freeSpaceJson,
    signal: ctx.signal,
    onProgress: ctx.onProgress,
  });
  const { summary, scores } = await runFolders(opts, { sequences: [seq], manifest: data.noManifest !== true });
  return {
    frames: summary.frames,
    fps: summary.fps,
    wallSeconds: summary.wallSeconds,
    outputs: data.outputs,
    summary,
    scores: summary.scores.length > 0 ? summary.scores : undefined,
    scoreCounts: scores?.counts(),
  };
}

/**
 * The join of a dataset's sequence jobs: the JSONL parts merged in sequence order, and one
 * manifest over every sequence with the dataset's scores (the sequences' counts added up: the
 * scores one run over the whole dataset gives).
 */
export async function joinSequences(
  jobId: string,
  data: SequencesJoinData,
  results: SequenceJobResult[],
  staged: JobOutputs,
): Promise<JoinJobResult> {
  // Children in sequence order: their JSONL part names, or else their sequence ids, carry it.
  const order = (r: SequenceJobResult) => r.outputs.freeSpaceJson ?? r.summary.sequences[0]?.id ?? '';
  const children = [...results].sort((a, b) => (order(a) < order(b) ? -1 : order(a) > order(b) ? 1 : 0));
  const parts = staged.freeSpaceJson ? children.map((r) => r.outputs.freeSpaceJson!) : [];
  if (staged.freeSpaceJson) await concatFiles(parts, staged.freeSpaceJson);
  const scores = mergeScoreCounts(children.flatMap((c) => c.scoreCounts ?? []));
  const merged = mergeSequenceSummaries(
    data,
    children.map((c) => c.summary),
    scores,
  );
  if (staged.manifest)
    await writeManifest(staged.manifest, merged, { ...data.options, fleet: { join: jobId, jobs: children.length } });
  return {
    frames: merged.frames,
    fps: 0,
    wallSeconds: merged.wallSeconds,
    outputs: data.outputs,
    parts,
    scores: scores.length > 0 ? scores : undefined,
  };
}

/** One dataset's summary from its sequences' summaries (the manifest a one-machine run writes). */
function mergeSequenceSummaries(
  data: SequencesJoinData,
  summaries: FolderRunSummary[],
  scores: ScoreReport[],
): FolderRunSummary {
  const sum = (pick: (s: FolderRunSummary) => number) => summaries.reduce((n, s) => n + pick(s), 0);
  const frames = sum((s) => s.frames);
  const wallSeconds = sum((s) => s.wallSeconds);
  const first = summaries[0];
  return {
    ...first,
    input: data.input,
    recursive: data.recursive === true,
    outputs: {
      ...first.outputs,
      freeSpaceJson: data.outputs.freeSpaceJson,
      videos: summaries.flatMap((s) => s.outputs.videos ?? []),
      manifest: data.outputs.manifest!,
      perSequenceFolders: true,
    },
    sequences: summaries.flatMap((s) => s.sequences),
    total: sum((s) => s.total),
    frames,
    skipped: sum((s) => s.skipped),
    fps: Math.round((frames / Math.max(1e-3, wallSeconds)) * 100) / 100,
    wallSeconds: Math.round(wallSeconds * 1000) / 1000,
    ffmpegDecoded: sum((s) => s.ffmpegDecoded),
    sharpDecoded: sum((s) => s.sharpDecoded),
    scores,
    unscored: sum((s) => s.unscored),
    notes: [...new Set(summaries.flatMap((s) => s.notes))],
    peakRssMB: Math.max(...summaries.map((s) => s.peakRssMB)),
    startedAt: summaries.map((s) => s.startedAt).sort()[0],
    finishedAt: summaries
      .map((s) => s.finishedAt)
      .sort()
      .at(-1)!,
  };
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
  if (!seq)
    throw new SegStreamError(
      ErrorCodes.INPUT_NOT_FOUND,
      `sequence ${JSON.stringify(id)} is no longer found below ${JSON.stringify(root)}`,
    );
  return seq;
}
