/**
 * Driving-log jobs: one log through the log kind (`segmentLog`), written back to the staged
 * `logOut`; one chunk of a log (its window of log time); the join of a log's chunks, their part
 * logs merged in chunk order (`mergeLogParts`): equal to a one-machine run.
 */
import path from 'node:path';
import { mergeLogParts, segmentLog } from '../../runs/public.js';
import type {
  JobOutputs,
  JoinJobResult,
  LogChunkJobData,
  LogChunkJobResult,
  LogChunksJoinData,
  LogJobData,
  LogJobResult,
} from '../jobs.js';
import { runMachine, type RunJobContext } from './context.js';

/** The log kind's run of a job: its options, this machine's, the staged `logOut`. */
async function runLog(data: LogJobData | LogChunkJobData, staged: JobOutputs, ctx: RunJobContext) {
  const { engine, device, threads, workers, ffmpegPath } = runMachine(ctx.machine);
  return segmentLog({
    ...data.options,
    engine,
    device,
    threads,
    workers,
    ffmpegPath,
    input: data.input,
    logOut: staged.logOut,
    ...(data.kind === 'chunk' ? { window: data.chunk.window } : {}),
    signal: ctx.signal,
    onProgress: ctx.onProgress,
  });
}

/** A driving log (MCAP, ROS 1 bag), written back as a log. */
export async function runLogJob(data: LogJobData, staged: JobOutputs, ctx: RunJobContext): Promise<LogJobResult> {
  const s = await runLog(data, staged, ctx);
  return { frames: s.frames, fps: s.fps, wallSeconds: s.wallSeconds, outputs: data.outputs };
}

/** One chunk of a driving log: the camera messages of its window, written as a part log. */
export async function runLogChunkJob(
  data: LogChunkJobData,
  staged: JobOutputs,
  ctx: RunJobContext,
): Promise<LogChunkJobResult> {
  const s = await runLog(data, staged, ctx);
  return { frames: s.frames, fps: s.fps, wallSeconds: s.wallSeconds, outputs: data.outputs, chunk: data.chunk.index };
}

/** The join of a chunked log: the chunks' part logs merged in chunk order into `logOut`. */
export async function joinLogChunks(
  data: LogChunksJoinData,
  children: LogChunkJobResult[],
  staged: JobOutputs,
  signal: AbortSignal,
): Promise<JoinJobResult> {
  const chunks = [...children].sort((a, b) => a.chunk - b.chunk);
  await mergeLogParts({ parts: chunks.map((c) => c.outputs.logOut!), output: staged.logOut!, signal });
  const frames = chunks.reduce((n, c) => n + c.frames, 0);
  const wallSeconds = chunks.reduce((n, c) => n + c.wallSeconds, 0);
  return {
    frames,
    fps: Math.round((frames / Math.max(1e-3, wallSeconds)) * 100) / 100,
    wallSeconds,
    outputs: data.outputs,
    parts: [...new Set(chunks.map((c) => path.dirname(c.outputs.logOut!)))],
  };
}
