/** What a job's run gets from the worker: this machine's options, the staging, the stop signal, progress. */
import type { DeviceName, EngineName } from '../../infer/types.js';
import type { Progress } from '../../runs/public.js';
import type { Attempt } from '../attempt.js';

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

/** The machine's options a run takes (the camera table is the live jobs' alone). */
export function runMachine(m: MachineOptions): Omit<MachineOptions, 'cameras'> {
  return {
    engine: m.engine,
    device: m.device,
    threads: m.threads,
    workers: m.workers,
    ffmpegPath: m.ffmpegPath,
    ffprobePath: m.ffprobePath,
  };
}
