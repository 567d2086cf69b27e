/**
 * A live run stopped by the user (Ctrl-C, SIGTERM, its AbortSignal) before the stream answered:
 * a user's stop, not a failure, so it ends like any stopped run, with a summary and nothing
 * written (no frame ever arrived).
 */
import type { FfmpegBinaries } from '../config/ffmpeg-binaries.js';
import { redact } from '../util/redact.js';
import { LatencyHistogram } from './latency.js';
import type { RunSummary } from './segment-video.js';
import { StageClock } from './stats.js';

/**
 * The summary of a live run stopped while connecting: no frames, no outputs, `stopped: "signal"`.
 *
 * @example
 * ```ts
 * return stoppedWhileConnecting('rtsp://cam/stream', 'camvid-default', 'onnx', binaries, called);
 * ```
 */
export function stoppedWhileConnecting(input: string, model: string, engine: string, binaries: FfmpegBinaries, calledAt: number): RunSummary {
  const seconds = Math.round(performance.now() - calledAt) / 1000;
  return {
    input: redact(input),
    live: true,
    outputs: {},
    frames: 0,
    fps: 0,
    wallSeconds: 0,
    setupSeconds: seconds,
    engine,
    backend: 'not started: stopped while connecting',
    model,
    source: { width: 0, height: 0, fps: '0/1', audio: [] },
    stageMs: new StageClock().perFrame(),
    droppedFrames: 0,
    reconnects: 0,
    latencyMs: new LatencyHistogram().summary(),
    stopped: 'signal',
    peakRssMB: Math.round((process.memoryUsage().rss / 1048576) * 10) / 10,
    peakInFlight: 0,
    ffmpeg: { path: binaries.ffmpeg.path, source: binaries.ffmpeg.source },
  };
}
