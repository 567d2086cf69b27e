/**
 * Video jobs: a file run whole, one chunk of a long file, the join of a file's chunks, and a live
 * camera. Each is one call of the video kind (`segmentVideo`, `stitchVideo`) with the outputs
 * pointed at the attempt's staging.
 */
import { link, mkdir, readdir } from 'node:fs/promises';
import path from 'node:path';
import {
  mergeChunkSummaries,
  mergeStatsFiles,
  segmentVideo,
  stitchVideo,
  type RunSummary,
  type SegmentVideoOptions,
} from '../../runs/public.js';
import type {
  ChunkJobData,
  ChunkJobResult,
  ChunksJoinData,
  JobOutputs,
  JoinJobResult,
  LiveJobData,
  LiveJobResult,
  VideoJobData,
  VideoJobResult,
} from '../jobs.js';
import { outputEntries, pruneOutputs } from '../jobs.js';
import { runMachine, type RunJobContext } from './context.js';

/** The video kind's options of a job: its run options, this machine's, and the staged file outputs. */
function videoOptions(data: VideoJobData | ChunkJobData, staged: JobOutputs, ctx: RunJobContext): SegmentVideoOptions {
  const { output, masks, freeSpace, stats } = staged;
  return {
    ...data.options,
    ...runMachine(ctx.machine),
    input: data.input,
    output,
    masks,
    freeSpace,
    stats,
    signal: ctx.signal,
    onProgress: ctx.onProgress,
  };
}

const figures = (s: RunSummary) => ({ frames: s.frames, fps: s.fps, wallSeconds: s.wallSeconds });

/** A video file, whole. */
export async function runVideoJob(data: VideoJobData, staged: JobOutputs, ctx: RunJobContext): Promise<VideoJobResult> {
  const s = await segmentVideo(videoOptions(data, staged, ctx));
  return { ...figures(s), outputs: data.outputs };
}

/** One chunk of a video file: its frames as the chunk's range; the summary goes to the join. */
export async function runChunkJob(data: ChunkJobData, staged: JobOutputs, ctx: RunJobContext): Promise<ChunkJobResult> {
  const s = await segmentVideo({ ...videoOptions(data, staged, ctx), range: data.chunk });
  return { ...figures(s), outputs: data.outputs, summary: s };
}

/**
 * A live camera. Every attempt records under its own start time, so a camera taken over by
 * another worker goes on in new files and nothing an earlier attempt wrote is replaced.
 */
export async function runLiveJob(data: LiveJobData, ctx: RunJobContext): Promise<LiveJobResult> {
  const stamp = new Date()
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  const o = data.outputs;
  const { cameras } = ctx.machine;
  const output =
    o.output &&
    path.join(
      path.dirname(o.output),
      `${path.basename(o.output, path.extname(o.output))}-${stamp}${path.extname(o.output) || '.mp4'}`,
    );
  const s = await segmentVideo({
    ...data.options,
    ...runMachine(ctx.machine),
    input: cameras?.[data.input] ?? data.input,
    live: true,
    output,
    masks: o.masks && path.join(o.masks, stamp),
    freeSpace: o.freeSpace && path.join(o.freeSpace, stamp),
    signal: ctx.signal,
    onProgress: ctx.onProgress,
  });
  return {
    ...figures(s),
    outputs: pruneOutputs({
      output: s.outputs.segments?.[0] ?? s.outputs.video,
      masks: s.outputs.masks,
      freeSpace: s.outputs.freeSpace,
    }),
  };
}

/**
 * The join of a chunked video: the chunk overlays joined without re-encoding and the source's
 * audio muxed once (`stitchVideo`), the chunks' masks (already named by their frame's place in the
 * whole video) linked into one folder, the stats merged in order. Equal to a one-machine run.
 */
export async function joinChunks(
  data: ChunksJoinData,
  children: ChunkJobResult[],
  staged: JobOutputs,
): Promise<JoinJobResult> {
  const chunks = [...children].sort((a, b) => a.summary.range!.startFrame - b.summary.range!.startFrame);
  const summaries = chunks.map((c) => c.summary);
  const totals = mergeChunkSummaries(summaries);
  if (staged.output) {
    await stitchVideo({
      parts: chunks.map((c) => c.outputs.output!),
      input: data.input,
      output: staged.output,
      audio: data.options.audio !== false,
      partFrames: summaries.map((s) => s.frames),
      frames: totals.frames,
    });
  }
  for (const key of ['masks', 'freeSpace'] as const) {
    const target = staged[key];
    if (!target) continue;
    await mkdir(target, { recursive: true });
    // Linked, not moved: the parts stay whole until the join is published, so a join attempt that dies
    // part-way (its staging removed by the next) loses no chunk's masks.
    for (const c of chunks)
      for (const name of await readdir(c.outputs[key]!))
        await link(path.join(c.outputs[key]!, name), path.join(target, name));
  }
  if (staged.stats)
    await mergeStatsFiles(
      chunks.map((c) => c.outputs.stats!),
      staged.stats,
    );
  const parts = [...new Set(chunks.map((c) => path.dirname(outputEntries(c.outputs)[0][1])))];
  return {
    frames: totals.frames,
    fps: Math.round((totals.frames / Math.max(1e-3, totals.workSeconds)) * 100) / 100,
    wallSeconds: totals.workSeconds,
    outputs: data.outputs,
    parts,
  };
}
