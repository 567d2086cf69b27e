/**
 * A run over a driving log (MCAP or ROS 1 bag), on the run core like the other kinds:
 *
 *   resolve options → plan (topics, outputs, classes) → frames (camera messages in log-time
 *   order, gated, decoded in the workers) → the shared stage chain per network size → the log's
 *   outputs per frame (workers) → sinks (written log, per-topic files) → summary
 *
 * Every camera topic runs in one run with one model; frames of all cameras interleave in
 * log-time order. A stop (signal, `frames`) finishes every output; a failure aborts them all.
 */
import { concatMap, defaultIfEmpty, lastValueFrom, tap, type Observable } from 'rxjs';
import { toSegStreamError } from '../../errors.js';
import { InFlightGate } from '../../ingest/gate.js';
import { eachSink, type Sink } from '../core/sink.js';
import { RunContext } from '../context.js';
import { progressReporter } from '../stats.js';
import { LogEngines } from './engines.js';
import { logFrames, isSkipped, type SkippedMessage } from './frames.js';
import type { LogFrame, LogFrameOutput } from './log-frame.js';
import type { LogDamage } from './types.js';
import { videoFrames } from './video-frames.js';
import { resolveLogOptions, type ResolvedLogOptions, type SegmentLogOptions } from './options.js';
import { planLog, type LogPlan } from './plan.js';
import { TopicFiles } from './sinks/topic-files.js';
import { logStages } from './stages.js';
import { LogRunTally, logSummary, type LogRunSummary } from './summary.js';
import { logWriterFor } from './writers/choose.js';
import type { LogWriter } from './writers/log-writer.js';
import { copyOtherTopics } from './writers/copy.js';

export type { LogRunSummary, SegmentLogOptions };

/**
 * Segments every camera topic of a driving log (MCAP, ROS 1 bag): writes the segmentation back
 * as a log (`logOut`), and/or per-topic masks, free-space masks, overlay videos, stats.
 *
 * @example
 * ```ts
 * const s = await segmentLog({ input: 'drive.mcap', logOut: 'drive.seg.mcap', masks: 'out/{topic}/' });
 * console.log(s.frames, s.topics);
 * ```
 * @throws {SegStreamError} with a stable code: `LOG_UNREADABLE` (not a log), `LOG_NO_IMAGES`
 *   (no camera topic), `INVALID_OPTION` naming the option, unwritable outputs, model/engine
 *   errors. A damaged log is no error: the summary's `damage` says what was salvaged.
 */
export async function segmentLog(options: SegmentLogOptions): Promise<LogRunSummary> {
  const opts = resolveLogOptions(options);
  const run = new RunContext({ ...opts, maxQueue: opts.maxInFlight });
  const tally = new LogRunTally();
  let engines: LogEngines | undefined;
  let sinks: { log?: LogWriter; files?: TopicFiles; all: Sink<LogFrameOutput>[] } = { all: [] };
  try {
    const model = await run.loadModel();
    const plan = await planLog(opts, model);
    sinks = makeSinks(plan, opts, run);
    await eachSink(sinks.all, (s) => s.open());
    engines = new LogEngines(model, opts);
    await startEngines(run, engines, plan);
    await runPasses(opts, run, engines, plan, sinks.all, tally);
    if (sinks.log && opts.logCopyAll) await copyOtherTopics(opts.input, plan, sinks.log, tally);
    await eachSink(sinks.all, (s) => s.finish());
    return logSummary({ opts, run, plan, tally, engines: await engines.sizesAndEngine(), log: sinks.log, files: sinks.files });
  } catch (err) {
    await Promise.all(sinks.all.map((s) => s.abort()));
    throw toSegStreamError(err);
  } finally {
    await engines?.dispose();
    await run.close();
  }
}

/** The sinks of the plan: the written log, the per-topic files. */
function makeSinks(plan: LogPlan, opts: ResolvedLogOptions, run: RunContext) {
  const log = opts.logOut ? logWriterFor({ path: opts.logOut, family: plan.family, classes: plan.classes, overlay: opts.logOverlay }) : undefined;
  const anyFiles = [...plan.files.values()].some((p) => Object.keys(p).length > 0);
  const files = anyFiles ? new TopicFiles(plan.files, { ffmpeg: run.binaries.ffmpeg.path, crf: opts.crf, preset: opts.preset }) : undefined;
  return { log, files, all: [log, files].filter((s): s is NonNullable<typeof s> => s !== undefined) as Sink<LogFrameOutput>[] };
}

/** Starts the worker pool and the engines of the sizes the log's index tells (others start on their first frame). */
async function startEngines(run: RunContext, engines: LogEngines, plan: LogPlan): Promise<void> {
  await run.start({ engine: false });
  for (const c of plan.cameras) if (c.width && c.height) await engines.warm({ width: c.width, height: c.height });
}

/**
 * The image cameras in one pass (all interleaved in log-time order), then each video camera in a
 * pass of its own (see video-frames.ts), until the log ends, `frames` are done or the run stops.
 */
async function runPasses(opts: ResolvedLogOptions, run: RunContext, engines: LogEngines, plan: LogPlan, sinks: Sink<LogFrameOutput>[], tally: LogRunTally): Promise<void> {
  const gate = new InFlightGate(opts.maxInFlight);
  const total = plan.cameras.reduce((n, c) => n + c.count, 0);
  const progress = progressReporter(opts.onProgress, opts.frames !== undefined ? Math.min(opts.frames, total) : total, run.readyAt);
  const remaining = () => (opts.frames === undefined ? undefined : Math.max(0, opts.frames - run.clock.frames - tally.undecodedCount()));
  const base = {
    input: opts.input, gate, pool: run.pool, clock: run.clock, stop: run.stop.signal,
    onDamage: (d: LogDamage) => tally.noteDamage(d), onLimit: () => run.endedBy('frames'),
  };
  const drive = (frames$: Observable<LogFrame | SkippedMessage>) => runFrames(frames$, opts, run, engines, plan, sinks, tally, { gate, progress });
  const images = plan.cameras.filter((c) => c.kind !== 'video');
  if (images.length > 0) await drive(logFrames({ ...base, topics: images.map((c) => c.topic), limit: remaining() }));
  for (const v of plan.cameras.filter((c) => c.kind === 'video')) {
    const limit = remaining();
    if (run.stop.signal.aborted || limit === 0) break;
    const codec = v.encoding === 'h265' ? 'h265' : 'h264';
    await drive(videoFrames({ ...base, topic: v.topic, codec, ffmpeg: run.binaries.ffmpeg.path, limit, undecoded: (n) => tally.undecodedVideo(v.topic, n) }));
  }
  progress(run.clock.frames, true);
  run.clock.stopSampling();
}

/** Frames → stages → sinks. */
async function runFrames(
  frames$: Observable<LogFrame | SkippedMessage>, opts: ResolvedLogOptions, run: RunContext, engines: LogEngines, plan: LogPlan, sinks: Sink<LogFrameOutput>[], tally: LogRunTally,
  { gate, progress }: { gate: InFlightGate; progress: (frames: number, final: boolean) => void },
): Promise<void> {
  const { pool, clock } = run;
  const want = {
    raw: opts.logOut !== undefined, maskPng: opts.masks !== undefined, freeSpacePng: opts.freeSpace !== undefined, boundary: opts.freeSpaceJson !== undefined,
    jpeg: opts.logOut !== undefined && opts.logOverlay, overlay: opts.output !== undefined,
  };
  const stages$ = logStages(frames$, { engines, pool, clock, batch: opts.batch, lut: plan.lut, alpha: opts.alpha, freeSpaceIds: run.model.freeSpaceIds, want, jpegQuality: opts.jpegQuality });
  await lastValueFrom(
    stages$.pipe(
      concatMap(async (item: LogFrameOutput | SkippedMessage) => {
        if (isSkipped(item)) tally.skip(item);
        else {
          for (const s of sinks) await s.write(item);
          tally.add(item);
          clock.frameDone();
        }
      }),
      tap(() => {
        gate.release();
        progress(clock.frames, false);
      }),
      defaultIfEmpty(undefined),
    ),
  );
}
