/**
 * A live run stopped by the user (Ctrl-C, SIGTERM, its AbortSignal) before the stream answered:
 * a user's stop, not a failure, so it ends like any stopped run, with a summary and nothing
 * written (no frame ever arrived).
 */
import { DEFAULT_MODEL } from '../../infer/model-card.js';
import { redact } from '../../process/redact.js';
import { StabilityMeter } from '../../temporal/stability.js';
import type { RunContext } from '../context.js';
import { LatencyHistogram } from '../latency.js';
import type { RunSummary } from './summary.js';

/**
 * The summary of a live run stopped while connecting: no frames, no outputs, `stopped: "signal"`.
 * The run's model was not loaded nor its engine started; they are named as the options give them.
 * `smooth` is the run's smoothing strength (reported; nothing was measured).
 *
 * @example
 * ```ts
 * if (info === undefined) return stoppedWhileConnecting('rtsp://cam/stream', run);
 * ```
 */
export function stoppedWhileConnecting(input: string, run: RunContext, smooth = 0): RunSummary {
  const { model, engine } = run.options;
  const { binaries } = run;
  return {
    input: redact(input),
    live: true,
    outputs: {},
    frames: 0,
    fps: 0,
    wallSeconds: 0,
    setupSeconds: Math.round(performance.now() - run.created) / 1000,
    engine: typeof engine === 'object' ? engine.name : engine,
    backend: 'not started: stopped while connecting',
    model: typeof model === 'object' ? model.card.name : (model ?? DEFAULT_MODEL),
    source: { width: 0, height: 0, fps: '0/1', audio: [] },
    stageMs: run.clock.perFrame(),
    droppedFrames: 0,
    reconnects: 0,
    latencyMs: new LatencyHistogram().summary(),
    stability: { smooth, ...new StabilityMeter([]).summary() },
    stopped: 'signal',
    peakRssMB: Math.round((process.memoryUsage().rss / 1048576) * 10) / 10,
    peakInFlight: 0,
    ffmpeg: { path: binaries.ffmpeg.path, source: binaries.ffmpeg.source },
    decodeErrors: 0,
    staleRecordings: [],
    missingFrames: 0,
  };
}
