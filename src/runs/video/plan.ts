/**
 * The plan of a video or live run: the source probed (size, rate, frames, audio), the one network
 * size of the run, the outputs checked and opened as sinks, the frame limits.
 */
import path from 'node:path';
import { ErrorCodes, SegStreamError, isSegStreamError } from '../../errors.js';
import { FrameTimes } from '../../ingest/frame-times.js';
import { InFlightGate } from '../../ingest/gate.js';
import { probeLiveStream } from '../../ingest/live/probe.js';
import { newLiveStats } from '../../ingest/live/source.js';
import { probeVideo, type FileVideoInfo, type VideoInfo } from '../../ingest/probe.js';
import type { LoadedModel } from '../../infer/types.js';
import type { ManagedChild } from '../../process/child.js';
import { FrameBuffers } from '../../ingest/frame-buffers.js';
import { inputArgs, resolveConnect } from '../../ingest/live/args.js';
import { frameByteLength } from '../../pixels/yuv.js';
import { resolveEgoMask, type EgoMaskSummary, type RunEgoMask } from '../../render/ego-mask-source.js';
import { resolveClassSelection } from '../../render/palette.js';
import { legendEntries, makeLegendStamp, type LegendStamp } from '../../render/legend.js';
import { overlayLut } from '../../render/palettes.js';
import { assertWritableFile, ensureWritableDir } from '../../sinks/atomic-file.js';
import { LiveVideoParts, type OverlaySink } from '../../sinks/live-video-parts.js';
import { assertOutputsSafe, writeTargetOf } from '../../sinks/output-identity.js';
import { cleanStaleTemporaries } from '../../sinks/stale-temporaries.js';
import { VideoEncoder } from '../../sinks/video-encoder.js';
import { TemporalStage } from '../../temporal/stage.js';
import type { RunContext } from '../context.js';
import type { FrameItem } from '../core/frame-steps.js';
import type { RunPlan } from '../core/run-kind.js';
import type { Sink } from '../core/sink.js';
import { LatencyHistogram } from '../latency.js';
import { progressReporter } from '../stats.js';
import type { VideoFrame } from './frame.js';
import { stoppedWhileConnecting } from './live-stop.js';
import type { ResolvedVideoOptions } from './options.js';
import { checkRangeInFile, maskDigits, maskDirectory, statsFileFor } from './range.js';
import { doneSink, overlaySink, pngSink, previewSink, statsSink, type FrameTimer } from './sinks.js';
import type { RunSummary } from './summary.js';

/** Resolved options of a video run and whether its input is a live stream. */
export type VideoRunOptions = ResolvedVideoOptions & { live: boolean };

/** Everything a video run decided before its first frame. */
export interface VideoPlan extends RunPlan<FrameItem<VideoFrame>> {
  opts: VideoRunOptions;
  live: boolean;
  info: VideoInfo;
  /** The probed file (undefined: live). */
  file?: FileVideoInfo;
  connect: {
    transport: VideoRunOptions['rtspTransport'];
    timeoutMs?: number;
    reconnectMax?: number;
    reconnectDelayMs?: number;
  };
  model: LoadedModel;
  /** Files: frames to decode at most (range, `frames`, `duration`). */
  fileFrames?: number;
  /** Frames the run expects (progress, missing frames). */
  expected?: number;
  encoder?: OverlaySink;
  lut?: Uint8Array;
  /** The overlay's key (option `legend`), drawn once for the source's height. */
  legend?: LegendStamp;
  temporal: TemporalStage;
  staleRecordings: string[];
  frameTimes?: FrameTimes;
  liveStats: ReturnType<typeof newLiveStats>;
  latency: LatencyHistogram;
  timer: FrameTimer;
  /** The decoder child, once spawned. */
  decoder?: ManagedChild;
  /** Source time of the last frame written (a stopped file run cuts its audio there). */
  lastPts: number;
  /** The ego mask (option `egoMask`) and what the summary says of it. */
  ego?: RunEgoMask;
  egoMask?: EgoMaskSummary;
  /** Files: the frame buffers the decoder fills, given back once a frame left the sinks. */
  buffers?: FrameBuffers;
  /** Progress reports (`onProgress`). */
  progress?: (frames: number, final: boolean) => void;
}

/** Probes, sizes the network, starts the engine, checks the outputs and opens the sinks. */
export async function planVideo(opts: VideoRunOptions, run: RunContext): Promise<VideoPlan | { early: RunSummary }> {
  const { live } = opts;
  const connect = {
    transport: opts.rtspTransport,
    timeoutMs: opts.timeoutMs,
    reconnectMax: opts.reconnectMax,
    reconnectDelayMs: opts.reconnectDelayMs,
  };
  const file = live
    ? undefined
    : await probeVideo(opts.input, { ffprobe: run.binaries.ffprobe.path, signal: opts.signal });
  const info = file ?? (await probeLive(opts, run, connect));
  if (info === undefined) return { early: stoppedWhileConnecting(opts.input, run, opts.smooth) };
  const { range } = opts;
  if (range && file) checkRangeInFile(range, file);
  // One network input size for the whole run, from the displayed (upright) size of the source.
  const model = await run.sizeFor(info);
  resolveClassSelection(opts.classes, model); // an unknown class fails before any output is made
  const ego = await resolveEgoMask(opts.egoMask, {
    ffmpeg: run.binaries.ffmpeg.path,
    input: opts.input,
    width: info.width,
    height: info.height,
    fps: info.fps && info.fps.num / info.fps.den,
    inputArgs: live ? inputArgs(run.binaries.ffmpeg.path, opts.input, resolveConnect(connect)) : undefined,
    signal: run.stop.signal,
  });
  const staleRecordings: string[] = [];
  // The engine first: a device that cannot start (no GPU adapter) fails before any output folder is made.
  await run.start();
  await checkOutputs(opts, info, staleRecordings);
  const egoMask = await ego?.publish(opts.output ?? opts.masks ?? opts.freeSpace);
  const fileFrames = file && fileFrameLimit(opts, file);
  const expected = live
    ? opts.frames
    : info.frames === undefined
      ? fileFrames
      : Math.min(info.frames, fileFrames ?? Infinity);
  const liveStats = newLiveStats();
  const lut = opts.output ? overlayLut(model, opts.classes, opts.palette) : undefined;
  const p: VideoPlan = {
    opts,
    live,
    info,
    file,
    connect,
    model,
    fileFrames,
    expected,
    staleRecordings,
    liveStats,
    ego,
    egoMask,
    gate: new InFlightGate(opts.maxInFlight),
    // Files: frames are decoded into buffers that come back once written (bounded by the gate).
    buffers: file ? new FrameBuffers(frameByteLength('yuv420p', file.width, file.height), opts.maxInFlight) : undefined,
    lut,
    legend: lut && opts.legend ? await makeLegendStamp(legendEntries(model, lut), info.height) : undefined,
    // Live: smoothing on the inference thread, off the main thread that feeds decoder, workers and
    // encoder (latency). Files: on the main thread, where it overlaps the next batch's inference
    // instead of lengthening every run of the engine's thread (throughput).
    temporal: new TemporalStage(model, run.engine.inputLayout, opts.smooth, live ? run.engine : undefined),
    frameTimes: live ? undefined : new FrameTimes(),
    latency: new LatencyHistogram(),
    timer: { doneAt: 0 },
    lastPts: -1,
    sinks: [],
    frameDone: () => {},
  };
  p.encoder = opts.output ? overlayEncoder(p, run) : undefined;
  p.sinks = videoSinks(p, run, expected);
  p.frameDone = frameDone(p, run);
  opts.preview?.begin({
    input: info.input,
    live,
    total: expected,
    fps: info.fps ? info.fps.num / info.fps.den : 0,
    model,
    classes: opts.classes,
    alpha: opts.alpha,
    palette: opts.palette,
    freeSpace: opts.freeSpace !== undefined,
    counters: () => liveStats,
  });
  return p;
}

/** A live stream's size and rate; undefined when the user stopped the run before it answered (a stop, not a failure). */
function probeLive(
  opts: VideoRunOptions,
  run: RunContext,
  connect: VideoPlan['connect'],
): Promise<VideoInfo | undefined> {
  return probeLiveStream(opts.input, { ffprobe: run.binaries.ffprobe.path, ...connect, stopSignal: opts.signal }).catch(
    (err: unknown) => {
      if (opts.signal?.aborted && isSegStreamError(err, ErrorCodes.ABORTED)) return undefined;
      throw err;
    },
  );
}

/** Files stop at a frame count (exact, and the audio is trimmed to it). Live streams stop in their source. */
function fileFrameLimit(opts: VideoRunOptions, file: FileVideoInfo): number | undefined {
  if (opts.range) return opts.range.frames;
  const byDuration =
    opts.duration === undefined ? undefined : Math.max(1, Math.round((opts.duration * file.fps.num) / file.fps.den));
  if (opts.frames === undefined) return byDuration;
  return byDuration === undefined ? opts.frames : Math.min(opts.frames, byDuration);
}

/** The overlay's encoder. Live: a camera that changes size goes on in a new file (LiveVideoParts); files keep one encoder. */
function overlayEncoder(p: VideoPlan, run: RunContext): OverlaySink {
  const { opts, info, file, live, fileFrames } = p;
  return new (live ? LiveVideoParts : VideoEncoder)({
    ffmpeg: run.binaries.ffmpeg.path,
    output: writeTargetOf(opts.output!),
    width: info.width,
    height: info.height,
    fps: info.fps,
    crf: opts.crf,
    preset: opts.preset,
    padToEven: opts.padToEven,
    pixelFormat: 'yuv420p',
    live,
    segmentSeconds: opts.segmentTime,
    timing: live ? undefined : info.variableFrameRate ? 'stamped' : 'fill',
    audio:
      opts.audio && file && !opts.range
        ? {
            input: opts.input,
            codecs: info.audioCodecs,
            maxSeconds: fileFrames ? (fileFrames * file.fps.den) / file.fps.num : undefined,
          }
        : undefined,
  });
}

/** The sinks of the run's outputs, in the order they take each frame. */
function videoSinks(p: VideoPlan, run: RunContext, expected: number | undefined): Sink<FrameItem<VideoFrame>>[] {
  const { opts, live, info, file, timer, encoder } = p;
  const { range } = opts;
  const digits = live ? 8 : maskDigits(range ? info.frames! : (expected ?? 0));
  const sinks: Sink<FrameItem<VideoFrame>>[] = [];
  // A stopped file run: the audio (copied from the whole input) is cut to the frames written.
  const trim = () => (file && run.stopReason === 'signal' ? p.lastPts + file.fps.den / file.fps.num : undefined);
  if (encoder) sinks.push(overlaySink(encoder, trim));
  if (opts.masks) sinks.push(pngSink(maskDirectory(opts.masks, digits, range), (i) => i.maskPng, run.clock));
  if (opts.freeSpace)
    sinks.push(pngSink(maskDirectory(opts.freeSpace, digits, range), (i) => i.freeSpacePng, run.clock));
  sinks.push(doneSink(timer));
  if (opts.preview) sinks.push(previewSink(opts.preview, timer, p.lut !== undefined));
  if (opts.stats)
    sinks.push(
      statsSink(statsFileFor(opts.stats, range), timer, Date.now() - performance.now(), () => p.liveStats.dropped),
    );
  return sinks;
}

/** Per frame, after the sinks: latency, counts, progress. */
function frameDone(p: VideoPlan, run: RunContext): (item: FrameItem<VideoFrame>) => void {
  const { clock } = run;
  const progress = progressReporter(
    p.opts.onProgress,
    p.expected,
    run.readyAt,
    p.live ? () => p.liveStats.dropped : undefined,
  );
  p.progress = progress;
  return ({ frame }) => {
    p.lastPts = frame.pts;
    // Before the gate's release, which lets the decoder take the next buffer.
    p.buffers?.give(frame.pixels);
    p.latency.add(p.timer.doneAt - (frame.arrivalMs ?? p.timer.doneAt));
    clock.frameDone();
    progress(clock.frames, false);
  };
}

/** Checks every output before anything is started, so bad paths fail fast and leave nothing. */
async function checkOutputs(opts: ResolvedVideoOptions, info: VideoInfo, staleRecordings: string[]): Promise<void> {
  assertOutputsSafe(opts.input, [
    ...(opts.output ? [{ option: 'output', path: opts.output, kind: 'file' as const }] : []),
    ...(opts.stats ? [{ option: 'stats', path: opts.stats, kind: 'file' as const }] : []),
    ...(opts.masks ? [{ option: 'masks', path: opts.masks, kind: 'folder' as const }] : []),
    ...(opts.freeSpace ? [{ option: 'freeSpace', path: opts.freeSpace, kind: 'folder' as const }] : []),
  ]);
  for (const dir of new Set(
    [
      opts.output && path.dirname(path.resolve(opts.output)),
      opts.stats && path.dirname(path.resolve(opts.stats)),
      opts.masks,
      opts.freeSpace,
    ].filter((d): d is string => !!d),
  )) {
    staleRecordings.push(...(await cleanStaleTemporaries(dir)));
  }
  if (opts.output) {
    await assertWritableFile(opts.output, '-o');
    if ((info.width % 2 || info.height % 2) && !opts.padToEven) {
      throw new SegStreamError(
        ErrorCodes.ODD_SIZE,
        `the input is ${info.width}x${info.height}; H.264 yuv420p video needs an even width and height, so the overlay cannot keep that size: pass --pad-even to pad it to ${info.width + (info.width % 2)}x${info.height + (info.height % 2)}, or write only --masks/--free-space (they keep any size)`,
      );
    }
  }
  if (opts.stats) await assertWritableFile(opts.stats, '--stats');
  if (opts.masks) await ensureWritableDir(opts.masks, '--masks');
  if (opts.freeSpace) await ensureWritableDir(opts.freeSpace, '--free-space');
}
