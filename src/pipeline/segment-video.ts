/**
 * A whole video run, wired with RxJS:
 *
 *   ffmpeg decode ─► worker preprocess ─► engine (batched) ─► worker render/masks ─► order ─► sinks
 *
 * Decode, inference and encode overlap; the in-flight gate bounds memory; one stop signal ends
 * every child process and worker and still leaves finished outputs.
 */
import path from 'node:path';
import { lastValueFrom, mergeMap, concatMap, defaultIfEmpty, tap } from 'rxjs';
import { resolveFfmpeg } from '../config/ffmpeg-binaries.js';
import { ErrorCodes, SegStreamError, toSegStreamError } from '../errors.js';
import { createEngine } from '../infer/engine.js';
import { DEFAULT_MODEL, loadModel } from '../infer/model-card.js';
import type { Engine } from '../infer/types.js';
import { probeVideo, type VideoInfo } from '../ingest/probe.js';
import { decodeFrames } from '../ingest/video-decoder.js';
import { buildClassLut, resolveClassSelection } from '../render/palette.js';
import { assertWritableFile, ensureWritableDir } from '../sinks/atomic-file.js';
import { PngDirectory } from '../sinks/png-directory.js';
import { VideoEncoder } from '../sinks/video-encoder.js';
import type { Frame } from '../types.js';
import type { ManagedChild } from '../util/child.js';
import { createWorkerPool, type WorkerPool } from '../workers/pool.js';
import { InFlightGate } from './in-flight-gate.js';
import { batchedConcurrency, restoreOrder } from './operators.js';
import { resolveVideoOptions, type SegmentVideoOptions } from './options.js';
import { StageClock, progressReporter, type StageMs } from './stats.js';

/** The JSON summary of a run. */
export interface RunSummary {
  input: string;
  outputs: { video?: string; masks?: string; freeSpace?: string };
  /** Frames written to every output. */
  frames: number;
  fps: number;
  wallSeconds: number;
  engine: string;
  backend: string;
  model: string;
  source: { width: number; height: number; fps: string; frames?: number; audio: string[] };
  /** Milliseconds per frame: decode/encode are ffmpeg CPU time, the others time spent in the stage. */
  stageMs: StageMs;
  droppedFrames: number;
  /** Why the run ended: the input ended, `--frames` was reached, or a stop was requested. */
  stopped: 'end' | 'frames' | 'signal';
  peakRssMB: number;
  /** The most frames in flight at once (bounded by maxInFlight). */
  peakInFlight: number;
  ffmpeg: { path: string; source: string };
}

interface Rendered {
  frame: Frame;
  maskPng?: Uint8Array;
  freeSpacePng?: Uint8Array;
}

/**
 * Segments a video file: writes an overlay video and/or class-id and free-space masks.
 *
 * @example
 * ```ts
 * const summary = await segmentVideo({ input: 'drive.mp4', output: 'overlay.mp4' });
 * console.log(summary.fps);
 * ```
 * @throws {SegStreamError} with a stable code for every bad input, model or output.
 */
export async function segmentVideo(options: SegmentVideoOptions): Promise<RunSummary> {
  const opts = resolveVideoOptions(options);
  const binaries = resolveFfmpeg({ ffmpegPath: opts.ffmpegPath, ffprobePath: opts.ffprobePath });
  const info = await probeVideo(opts.input, { ffprobe: binaries.ffprobe.path, signal: opts.signal });
  const model = typeof opts.model === 'object' ? opts.model : await loadModel(opts.model ?? DEFAULT_MODEL);
  const classes = resolveClassSelection(opts.classes, model);
  if (opts.output) {
    await assertWritableFile(opts.output, '-o');
    if ((info.width % 2 || info.height % 2) && !opts.padToEven) {
      throw new SegStreamError(
        ErrorCodes.ODD_SIZE,
        `the input is ${info.width}x${info.height}; H.264 yuv420p video needs an even width and height, so the overlay cannot keep that size: pass --pad-even to pad it to ${info.width + (info.width % 2)}x${info.height + (info.height % 2)}, or write only --masks/--free-space (they keep any size)`,
      );
    }
  }
  if (opts.masks) await ensureWritableDir(opts.masks, '--masks');
  if (opts.freeSpace) await ensureWritableDir(opts.freeSpace, '--free-space');

  const engine = await createEngine(model, { engine: opts.engine, device: opts.device, threads: opts.threads });
  let pool: WorkerPool | undefined;
  let encoder: VideoEncoder | undefined;
  const started = performance.now();
  const clock = new StageClock();
  clock.startSampling();
  const stopRequested = new AbortController();
  const onUserStop = () => stopRequested.abort();
  opts.signal?.addEventListener('abort', onUserStop, { once: true });
  if (opts.signal?.aborted) stopRequested.abort();
  let decoder: ManagedChild | undefined;
  try {
    pool = createWorkerPool({ threads: opts.workers, maxQueue: opts.maxInFlight });
    const expected = info.frames === undefined ? opts.frames : Math.min(info.frames, opts.frames ?? Infinity);
    if (opts.output) {
      encoder = new VideoEncoder({
        ffmpeg: binaries.ffmpeg.path,
        output: opts.output,
        width: info.width,
        height: info.height,
        fps: info.fps,
        crf: opts.crf,
        preset: opts.preset,
        padToEven: opts.padToEven,
        pixelFormat: 'yuv420p',
        audio: opts.audio ? { input: opts.input, codecs: info.audioCodecs, maxSeconds: opts.frames ? (opts.frames * info.fps.den) / info.fps.num : undefined } : undefined,
      });
    }
    const digits = Math.max(6, String((expected ?? 0) - 1).length);
    const masks = opts.masks ? new PngDirectory(opts.masks, digits) : undefined;
    const freeSpace = opts.freeSpace ? new PngDirectory(opts.freeSpace, digits) : undefined;
    const lut = opts.output ? buildClassLut(model.card.classes, classes) : undefined;
    const gate = new InFlightGate(opts.maxInFlight);
    const progress = progressReporter(opts.onProgress, expected, started);

    const frames$ = decodeFrames({
      ffmpeg: binaries.ffmpeg.path,
      info,
      gate,
      maxFrames: opts.frames,
      format: 'yuv420p',
      stopSignal: stopRequested.signal,
      onSpawn: (child) => (decoder = child),
    });
    const pipeline$ = frames$.pipe(
      mergeMap(async (frame) => {
        const t0 = performance.now();
        const { input, pixels } = await pool!.preprocess({ pixels: frame.pixels, format: frame.format, width: frame.width, height: frame.height, spec: model.card.input, layout: engine.inputLayout });
        frame.pixels = pixels;
        clock.add('preprocess', performance.now() - t0);
        return { frame, input };
      }),
      batchedConcurrency(opts.batch, async (batch: { frame: Frame; input: Float32Array }[]) => {
        const t0 = performance.now();
        const outputs = await runEngine(engine, batch.map((b) => b.input), batch[0]!.frame.index);
        clock.add('infer', performance.now() - t0);
        return batch.map(({ frame }, i) => {
          frame.segmentation = outputs[i]!;
          return frame;
        });
      }),
      mergeMap(async (frame): Promise<Rendered> => {
        const t0 = performance.now();
        const seg = frame.segmentation!;
        const result = await pool!.render({
          pixels: frame.pixels,
          format: frame.format,
          width: frame.width,
          height: frame.height,
          classMap: seg.classMap,
          mapWidth: seg.width,
          mapHeight: seg.height,
          lut: lut ?? null,
          alpha: opts.alpha,
          masks: masks !== undefined,
          freeSpaceIds: freeSpace ? model.freeSpaceIds : null,
        });
        frame.pixels = result.pixels;
        clock.add('render', performance.now() - t0);
        return { frame, maskPng: result.maskPng, freeSpacePng: result.freeSpacePng };
      }),
      restoreOrder((r: Rendered) => r.frame.index),
      concatMap(async (r) => {
        const t0 = performance.now();
        await Promise.all([
          encoder?.write(r.frame.pixels),
          masks && r.maskPng ? masks.write(r.frame.index, r.maskPng) : undefined,
          freeSpace && r.freeSpacePng ? freeSpace.write(r.frame.index, r.freeSpacePng) : undefined,
        ]);
        clock.add('masks', masks || freeSpace ? performance.now() - t0 : 0);
        return r.frame;
      }),
      tap(() => {
        clock.frameDone();
        gate.release();
        progress(clock.frames, false);
      }),
      defaultIfEmpty(undefined),
    );
    await lastValueFrom(pipeline$);
    if (encoder) await encoder.finish();
    progress(clock.frames, true);
    clock.stopSampling();
    if (decoder) clock.set('decode', decoder.cpuSeconds() * 1000);
    if (encoder) clock.set('encode', encoder.child.cpuSeconds() * 1000);
    const wallSeconds = (performance.now() - started) / 1000;
    return {
      input: info.input,
      outputs: { video: opts.output && path.resolve(opts.output), masks: opts.masks && path.resolve(opts.masks), freeSpace: opts.freeSpace && path.resolve(opts.freeSpace) },
      frames: clock.frames,
      fps: Math.round((clock.frames / wallSeconds) * 100) / 100,
      wallSeconds: Math.round(wallSeconds * 1000) / 1000,
      engine: engine.name,
      backend: engine.backend,
      model: model.card.name,
      source: { width: info.width, height: info.height, fps: `${info.fps.num}/${info.fps.den}`, frames: info.frames, audio: info.audioCodecs },
      stageMs: clock.perFrame(),
      droppedFrames: 0,
      stopped: stopRequested.signal.aborted ? 'signal' : opts.frames !== undefined && clock.frames >= opts.frames ? 'frames' : 'end',
      peakRssMB: clock.peakRssMB,
      peakInFlight: gate.peak,
      ffmpeg: { path: binaries.ffmpeg.path, source: binaries.ffmpeg.source },
    };
  } catch (err) {
    await encoder?.abort();
    throw toSegStreamError(err);
  } finally {
    opts.signal?.removeEventListener('abort', onUserStop);
    clock.stopSampling();
    await decoder?.kill(500);
    await pool?.destroy();
    await engine.dispose();
  }
}

async function runEngine(engine: Engine, inputs: Float32Array[], firstIndex: number) {
  try {
    return await engine.run(inputs);
  } catch (err) {
    throw toSegStreamError(err, ErrorCodes.INFERENCE_FAILED, { stage: 'infer', frameIndex: firstIndex });
  }
}


export type { VideoInfo };
