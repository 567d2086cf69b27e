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
import { ErrorCodes, SegStreamError, isSegStreamError, toSegStreamError } from '../../errors.js';
import { isLiveUrl } from '../../ingest/live/args.js';
import { isLiveInput } from '../../ingest/url-kind.js';
import { resolveFfmpeg } from '../../process/binaries.js';
import { FrameTimes } from '../../ingest/frame-times.js';
import { probeLiveStream } from '../../ingest/live/probe.js';
import { liveFrames, newLiveStats, type LiveFrame } from '../../ingest/live/source.js';
import { probeVideo, type VideoInfo } from '../../ingest/probe.js';
import { decodeFrames } from '../../ingest/video-decoder.js';
import { FrameBuffers } from '../../ingest/frame-buffers.js';
import { frameByteLength } from '../../pixels/yuv.js';
import { resolveClassSelection } from '../../render/palette.js';
import { overlayLut } from '../../render/palettes.js';
import { assertWritableFile, ensureWritableDir } from '../../sinks/atomic-file.js';
import { assertOutputsSafe, writeTargetOf } from '../../sinks/output-identity.js';
import { cleanStaleTemporaries } from '../../sinks/stale-temporaries.js';
import { outputFullError } from '../../sinks/output-full.js';
import { StatsFile } from '../../sinks/stats-file.js';
import { LiveVideoParts, type OverlaySink } from '../../sinks/live-video-parts.js';
import { VideoEncoder } from '../../sinks/video-encoder.js';
import { TemporalStage } from '../../temporal/stage.js';
import type { Frame } from '../../types.js';
import type { ManagedChild } from '../../process/child.js';
import { redact } from '../../process/redact.js';
import { RunContext } from '../context.js';
import { InFlightGate } from '../../ingest/gate.js';
import { LatencyHistogram } from '../latency.js';
import { stoppedWhileConnecting } from './live-stop.js';
import { resolveVideoOptions, type ResolvedVideoOptions, type SegmentVideoOptions } from './options.js';
import { segmentFrames, type Rendered } from './stages.js';
import { checkRangeInFile, maskDigits, maskDirectory, rangeSeekSeconds, statsFileFor } from './range.js';
import { progressReporter } from '../stats.js';
import { networkInputOf } from '../../infer/input-size.js';
import type { RunSummary } from './summary.js';
import { resolveEgoMask } from '../../render/ego-mask-source.js';
import { inputArgs, resolveConnect } from '../../ingest/live/args.js';

export type { RunSummary };

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
  // A URL is live unless it is a finite file (an http(s):// recording) or the user says otherwise.
  const live =
    typeof options?.input === 'string' &&
    isLiveUrl(options.input) &&
    (await isLiveInput(options.input, { live: options.live, ffprobe: resolveFfmpeg({ ffmpegPath: options.ffmpegPath, ffprobePath: options.ffprobePath }).ffprobe.path, signal: options.signal }));
  const opts = resolveVideoOptions(options, live);
  const run = new RunContext({ ...opts, maxQueue: opts.maxInFlight });
  let encoder: OverlaySink | undefined;
  let statsFile: StatsFile | undefined;
  let decoder: ManagedChild | undefined;
  const frameTimes = live ? undefined : new FrameTimes();
  let lastPts = -1;
  let temporal: TemporalStage | undefined;
  try {
    const { binaries, clock } = run;
    const connect = { transport: opts.rtspTransport, timeoutMs: opts.timeoutMs, reconnectMax: opts.reconnectMax, reconnectDelayMs: opts.reconnectDelayMs };
    const file = live ? undefined : await probeVideo(opts.input, { ffprobe: binaries.ffprobe.path, signal: opts.signal });
    const info: VideoInfo | undefined =
      file ??
      (await probeLiveStream(opts.input, { ffprobe: binaries.ffprobe.path, ...connect, stopSignal: opts.signal }).catch((err: unknown) => {
        // Stopped by the user before the stream answered: a stop, not a failure.
        if (opts.signal?.aborted && isSegStreamError(err, ErrorCodes.ABORTED)) return undefined;
        throw err;
      }));
    if (info === undefined) return stoppedWhileConnecting(opts.input, run, opts.smooth);
    const { range } = opts;
    if (range && file) checkRangeInFile(range, file);
    // One network input size for the whole run, from the displayed (upright) size of the source.
    const model = await run.sizeFor(info);
    resolveClassSelection(opts.classes, model); // an unknown class fails before any output is made
    const ego = await resolveEgoMask(opts.egoMask, { ffmpeg: binaries.ffmpeg.path, input: opts.input, width: info.width, height: info.height, fps: info.fps && info.fps.num / info.fps.den, inputArgs: live ? inputArgs(binaries.ffmpeg.path, opts.input, resolveConnect(connect)) : undefined, signal: run.stop.signal });
    const staleRecordings: string[] = [];
    // The engine first: a device that cannot start (no GPU adapter) fails before any output folder is made.
    await run.start();
    await checkOutputs(opts, info, staleRecordings);
    const egoMask = await ego?.publish(opts.output ?? opts.masks ?? opts.freeSpace);
    const { engine, pool } = run;
    // Files stop at a frame count (exact, and the audio is trimmed to it); live streams at a frame
    // count or at a time counted from their first frame (the live source ends at either).
    const fileFrames = !file ? undefined : range ? range.frames : minDefined(opts.frames, opts.duration === undefined ? undefined : Math.max(1, Math.round((opts.duration * file.fps.num) / file.fps.den)));
    const expected = live ? opts.frames : info.frames === undefined ? fileFrames : Math.min(info.frames, fileFrames ?? Infinity);
    if (opts.output) {
      // Live: a camera that changes size goes on in a new file (LiveVideoParts); files keep one encoder.
      encoder = new (live ? LiveVideoParts : VideoEncoder)({
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
        audio: opts.audio && file && !range ? { input: opts.input, codecs: info.audioCodecs, maxSeconds: fileFrames ? (fileFrames * file.fps.den) / file.fps.num : undefined } : undefined,
      });
    }
    const digits = live ? 8 : maskDigits(range ? info.frames! : (expected ?? 0));
    const masks = opts.masks ? maskDirectory(opts.masks, digits, range) : undefined;
    const freeSpace = opts.freeSpace ? maskDirectory(opts.freeSpace, digits, range) : undefined;
    if (opts.stats) statsFile = statsFileFor(opts.stats, range);
    const gate = new InFlightGate(opts.maxInFlight);
    // File frames are decoded into buffers that come back here once written (bounded by the gate).
    const buffers = file ? new FrameBuffers(frameByteLength('yuv420p', file.width, file.height), opts.maxInFlight) : undefined;
    const liveStats = newLiveStats();
    const progress = progressReporter(opts.onProgress, expected, run.readyAt, live ? () => liveStats.dropped : undefined);
    const latency = new LatencyHistogram();
    opts.preview?.begin({ input: info.input, live, total: expected, fps: info.fps ? info.fps.num / info.fps.den : 0, model, classes: opts.classes, alpha: opts.alpha, palette: opts.palette, freeSpace: freeSpace !== undefined, counters: () => liveStats });

    const source$: Observable<Frame & Partial<Pick<LiveFrame, 'sourceIndex'>>> = !file
      ? liveFrames({
          ffmpeg: binaries.ffmpeg.path, ffprobe: binaries.ffprobe.path, url: opts.input, info, gate, noDrop: opts.noDrop, stats: liveStats, ...connect,
          stopSignal: run.stop.signal, onSpawn: (c) => (decoder = c), onSizeChange: opts.onSizeChange ?? 'follow',
          // Exact limits, decided where frames enter: none in flight passes them; time counts from the first frame.
          maxFrames: opts.frames, maxSeconds: opts.duration, onLimit: (l) => run.endedBy(l === 'frames' ? 'frames' : 'duration'),
          onStatus: (s) => opts.preview?.connection(s.type === 'connected' || s.type === 'reconnected' ? 'running' : 'reconnecting'),
        })
      : decodeFrames({ ffmpeg: binaries.ffmpeg.path, info: file, gate, maxFrames: fileFrames, format: 'yuv420p', stopSignal: run.stop.signal, onSpawn: (c) => (decoder = c), frameTimes, seekSeconds: range && rangeSeekSeconds(range, file), buffers }).pipe(
          map((frame) => {
            frame.arrivalMs = performance.now();
            return frame;
          }),
        );
    const lut = opts.output ? overlayLut(model, opts.classes, opts.palette) : undefined;
    // Files: a second batch waits in the engine's thread so it never idles between batches. Live:
    // one, so a frame never queues behind another (latency).
    // Live: smoothing on the inference thread, off the main thread that feeds decoder, workers and
    // encoder (latency). Files: on the main thread, where it overlaps the next batch's inference
    // instead of lengthening every run of the engine's thread (throughput).
    temporal = new TemporalStage(model, engine.inputLayout, opts.smooth, live ? engine : undefined);
    const ctx = { temporal, pool, engine, model, clock, batch: opts.batch, inferConcurrency: live ? 1 : 2, lut, ego: ego?.mask, alpha: opts.alpha, masks: masks !== undefined, freeSpace: freeSpace !== undefined };
    const wallStart = Date.now() - performance.now();
    const pipeline$ = segmentFrames(source$, ctx).pipe(
      concatMap(async (r: Rendered<Frame & { sourceIndex?: number }>) => {
        const t0 = performance.now();
        const { frame } = r;
        lastPts = frame.pts;
        await Promise.all([
          encoder?.write(frame.pixels, frame),
          masks && r.maskPng ? masks.write(frame.index, r.maskPng) : undefined,
          freeSpace && r.freeSpacePng ? freeSpace.write(frame.index, r.freeSpacePng) : undefined,
        ]);
        const done = performance.now();
        clock.add('masks', masks || freeSpace ? done - t0 : 0);
        const arrival = frame.arrivalMs ?? done;
        latency.add(done - arrival);
        opts.preview?.frameDone(done - arrival);
        opts.preview?.offerFrame({ ...frame, overlaid: lut !== undefined });
        await statsFile?.write({
          index: frame.index,
          sourceIndex: frame.sourceIndex ?? frame.index,
          pts: frame.pts,
          arrivalUnixMs: Math.round(wallStart + arrival),
          latencyMs: Math.round((done - arrival) * 10) / 10,
          droppedSoFar: liveStats.dropped,
        });
        return frame;
      }),
      tap((frame) => {
        clock.frameDone();
        // Before the release, which lets the decoder take the next buffer.
        buffers?.give(frame.pixels);
        gate.release();
        progress(clock.frames, false);
      }),
      defaultIfEmpty(undefined),
    );
    let streamLost: SegStreamError | undefined;
    await lastValueFrom(pipeline$).catch((err: unknown) => {
      // A live stream lost for good (or changed size with onSizeChange 'stop'): keep everything written so far, then report it.
      if (isSegStreamError(err, ErrorCodes.STREAM_LOST) || isSegStreamError(err, ErrorCodes.STREAM_CHANGED)) streamLost = err;
      else throw err;
    });
    // A stopped file run: the audio (copied from the whole input) is cut to the frames written.
    await encoder?.finish(file && run.stopReason === 'signal' ? lastPts + file.fps.den / file.fps.num : undefined);
    await statsFile?.close();
    if (streamLost) throw streamLost;
    if (!live && !range && fileFrames !== undefined && clock.frames >= fileFrames) run.endedBy(opts.frames !== undefined && opts.frames <= fileFrames ? 'frames' : 'duration');
    progress(clock.frames, true);
    clock.stopSampling();
    if (decoder) clock.set('decode', decoder.cpuSeconds() * 1000);
    if (encoder) clock.set('encode', encoder.child.cpuSeconds() * 1000);
    const wallSeconds = (performance.now() - run.readyAt) / 1000;
    return {
      input: redact(info.input),
      live,
      ...(range ? { range: { startFrame: range.startFrame, frames: range.frames, startSeconds: range.startSeconds } } : {}),
      outputs: {
        video: opts.output && !opts.segmentTime ? path.resolve(opts.output) : undefined,
        segments: encoder?.segments?.completed.map((f) => path.resolve(f)),
        ...(encoder instanceof LiveVideoParts && encoder.files.length > 1 ? { videos: encoder.files.map((f) => path.resolve(f)) } : {}),
        masks: opts.masks && path.resolve(opts.masks),
        freeSpace: opts.freeSpace && path.resolve(opts.freeSpace),
        stats: opts.stats && path.resolve(opts.stats),
      },
      frames: clock.frames,
      fps: Math.round((clock.frames / wallSeconds) * 100) / 100,
      wallSeconds: Math.round(wallSeconds * 1000) / 1000,
      setupSeconds: run.setupSeconds,
      engine: engine.name,
      backend: engine.backend,
      model: model.card.name,
      networkInput: networkInputOf(model),
      source: { width: info.width, height: info.height, fps: info.fps ? `${info.fps.num}/${info.fps.den}` : 'unknown', frames: info.frames, audio: info.audioCodecs },
      stageMs: clock.perFrame(),
      droppedFrames: liveStats.dropped,
      reconnects: liveStats.reconnects,
      latencyMs: latency.summary(),
      stability: { smooth: opts.smooth ?? 0, ...temporal.summary() },
      stopped: run.stopReason,
      ...(egoMask ? { egoMask } : {}),
      peakRssMB: clock.peakRssMB,
      peakInFlight: gate.peak,
      ffmpeg: { path: binaries.ffmpeg.path, source: binaries.ffmpeg.source },
      staleRecordings,
      decodeErrors: frameTimes?.decodeErrors ?? 0,
      missingFrames: file && run.stopReason !== 'signal' && expected !== undefined ? Math.max(0, Math.min(fileFrames ?? Infinity, Math.max(expected, file.framesByDuration ?? 0)) - clock.frames) : 0,
    };
  } catch (err) {
    await encoder?.abort();
    await statsFile?.close().catch(() => {});
    throw outputFullError(err, [opts.output, opts.masks, opts.freeSpace, opts.stats].filter((o): o is string => !!o)) ?? toSegStreamError(err);
  } finally {
    temporal?.close();
    await decoder?.kill(500);
    await run.close();
  }
}

/** Checks every output before anything is started, so bad paths fail fast and leave nothing. */
async function checkOutputs(opts: ResolvedVideoOptions, info: VideoInfo, staleRecordings: string[]): Promise<void> {
  assertOutputsSafe(opts.input, [
    ...(opts.output ? [{ option: 'output', path: opts.output, kind: 'file' as const }] : []),
    ...(opts.stats ? [{ option: 'stats', path: opts.stats, kind: 'file' as const }] : []),
    ...(opts.masks ? [{ option: 'masks', path: opts.masks, kind: 'folder' as const }] : []),
    ...(opts.freeSpace ? [{ option: 'freeSpace', path: opts.freeSpace, kind: 'folder' as const }] : []),
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
