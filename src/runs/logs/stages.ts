/**
 * The stages of a log run on the shared stage chain (`core/stages.ts`: preprocess → infer →
 * order → finish): frames are grouped by their camera's network size, each group runs the chain
 * with its own engine (and its own frame numbering); the finish step makes the log's outputs
 * (raw masks, PNGs, boundary, overlay JPEG) in the same worker task; the log-time order of all
 * cameras is restored before the sinks.
 */
import { filter, groupBy, map, merge, mergeMap, share, type Observable } from 'rxjs';
import type { FramePool } from '../frame-pool.js';
import { restoreOrder } from '../operators.js';
import type { StageClock } from '../stats.js';
import type { LoadedModel } from '../../infer/types.js';
import { finishConstants, scoreTables, type FinishConstants } from '../core/finish.js';
import { frameSteps, type FrameItem } from '../core/frame-steps.js';
import { stageChain } from '../core/stages.js';
import type { LogEngines } from './engines.js';
import { isSkipped, type SkippedMessage } from './frames.js';
import type { LogFrame, LogFrameOutput } from './log-frame.js';

/** What the outputs of each frame are made of. */
export interface LogStageOptions {
  engines: LogEngines;
  pool: FramePool;
  clock: StageClock;
  batch: number;
  /** Overlay colours (overlay videos, `logOverlay`); undefined: no overlay. */
  lut?: Uint8Array;
  alpha: number;
  freeSpaceIds: number[];
  want: { raw: boolean; maskPng: boolean; freeSpacePng: boolean; boundary: boolean; jpeg: boolean; overlay: boolean };
  jpegQuality: number;
}

/** The finish step's constants of a log run, for the cameras of one network size (`model`). */
export function logFinish(o: LogStageOptions, model: LoadedModel): FinishConstants {
  const { want } = o;
  const free = want.raw || want.freeSpacePng || want.boundary;
  return finishConstants({
    lut: o.lut ?? null,
    alpha: o.alpha,
    masks: want.maskPng,
    freeSpaceIds: free ? o.freeSpaceIds : null,
    freeSpacePng: want.freeSpacePng,
    boundary: want.boundary,
    raw: want.raw,
    jpegQuality: want.jpeg ? o.jpegQuality : undefined,
    ...scoreTables(model),
  });
}

/** Wires the stages onto the decoded frames (see the module comment). */
export function logStages(
  items$: Observable<LogFrame | SkippedMessage>,
  o: LogStageOptions,
): Observable<LogFrameOutput | SkippedMessage> {
  const shared$ = items$.pipe(share());
  const skipped$ = shared$.pipe(filter(isSkipped));
  const outputs$ = shared$.pipe(
    filter((i): i is LogFrame => !isSkipped(i)),
    groupBy((f) => o.engines.forTopic(f.source.topic, f).key),
    mergeMap((group$) => {
      const { model, engine } = o.engines.get(group$.key);
      let index = 0;
      const items$ = group$.pipe(
        map((f): FrameItem<LogFrame> => ((f.index = index++), { frame: f, ...taken(f, group$.key) })),
      );
      const shared = frameSteps<LogFrame>({
        pool: o.pool,
        engine,
        model,
        clock: o.clock,
        batch: o.batch,
        inferConcurrency: 2,
        finish: logFinish(o, model),
      });
      // A frame whose decode task made its input skips the preprocess task.
      const steps = {
        ...shared,
        prepare: (item: FrameItem<LogFrame>) => (item.input ? Promise.resolve(item) : shared.prepare(item)),
      };
      return stageChain(items$, steps).pipe(map((item) => logOutput(item, o.want.overlay)));
    }),
  );
  return merge(outputs$, skipped$).pipe(restoreOrder((i: LogFrameOutput | SkippedMessage) => i.no));
}

/** The input the decode task made for the frame, when made for the engine of `key`; the frame lets go of it. */
function taken(f: LogFrame, key: string): { input?: Float32Array } {
  const input = f.inputKey === key ? f.input : undefined;
  f.input = undefined;
  f.inputKey = undefined;
  return input ? { input } : {};
}

/** The log's outputs of one finished frame. */
function logOutput({ frame, maskPng, freeSpacePng, out }: FrameItem<LogFrame>, overlay: boolean): LogFrameOutput {
  const r = out!;
  return {
    no: frame.no,
    source: frame.source,
    width: frame.width,
    height: frame.height,
    classIds: r.classIds,
    freeSpace: r.freeSpace,
    maskPng,
    freeSpacePng,
    overlayJpeg: r.overlayJpeg,
    overlay: overlay ? frame.pixels : undefined,
    boundary: r.boundary,
    freeFraction: r.freeFraction,
  };
}
