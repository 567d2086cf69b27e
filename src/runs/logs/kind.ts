/**
 * The driving-log kind (MCAP, ROS 1 bag) on the run-kind contract (`core/run-kind.ts`):
 *
 *   resolve options → plan (topics, outputs, classes, an engine per camera size) → frames (the
 *   image cameras in one pass in log-time order, then each video camera in a pass of its own) →
 *   the shared stage chain per network size (`logStages`) → sinks (written log, per-topic files)
 *   → summary
 *
 * A stop (signal, `frames`) finishes every output; a failure aborts them all.
 */
import { concatMap, defer, EMPTY, from, tap, type Observable } from 'rxjs';
import { optionError } from '../../errors.js';
import { InFlightGate } from '../../ingest/gate.js';
import type { RunContext } from '../context.js';
import type { RunKind, RunPlan } from '../core/run-kind.js';
import type { Sink } from '../core/sink.js';
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

type Item = LogFrameOutput | SkippedMessage;
type Pass = Observable<LogFrame | SkippedMessage>;

/** A log run's plan: the log's plan, its engines, its outputs and counts. */
export interface LogRunPlan extends RunPlan<Item> {
  opts: ResolvedLogOptions;
  log: LogPlan;
  engines: LogEngines;
  tally: LogRunTally;
  writer?: LogWriter;
  files?: TopicFiles;
  progress: (frames: number, final: boolean) => void;
  /** Resolves once every frame that entered the stages left the sinks. */
  drained(): Promise<void>;
  flow: Flow;
}

/** Driving logs. */
export const logKind: RunKind<SegmentLogOptions, ResolvedLogOptions, LogRunPlan, Pass, Item, LogRunSummary> = {
  resolve: resolveLogOptions,
  plan: planLogRun,
  frames: (p, run) => logPasses(p, run),
  stages: (p, run, passes$) =>
    passes$.pipe(concatMap((pass$) => logStages(pass$.pipe(tap(() => p.flow.in())), stageOptions(p, run)))),
  beforeFinish: async (p) => {
    if (p.writer && p.opts.logCopyAll) await copyOtherTopics(p.opts.input, p.log, p.writer, p.tally, p.opts.window);
  },
  summary: async (p, run) => {
    p.progress(run.clock.frames, true);
    run.clock.stopSampling();
    return logSummary({
      opts: p.opts,
      run,
      plan: p.log,
      tally: p.tally,
      engines: await p.engines.sizesAndEngine(),
      log: p.writer,
      files: p.files,
    });
  },
  dispose: (p) => p?.engines.dispose(),
};

/** Plans the log, makes its sinks, starts the workers and the engines of the sizes the log's index tells. */
async function planLogRun(opts: ResolvedLogOptions, run: RunContext): Promise<LogRunPlan> {
  const model = await run.loadModel();
  const log = await planLog(opts, model);
  assertWindowFits(opts, log);
  const writer = opts.logOut
    ? logWriterFor({ path: opts.logOut, family: log.family, classes: log.classes, overlay: opts.logOverlay })
    : undefined;
  const anyFiles = [...log.files.values()].some((f) => Object.keys(f).length > 0);
  const files = anyFiles
    ? new TopicFiles(log.files, { ffmpeg: run.binaries.ffmpeg.path, crf: opts.crf, preset: opts.preset })
    : undefined;
  const tally = new LogRunTally();
  // A window's share of the messages is not in the index: no total then.
  const total = opts.window ? undefined : log.cameras.reduce((n, c) => n + c.count, 0);
  const progress = progressReporter(
    opts.onProgress,
    opts.frames !== undefined && total !== undefined ? Math.min(opts.frames, total) : total,
    run.readyAt,
  );
  const engines = new LogEngines(model, opts);
  const flow = new Flow();
  const p: LogRunPlan = {
    opts,
    log,
    engines,
    tally,
    writer,
    files,
    progress,
    gate: new InFlightGate(opts.maxInFlight),
    sinks: [writer, files]
      .filter((s): s is NonNullable<typeof s> => s !== undefined)
      .map((s) => framesOnly(s as Sink<LogFrameOutput>)),
    flow,
    drained: () => flow.drained(),
    frameDone: (item) => {
      flow.out();
      if (isSkipped(item)) tally.skip(item);
      else {
        tally.add(item);
        run.clock.frameDone();
      }
      progress(run.clock.frames, false);
    },
  };
  await run.start({ engine: false });
  for (const c of log.cameras) if (c.width && c.height) await engines.warm({ width: c.width, height: c.height });
  return p;
}

/** A window starts anywhere: a compressed-video topic would start between key frames. */
function assertWindowFits(opts: ResolvedLogOptions, log: LogPlan): void {
  const video = log.cameras.filter((c) => c.kind === 'video').map((c) => c.topic);
  if (opts.window && video.length > 0)
    throw optionError(
      'window',
      `a log-time window (\`window\`) cannot cut the compressed-video topics ${video.join(', ')} (a window may start between key frames): choose the image topics with \`topics\`, or run the log whole`,
    );
}

/** A log sink that lets skipped messages pass (they are counted, not written). */
function framesOnly(s: Sink<LogFrameOutput>): Sink<Item> {
  return {
    open: () => s.open(),
    write: (i) => (isSkipped(i) ? Promise.resolve() : s.write(i)),
    finish: () => s.finish(),
    abort: () => s.abort(),
  };
}

/**
 * The image cameras in one pass (all interleaved in log-time order), then each video camera in a
 * pass of its own (see video-frames.ts), until the log ends, `frames` are done or the run stops.
 */
function logPasses(p: LogRunPlan, run: RunContext): Observable<Pass> {
  const { opts, log, tally } = p;
  const remaining = () =>
    opts.frames === undefined ? undefined : Math.max(0, opts.frames - run.clock.frames - tally.undecodedCount());
  const base = {
    input: opts.input,
    window: opts.window,
    gate: p.gate,
    pool: run.pool,
    clock: run.clock,
    stop: run.stop.signal,
    onDamage: (d: LogDamage) => tally.noteDamage(d),
    onLimit: () => run.endedBy('frames'),
    inputFor: (topic: string) => inputFor(p, topic),
  };
  // A pass starts once every frame of the one before left the sinks (its counts decide the next limit, a stop ends the run).
  const after = <T>(start: () => Observable<T>): Observable<T> => defer(() => from(p.drained()).pipe(concatMap(start)));
  const images = log.cameras.filter((c) => c.kind !== 'video');
  const imagePass: Pass[] =
    images.length > 0
      ? [defer(() => logFrames({ ...base, topics: images.map((c) => c.topic), limit: remaining() }))]
      : [];
  const videoPasses = log.cameras
    .filter((c) => c.kind === 'video')
    .map((v) =>
      after(() => {
        const limit = remaining();
        if (run.stop.signal.aborted || limit === 0) return EMPTY;
        const codec = v.encoding === 'h265' ? 'h265' : 'h264';
        return videoFrames({
          ...base,
          topic: v.topic,
          codec,
          ffmpeg: run.binaries.ffmpeg.path,
          limit,
          undecoded: (n) => tally.undecodedVideo(v.topic, n),
        });
      }),
    );
  return from([...imagePass, ...videoPasses]);
}

/**
 * The network input of a topic's frames, when its size is in the index: the topic's engine pinned
 * from that size (as its first frame would pin it), so its decode task also preprocesses.
 */
function inputFor(p: LogRunPlan, topic: string) {
  const camera = p.log.cameras.find((c) => c.topic === topic);
  if (!camera?.width || !camera.height) return undefined;
  const s = p.engines.forTopic(topic, { width: camera.width, height: camera.height });
  return { spec: s.model.card.input, layout: s.engine.inputLayout, key: s.key };
}

/** What the log's stages make of each frame. */
function stageOptions(p: LogRunPlan, run: RunContext) {
  const { opts } = p;
  const want = {
    raw: opts.logOut !== undefined,
    maskPng: opts.masks !== undefined,
    freeSpacePng: opts.freeSpace !== undefined,
    boundary: opts.freeSpaceJson !== undefined,
    jpeg: opts.logOut !== undefined && opts.logOverlay,
    overlay: opts.output !== undefined,
  };
  return {
    engines: p.engines,
    pool: run.pool,
    clock: run.clock,
    batch: opts.batch,
    lut: p.log.lut,
    alpha: opts.alpha,
    freeSpaceIds: run.model.freeSpaceIds,
    want,
    jpegQuality: opts.jpegQuality,
  };
}

/** Counts frames into the stages and out of the sinks; `drained()` waits for the two to meet. */
class Flow {
  #in = 0;
  #out = 0;
  #waiting: (() => void) | undefined;

  in(): void {
    this.#in++;
  }

  out(): void {
    this.#out++;
    if (this.#out >= this.#in) this.#waiting?.();
  }

  drained(): Promise<void> {
    if (this.#out >= this.#in) return Promise.resolve();
    return new Promise((resolve) => (this.#waiting = resolve));
  }
}
