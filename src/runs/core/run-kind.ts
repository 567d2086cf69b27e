/**
 * The contract every run kind implements (video file, live stream, frame folders/datasets,
 * evaluation, driving logs), and the one driver that runs it:
 *
 *   resolve options → plan (inputs, outputs, network size per source) → frames (Observable,
 *   gated) → the shared stage chain (`stageChain` with the kind's steps) → sinks (in source
 *   order) → summary
 *
 * A kind says what differs (its options, its plan, where frames come from, its steps, its sinks,
 * its summary); the driver owns what does not: the run context, opening, finishing and aborting
 * the sinks, releasing the in-flight gate, progress, closing everything.
 */
import { concatMap, defaultIfEmpty, lastValueFrom, type Observable } from 'rxjs';
import { toSegStreamError } from '../../errors.js';
import type { InFlightGate } from '../../ingest/gate.js';
import { RunContext, type RunContextOptions } from '../context.js';
import { eachSink, settleAfterFailure, type Sink } from './sink.js';

/** What the driver reads of a kind's resolved options: the run context's, and the in-flight bound. */
export type RunOptionsOfKind = Omit<RunContextOptions, 'maxQueue'> & { maxInFlight: number };

/** What a kind's plan gives the driver; a kind's own plan extends it with what its steps and sinks need. */
export interface RunPlan<Item> {
  /** Bounds the frames between the source and the sinks; released as each frame leaves the sinks. */
  gate: InFlightGate;
  /** The outputs, written in this order for every frame (see {@link Sink.after}). */
  sinks: Sink<Item>[];
  /** Called after every frame left the sinks (counts, progress). */
  frameDone(item: Item): void;
}

/**
 * A run kind. `In`: what its source gives (frames, or a log's passes of frames); `Item`: a frame
 * on its way through the chain and into the sinks (filled in place by the steps).
 */
export interface RunKind<Options, Resolved extends RunOptionsOfKind, Plan extends RunPlan<Item>, In, Item, Summary> {
  /** Merges the defaults and validates; throws `INVALID_OPTION` naming the option. */
  resolve(options: Options): Resolved | Promise<Resolved>;
  /**
   * Probes the inputs, checks and plans the outputs, chooses the network size per source, starts
   * the engine and workers (`run.start`). Returns a summary instead where the run ends before any
   * frame (a live run stopped while connecting).
   */
  plan(opts: Resolved, run: RunContext): Promise<Plan | { early: Summary }>;
  /** The frames, in source order, gated by `plan.gate`. */
  frames(plan: Plan, run: RunContext): Observable<In>;
  /**
   * The frames through the shared chain with the kind's steps: `stageChain(frames$, steps)`
   * (a log runs the chain once per camera size: `logStages`).
   */
  stages(plan: Plan, run: RunContext, frames$: Observable<In>): Observable<Item>;
  /** After the last frame left the sinks, before they finish (a log copies its other topics). */
  beforeFinish?(plan: Plan, run: RunContext): Promise<void>;
  /**
   * Whether a failure of the frames keeps what was written (a live stream lost for good, a frame
   * folder with a damaged frame): each sink is then finished or aborted by its own policy
   * (`Sink.onKeptFailure`), the summary made with `failure`, and the failure thrown. Otherwise
   * every sink is aborted.
   */
  keeps?(err: unknown): boolean;
  /**
   * After the sinks finished: the summary (`failure`: a failure that {@link keeps} what was
   * written; the kind records it here, e.g. a folder run's manifest with the error).
   */
  summary(plan: Plan, run: RunContext, failure?: unknown): Summary | Promise<Summary>;
  /** Turns a failure into the error the caller sees (default `toSegStreamError`; a kept failure may say what was kept). */
  failure?(err: unknown, opts: Resolved, plan: Plan | undefined): unknown;
  /** Frees what the plan holds (temporal state, extra engines); always called. */
  dispose?(plan: Plan | undefined): void | Promise<void>;
}

/**
 * Runs `kind` on `options`: the one driver of every run kind.
 *
 * @throws {SegStreamError} what the kind's steps, sinks or plan throw (see {@link RunKind.failure}).
 */
export async function runKind<O, R extends RunOptionsOfKind, P extends RunPlan<I>, F, I, S>(
  kind: RunKind<O, R, P, F, I, S>,
  options: O,
): Promise<S> {
  const opts = await kind.resolve(options);
  const run = new RunContext({ ...opts, maxQueue: opts.maxInFlight });
  let plan: P | undefined;
  let finished = false;
  try {
    const planned = await kind.plan(opts, run);
    if ('early' in planned) return planned.early;
    plan = planned;
    await eachSink(plan.sinks, (s) => s.open());
    let kept: { err: unknown } | undefined;
    await drive(kind.stages(plan, run, kind.frames(plan, run)), plan).catch((err: unknown) => {
      if (!kind.keeps?.(err)) throw err;
      kept = { err };
    });
    if (kept === undefined) await kind.beforeFinish?.(plan, run);
    finished = true;
    await eachSink(plan.sinks, kept ? settleAfterFailure : (s) => s.finish());
    const summary = await kind.summary(plan, run, kept?.err);
    if (kept) throw kept.err;
    return summary;
  } catch (err) {
    if (plan && !finished) await Promise.all(plan.sinks.map((s) => s.abort()));
    throw kind.failure ? kind.failure(err, opts, plan) : toSegStreamError(err);
  } finally {
    await kind.dispose?.(plan);
    await run.close();
  }
}

/**
 * The frames into the sinks, one at a time in source order: the sinks take each frame together,
 * then those `after` them. On a failure, the frame the sinks are taking is completed (written and
 * counted) before the failure is handed on, so nothing is written or counted after the run ended.
 */
export function drive<I>(items$: Observable<I>, plan: RunPlan<I>): Promise<unknown> {
  const first = plan.sinks.filter((s) => !s.after);
  const after = plan.sinks.filter((s) => s.after);
  const pending: Promise<void>[] = [];
  let current: Promise<void> = Promise.resolve();
  const write = async (item: I): Promise<void> => {
    for (let i = 0; i < first.length; i++) pending[i] = first[i].write(item);
    if (first.length > 0) await Promise.all(pending);
    for (const s of after) await s.write(item);
    plan.frameDone(item);
    plan.gate.release();
  };
  return lastValueFrom(
    items$.pipe(
      concatMap((item) => (current = write(item))),
      defaultIfEmpty(undefined),
    ),
  ).catch(async (err: unknown) => {
    await current.catch(() => {});
    throw err;
  });
}
