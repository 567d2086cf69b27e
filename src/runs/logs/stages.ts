/**
 * The stages of a log run on the shared stage chain (`segmentFrames`: preprocess → infer →
 * render → order): frames are grouped by their camera's network size, each group runs the chain
 * with its own engine (and its own frame numbering), then the log's outputs are made per frame
 * in the workers and the log-time order of all cameras is restored before the sinks.
 */
import { filter, groupBy, map, merge, mergeMap, share, type Observable } from 'rxjs';
import type { FramePool } from '../frame-pool.js';
import { restoreOrder } from '../operators.js';
import type { StageClock } from '../stats.js';
import { segmentFrames } from '../video/stages.js';
import type { LogEngines } from './engines.js';
import { isSkipped, type SkippedMessage } from './frames.js';
import type { LogOutputsResult, LogOutputsTask } from './frame-tasks.js';
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

/** Wires the stages onto the decoded frames (see the module comment). */
export function logStages(items$: Observable<LogFrame | SkippedMessage>, o: LogStageOptions): Observable<LogFrameOutput | SkippedMessage> {
  const shared$ = items$.pipe(share());
  const skipped$ = shared$.pipe(filter(isSkipped));
  const outputs$ = shared$.pipe(
    filter((i): i is LogFrame => !isSkipped(i)),
    groupBy((f) => o.engines.forTopic(f.source.topic, f).key),
    mergeMap((group$) => {
      const { model, engine } = o.engines.get(group$.key);
      let index = 0;
      const numbered$ = group$.pipe(map((f) => ((f.index = index++), f)));
      const ctx = { pool: o.pool, engine, model, clock: o.clock, batch: o.batch, inferConcurrency: 2, lut: o.lut, alpha: o.alpha, masks: false, freeSpace: false };
      return segmentFrames(numbered$, ctx).pipe(mergeMap(({ frame }) => frameOutputs(frame, o)));
    }),
  );
  return merge(outputs$, skipped$).pipe(restoreOrder((i: LogFrameOutput | SkippedMessage) => i.no));
}

/** The log's outputs of one segmented frame, made in a worker. */
async function frameOutputs(frame: LogFrame, o: LogStageOptions): Promise<LogFrameOutput> {
  const t0 = performance.now();
  const seg = frame.segmentation!;
  const task: LogOutputsTask = {
    width: frame.width, height: frame.height, classMap: seg.classMap, mapWidth: seg.width, mapHeight: seg.height, freeSpaceIds: o.freeSpaceIds,
    ...o.want, jpeg: o.want.jpeg ? frame.pixels : null, jpegQuality: o.jpegQuality,
  };
  const r = await o.pool.run<LogOutputsResult>('logOutputs', task);
  o.clock.add('masks', performance.now() - t0);
  return { no: frame.no, source: frame.source, width: frame.width, height: frame.height, ...r, ...(o.want.overlay ? { overlay: frame.pixels } : {}) };
}
