/** Driving-log jobs: one log through the log kind (`segmentLog`), written back to the staged `logOut`. */
import { segmentLog } from '../../runs/public.js';
import type { JobOutputs, LogJobData, LogJobResult } from '../jobs.js';
import { runMachine, type RunJobContext } from './context.js';

/** A driving log (MCAP, ROS 1 bag), written back as a log. */
export async function runLogJob(data: LogJobData, staged: JobOutputs, ctx: RunJobContext): Promise<LogJobResult> {
  const { engine, device, threads, workers, ffmpegPath } = runMachine(ctx.machine);
  const s = await segmentLog({
    ...data.options,
    engine,
    device,
    threads,
    workers,
    ffmpegPath,
    input: data.input,
    logOut: staged.logOut,
    signal: ctx.signal,
    onProgress: ctx.onProgress,
  });
  return { frames: s.frames, fps: s.fps, wallSeconds: s.wallSeconds, outputs: data.outputs };
}
