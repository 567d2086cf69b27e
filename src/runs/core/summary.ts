/**
 * The figures every run kind's summary reports, built in one place; each kind adds its own
 * (outputs, source, scores, topics) around them.
 */
import type { RunContext } from '../context.js';
import type { StageMs } from '../stats.js';

/** The figures of every run. */
export interface RunFigures {
  /** Frames written to every output. */
  frames: number;
  /** `frames / wallSeconds` (0 when no time passed). */
  fps: number;
  /** From the moment the engine (or the workers) were ready to the outputs being complete. */
  wallSeconds: number;
  /** Before that: probing the input, loading the model, starting the engine and workers. */
  setupSeconds: number;
  /** Milliseconds per frame and stage. */
  stageMs: StageMs;
  peakRssMB: number;
}

/** Frames per second, 2 decimals; 0 when no time passed (a run with nothing to do). */
export function framesPerSecond(frames: number, wallSeconds: number): number {
  return wallSeconds > 0 ? Math.round((frames / wallSeconds) * 100) / 100 : 0;
}

/** The figures of `run`, `wallSeconds` measured by the caller (default: from `run.readyAt` to now). */
export function runFigures(run: RunContext, wallSeconds = (performance.now() - run.readyAt) / 1000): RunFigures {
  const { clock } = run;
  return {
    frames: clock.frames,
    fps: framesPerSecond(clock.frames, wallSeconds),
    wallSeconds: Math.round(wallSeconds * 1000) / 1000,
    setupSeconds: run.setupSeconds,
    stageMs: clock.perFrame(),
    peakRssMB: clock.peakRssMB,
  };
}
