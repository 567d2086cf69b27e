/**
 * The video kind (files and live streams) on the run-kind contract (`core/run-kind.ts`):
 *
 *   ffmpeg decode ─► worker preprocess ─► engine (batched) ─► worker finish ─► order ─► sinks
 *
 * Decode, inference and encode overlap; the in-flight gate bounds memory (files: the decoder is
 * paused; live streams: the newest frame wins and stale ones are dropped before preprocessing).
 * One stop signal ends every child process and worker and still leaves finished outputs.
 */
import path from 'node:path';
import { ErrorCodes, isSegStreamError, toSegStreamError } from '../../errors.js';
import { networkInputOf } from '../../infer/input-size.js';
import { redact } from '../../process/redact.js';
import { LiveVideoParts } from '../../sinks/live-video-parts.js';
import { outputFullError } from '../../sinks/output-full.js';
import type { RunContext } from '../context.js';
import { finishConstants, scoreTables } from '../core/finish.js';
import { frameSteps, type FrameItem } from '../core/frame-steps.js';
import { runFigures } from '../core/summary.js';
import type { RunKind } from '../core/run-kind.js';
import { stageChain, type StageSteps } from '../core/stages.js';
import { videoFrames } from './frames.js';
import type { VideoFrame } from './frame.js';
import { resolveVideoOptions, type SegmentVideoOptions } from './options.js';
import { planVideo, type VideoPlan, type VideoRunOptions } from './plan.js';
import type { RunSummary } from './summary.js';

/** Video files and live streams. `resolve` takes the options with `live` decided (see `segmentVideo`). */
export const videoKind: RunKind<
  SegmentVideoOptions & { live: boolean },
  VideoRunOptions,
  VideoPlan,
  FrameItem<VideoFrame>,
  FrameItem<VideoFrame>,
  RunSummary
> = {
  resolve: (options) => Object.assign(resolveVideoOptions(options, options.live), { live: options.live }),
  plan: planVideo,
  frames: videoFrames,
  stages: (p, run, frames$) => stageChain(frames$, videoSteps(p, run)),
  // A live stream lost for good (or changed size with onSizeChange 'stop'): keep everything written so far, then report it.
  keeps: (err) => isSegStreamError(err, ErrorCodes.STREAM_LOST) || isSegStreamError(err, ErrorCodes.STREAM_CHANGED),
  summary: videoSummary,
  failure: (err, opts) =>
    outputFullError(
      err,
      [opts.output, opts.masks, opts.freeSpace, opts.stats].filter((o): o is string => !!o),
    ) ?? toSegStreamError(err),
  dispose: async (p) => {
    p?.temporal.close();
    await p?.decoder?.kill(500);
  },
};

/** The video kind's steps of the shared chain: preprocess and finish in the workers. */
function videoSteps(p: VideoPlan, run: RunContext): StageSteps<FrameItem<VideoFrame>> {
  const { opts } = p;
  const finish = finishConstants({
    lut: p.lut ?? null,
    alpha: opts.alpha,
    masks: opts.masks !== undefined,
    freeSpaceIds: opts.freeSpace !== undefined ? p.model.freeSpaceIds : null,
    ...scoreTables(p.model),
    ego: p.ego?.mask ?? null,
    legend: p.legend ?? null,
  });
  // Files: a second batch waits in the engine's thread so it never idles between batches. Live:
  // one, so a frame never queues behind another (latency).
  return frameSteps<VideoFrame>({
    pool: run.pool,
    engine: run.engine,
    model: p.model,
    clock: run.clock,
    batch: opts.batch,
    inferConcurrency: p.live ? 1 : 2,
    finish,
    temporal: p.temporal,
  });
}

/** The run's JSON summary (see {@link RunSummary}). */
function videoSummary(p: VideoPlan, run: RunContext, failure?: unknown): RunSummary {
  const { opts, info, file, live, encoder, fileFrames, expected } = p;
  const { clock, binaries, engine } = run;
  const { range } = opts;
  if (!live && !range && fileFrames !== undefined && clock.frames >= fileFrames)
    run.endedBy(opts.frames !== undefined && opts.frames <= fileFrames ? 'frames' : 'duration');
  if (failure === undefined) p.progress?.(clock.frames, true);
  clock.stopSampling();
  if (p.decoder) clock.set('decode', p.decoder.cpuSeconds() * 1000);
  if (encoder) clock.set('encode', encoder.child.cpuSeconds() * 1000);
  const wallSeconds = (performance.now() - run.readyAt) / 1000;
  return {
    input: redact(info.input),
    live,
    ...(range
      ? { range: { startFrame: range.startFrame, frames: range.frames, startSeconds: range.startSeconds } }
      : {}),
    outputs: {
      video: opts.output && !opts.segmentTime ? path.resolve(opts.output) : undefined,
      segments: encoder?.segments?.completed.map((f) => path.resolve(f)),
      ...(encoder instanceof LiveVideoParts && encoder.files.length > 1
        ? { videos: encoder.files.map((f) => path.resolve(f)) }
        : {}),
      masks: opts.masks && path.resolve(opts.masks),
      freeSpace: opts.freeSpace && path.resolve(opts.freeSpace),
      stats: opts.stats && path.resolve(opts.stats),
    },
    ...runFigures(run, wallSeconds),
    engine: engine.name,
    backend: engine.backend,
    model: p.model.card.name,
    networkInput: networkInputOf(p.model),
    source: {
      width: info.width,
      height: info.height,
      fps: info.fps ? `${info.fps.num}/${info.fps.den}` : 'unknown',
      frames: info.frames,
      audio: info.audioCodecs,
    },
    droppedFrames: p.liveStats.dropped,
    reconnects: p.liveStats.reconnects,
    latencyMs: p.latency.summary(),
    stability: { smooth: opts.smooth ?? 0, ...p.temporal.summary() },
    stopped: run.stopReason,
    peakInFlight: p.gate.peak,
    ffmpeg: { path: binaries.ffmpeg.path, source: binaries.ffmpeg.source },
    staleRecordings: p.staleRecordings,
    decodeErrors: p.frameTimes?.decodeErrors ?? 0,
    ...(p.egoMask ? { egoMask: p.egoMask } : {}),
    missingFrames:
      file && run.stopReason !== 'signal' && expected !== undefined
        ? Math.max(0, Math.min(fileFrames ?? Infinity, Math.max(expected, file.framesByDuration ?? 0)) - clock.frames)
        : 0,
  };
}
