/**
 * A whole run over a video file or a live stream, wired with RxJS:
 *
 *   ffmpeg decode ─► worker preprocess ─► engine (batched) ─► worker render/masks ─► order ─► sinks
 *
 * Decode, inference and encode overlap; the in-flight gate bounds memory (files: the decoder is
 * paused; live streams: the newest frame wins and stale ones are dropped before preprocessing).
 * One stop signal ends every child process and worker and still leaves finished outputs.
 */
import path from 'node:path';
import { concatMap, defaultIfEmpty, lastValueFrom, map, tap, type Observable } from 'rxjs';
import { resolveFfmpeg } from '../config/ffmpeg-binaries.js';
import { ErrorCodes, SegStreamError, isSegStreamError, toSegStreamError } from '../errors.js';
import { createEngine } from '../infer/engine.js';
import { DEFAULT_MODEL, loadModel } from '../infer/model-card.js';
import type { Engine } from '../infer/types.js';
import { isLiveUrl } from '../ingest/live-args.js';
import { isLiveInput } from '../ingest/url-kind.js';
import { probeLiveStream } from '../ingest/live-probe.js';
import { liveFrames, newLiveStats, type LiveFrame } from '../ingest/live-source.js';
import { probeVideo, type VideoInfo } from '../ingest/probe.js';
import { decodeFrames } from '../ingest/video-decoder.js';
import { FrameTimes } from '../ingest/frame-times.js';
import { buildClassLut, resolveClassSelection } from '../render/palette.js';
import { assertWritableFile, ensureWritableDir } from '../sinks/atomic-file.js';
import { assertOutputsSafe, writeTargetOf } from '../sinks/output-identity.js';
import { PngDirectory } from '../sinks/png-directory.js';
import { cleanStaleTemporaries } from '../sinks/stale-temporaries.js';
import { outputFullError } from '../sinks/output-full.js';
import { StatsFile } from '../sinks/stats-file.js';
import { VideoEncoder } from '../sinks/video-encoder.js';
import type { Frame } from '../types.js';
import type { ManagedChild } from '../util/child.js';
import { redact } from '../util/redact.js';
import { createWorkerPool, type WorkerPool } from '../workers/pool.js';
import { InFlightGate } from './in-flight-gate.js';
import { LatencyHistogram, type LatencySummary } from './latency.js';
import { resolveVideoOptions, type ResolvedVideoOptions, type SegmentVideoOptions } from './options.js';
import { segmentFrames, type Rendered } from './stages.js';
import { StageClock, progressReporter, type StageMs } from './stats.js';

/** The JSON summary of a run. */
export interface RunSummary {
  /** The input, credentials removed. */
  input: string;
  live: boolean;
  outputs: { video?: string; segments?: string[]; masks?: string; freeSpace?: string; stats?: string };
  /** Frames written to every output. */
  frames: number;
  /** `frames / wallSeconds`. */
  fps: number;
  /** From the moment the engine is ready to the outputs being complete. */
  wallSeconds: number;
  /** Before that: probing the input, loading the model, starting the engine (the workers start alongside). */
  setupSeconds: number;
  engine: string;
  backend: string;
  model: string;
  source: { width: number; height: number; fps: string; frames?: number; audio: string[] };
  /** Milliseconds per frame: decode/encode are ffmpeg CPU time, the others time spent in the stage. */
  stageMs: StageMs;
  /** Live streams: frames received but dropped as stale before preprocessing. Files never drop. */
  droppedFrames: number;
  /** Live streams: connections lost and made again. */
  reconnects: number;
  /** Milliseconds from a frame leaving the decoder to leaving the sinks. */
  latencyMs: LatencySummary;
  /** Why the run ended. */
  stopped: 'end' | 'frames' | 'duration' | 'signal';
  peakRssMB: number;
  /** The most frames in flight at once (bounded by maxInFlight). */
  peakInFlight: number;
  ffmpeg: { path: string; source: string };
  /**
   * Files: error messages ffmpeg logged while decoding (damaged or truncated input); 0 for a
   * clean file. The run still succeeds: frames that decode are all written.
   */
  decodeErrors: number;
  /**
   * Unfinished live recordings of earlier runs that were killed, found in the output folders and
   * kept (fragmented MP4, playable up to their last fragment); stale temporary files of killed
   * runs are removed.
   */
  staleRecordings: string[];
  /**
   * Files: frames the input holds (counted at probe) that could not be decoded. In the overlay
   * their time is kept (the last good frame is held), so picture and sound stay in sync.
   */
  missingFrames: number;
}

/**
 * Segments a video file or live stream: writes an overlay video and/or class-id and free-space
 * masks.
 *
 * @example
 * ```ts
 * const summary = await segmentVideo({ input: 'drive.mp4', output: 'overlay.mp4' });
 * console.log(summary.fps);
 * ```
 * @throws {SegStreamError} with a stable code for every bad input, model, stream or output.
 */
export async function segmentVideo(options: SegmentVideoOptions): Promise<RunSummary> {
  const called = performance.now();
  const live =
    typeof options?.input === 'string' &&
    isLiveUrl(options.input) &&
    (await isLiveInput(options.input, { live: options.live, ffprobe: resolveFfmpeg({ ffmpegPath: options.ffmpegPath, ffprobePath: options.ffprobePath }).ffprobe.path, signal: options.signal }));
  const opts = resolveVideoOptions(options, live);
  const binaries = resolveFfmpeg({ ffmpegPath: opts.ffmpegPath, ffprobePath: opts.ffprobePath });
  const connect = { transport: opts.rtspTransport, timeoutMs: opts.timeoutMs, reconnectMax: opts.reconnectMax, reconnectDelayMs: opts.reconnectDelayMs };
  const info = live
    ? await probeLiveStream(opts.input, { ffprobe: binaries.ffprobe.path, ...connect, stopSignal: opts.signal })
    : await probeVideo(opts.input, { ffprobe: binaries.ffprobe.path, signal: opts.signal });
  const model = typeof opts.model === 'object' ? opts.model : await loadModel(opts.model ?? DEFAULT_MODEL);
  const classes = resolveClassSelection(opts.classes, model);
  const staleRecordings: string[] = [];
  await checkOutputs(opts, info, staleRecordings);

  const ownEngine = typeof opts.engine !== 'object';
  // The workers start up while the engine loads the model.
  const pool: WorkerPool = createWorkerPool({ threads: opts.workers, maxQueue: opts.maxInFlight });
  let engine: Engine;
  try {
    engine = typeof opts.engine === 'object' ? opts.engine : await createEngine(model, { engine: opts.engine, device: opts.device, threads: opts.threads, thread: true });
  } catch (err) {
    await pool.destroy();
    throw err;
  }
  let encoder: VideoEncoder | undefined;
  let statsFile: StatsFile | undefined;
  const started = performance.now();
  const clock = new StageClock();
  clock.startSampling();
  const stop = new AbortController();
  let stopReason: RunSummary['stopped'] = 'end';
  const requestStop = (reason: RunSummary['stopped']) => {
    if (stop.signal.aborted) return;
    stopReason = reason;
    stop.abort();
  };
  const onUserStop = () => requestStop('signal');
  opts.signal?.addEventListener('abort', onUserStop, { once: true });
  if (opts.signal?.aborted) requestStop('signal');
  let durationTimer: NodeJS.Timeout | undefined;
  let decoder: ManagedChild | undefined;
  const liveStats = newLiveStats();
  const frameTimes = live ? undefined : new FrameTimes();
  let lastPts = -1;
  const latency = new LatencyHistogram();
  try {
    // Files stop at a frame count (exact, and the audio is trimmed to it); live streams by the clock.
    const fileFrames = live ? undefined : minDefined(opts.frames, opts.duration === undefined ? undefined : Math.max(1, Math.round((opts.duration * info.fps.num) / info.fps.den)));
    const expected = live ? opts.frames : info.frames === undefined ? fileFrames : Math.min(info.frames, fileFrames ?? Infinity);
    if (opts.output) {
      encoder = new VideoEncoder({
        ffmpeg: binaries.ffmpeg.path,
        output: writeTargetOf(opts.output),
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
        audio: opts.audio && !live ? { input: opts.input, codecs: info.audioCodecs, maxSeconds: fileFrames ? (fileFrames * info.fps.den) / info.fps.num : undefined } : undefined,
      });
    }
    const digits = live ? 8 : Math.max(6, String((expected ?? 0) - 1).length);
    const masks = opts.masks ? new PngDirectory(opts.masks, digits) : undefined;
    const freeSpace = opts.freeSpace ? new PngDirectory(opts.freeSpace, digits) : undefined;
    if (opts.stats) statsFile = new StatsFile(opts.stats);
    const gate = new InFlightGate(opts.maxInFlight);
    const progress = progressReporter(opts.onProgress, expected, started);
    if (live && opts.duration !== undefined) durationTimer = setTimeout(() => requestStop('duration'), opts.duration * 1000);

    const source$: Observable<Frame & Partial<Pick<LiveFrame, 'sourceIndex'>>> = live
      ? liveFrames({ ffmpeg: binaries.ffmpeg.path, ffprobe: binaries.ffprobe.path, url: opts.input, info, gate, noDrop: opts.noDrop, stats: liveStats, ...connect, stopSignal: stop.signal, onSpawn: (c) => (decoder = c) })
      : decodeFrames({ ffmpeg: binaries.ffmpeg.path, info, gate, maxFrames: fileFrames, format: 'yuv420p', stopSignal: stop.signal, onSpawn: (c) => (decoder = c), frameTimes }).pipe(
          map((frame) => {
            frame.arrivalMs = performance.now();
            return frame;
          }),
        );
    const lut = opts.output ? buildClassLut(model.card.classes, classes) : undefined;
    // Files: a second batch waits in the engine's thread so it never idles between batches. Live:
    // one, so a frame never queues behind another (latency).
    const ctx = { pool, engine, model, clock, batch: opts.batch, inferConcurrency: live ? 1 : 2, lut, alpha: opts.alpha, masks: masks !== undefined, freeSpace: freeSpace !== undefined };
    const wallStart = Date.now() - performance.now();
    const pipeline$ = segmentFrames(source$, ctx).pipe(
      concatMap(async (r: Rendered<Frame & { sourceIndex?: number }>) => {
        const t0 = performance.now();
        const { frame } = r;
        lastPts = frame.pts;
        await Promise.all([
          encoder?.write(frame.pixels, frame.pts),
          masks && r.maskPng ? masks.write(frame.index, r.maskPng) : undefined,
          freeSpace && r.freeSpacePng ? freeSpace.write(frame.index, r.freeSpacePng) : undefined,
        ]);
        const done = performance.now();
        clock.add('masks', masks || freeSpace ? done - t0 : 0);
        const arrival = frame.arrivalMs ?? done;
        latency.add(done - arrival);
        await statsFile?.write({
          index: frame.index,
          sourceIndex: frame.sourceIndex ?? frame.index,
          pts: Math.round(frame.pts * 1e6) / 1e6,
          arrivalUnixMs: Math.round(wallStart + arrival),
          latencyMs: Math.round((done - arrival) * 10) / 10,
          droppedSoFar: liveStats.dropped,
        });
        return frame;
      }),
      tap(() => {
        clock.frameDone();
        gate.release();
        progress(clock.frames, false);
        if (live && opts.frames !== undefined && clock.frames >= opts.frames) requestStop('frames');
      }),
      defaultIfEmpty(undefined),
    );
    let streamLost: SegStreamError | undefined;
    await lastValueFrom(pipeline$).catch((err: unknown) => {
      // A live stream lost for good: keep everything written so far, then report it.
      if (isSegStreamError(err, ErrorCodes.STREAM_LOST)) streamLost = err;
      else throw err;
    });
    // A stopped file run: the audio (copied from the whole input) is cut to the frames written.
    await encoder?.finish(!live && (stopReason as RunSummary['stopped']) === 'signal' ? lastPts + info.fps.den / info.fps.num : undefined);
    await statsFile?.close();
    if (streamLost) throw streamLost;
    if (!live && stopReason === 'end' && fileFrames !== undefined && clock.frames >= fileFrames) {
      stopReason = opts.frames !== undefined && opts.frames <= fileFrames ? 'frames' : 'duration';
    }
    progress(clock.frames, true);
    clock.stopSampling();
    if (decoder) clock.set('decode', decoder.cpuSeconds() * 1000);
    if (encoder) clock.set('encode', encoder.child.cpuSeconds() * 1000);
    const wallSeconds = (performance.now() - started) / 1000;
    return {
      input: redact(info.input),
      live,
      outputs: {
        video: opts.output && !opts.segmentTime ? path.resolve(opts.output) : undefined,
        segments: encoder?.segments?.completed.map((f) => path.resolve(f)),
        masks: opts.masks && path.resolve(opts.masks),
        freeSpace: opts.freeSpace && path.resolve(opts.freeSpace),
        stats: opts.stats && path.resolve(opts.stats),
      },
      frames: clock.frames,
      fps: Math.round((clock.frames / wallSeconds) * 100) / 100,
      wallSeconds: Math.round(wallSeconds * 1000) / 1000,
      setupSeconds: Math.round(started - called) / 1000,
      engine: engine.name,
      backend: engine.backend,
      model: model.card.name,
      source: { width: info.width, height: info.height, fps: `${info.fps.num}/${info.fps.den}`, frames: info.frames, audio: info.audioCodecs },
      stageMs: clock.perFrame(),
      droppedFrames: liveStats.dropped,
      reconnects: liveStats.reconnects,
      latencyMs: latency.summary(),
      stopped: stopReason,
      peakRssMB: clock.peakRssMB,
      peakInFlight: gate.peak,
      ffmpeg: { path: binaries.ffmpeg.path, source: binaries.ffmpeg.source },
      staleRecordings,
      decodeErrors: frameTimes?.decodeErrors ?? 0,
      missingFrames: !live && (stopReason as RunSummary['stopped']) !== 'signal' && expected !== undefined ? Math.max(0, Math.min(fileFrames ?? Infinity, Math.max(expected, info.framesByDuration ?? 0)) - clock.frames) : 0,
    };
  } catch (err) {
    await encoder?.abort();
    await statsFile?.close().catch(() => {});
    throw outputFullError(err, [opts.output, opts.masks, opts.freeSpace, opts.stats].filter((o): o is string => !!o)) ?? toSegStreamError(err);
  } finally {
    clearTimeout(durationTimer);
    opts.signal?.removeEventListener('abort', onUserStop);
    clock.stopSampling();
    await decoder?.kill(500);
    await pool.destroy();
    if (ownEngine) await engine.dispose();
  }
}

/** Checks every output before anything is started, so bad paths fail fast and leave nothing. */
async function checkOutputs(opts: ResolvedVideoOptions, info: VideoInfo, staleRecordings: string[]): Promise<void> {
  assertOutputsSafe(opts.input, [
    ...(opts.output ? [{ option: '-o', path: opts.output, kind: 'file' as const }] : []),
    ...(opts.stats ? [{ option: '--stats', path: opts.stats, kind: 'file' as const }] : []),
    ...(opts.masks ? [{ option: '--masks', path: opts.masks, kind: 'folder' as const }] : []),
    ...(opts.freeSpace ? [{ option: '--free-space', path: opts.freeSpace, kind: 'folder' as const }] : []),
  ]);
  for (const dir of new Set([opts.output && path.dirname(path.resolve(opts.output)), opts.stats && path.dirname(path.resolve(opts.stats)), opts.masks, opts.freeSpace].filter((d): d is string => !!d))) {
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

function minDefined(a: number | undefined, b: number | undefined): number | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return Math.min(a, b);
}

export type { VideoInfo };
