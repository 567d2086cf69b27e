/**
 * The state of a frame-folder run: what its plan decided (`plan.ts`) and the counts its steps
 * fill (`steps.ts`); types only, shared by the kind, plan, steps, sinks and summary.
 */
import type { EngineOutput, LoadedModel } from '../../infer/types.js';
import type { Sequence } from '../../datasets/layouts.js';
import type { VideoEncoder } from '../../sinks/video-encoder.js';
import type { SequenceTemporal } from '../../temporal/sequences.js';
import type { FinishConstants } from '../core/finish.js';
import type { SegStreamError } from '../../errors.js';
import type { RunPlan } from '../core/run-kind.js';
import type { DecodeFrameResult, FinishFrameResult, LabelTask } from './frame-tasks.js';
import type { FreeSpaceJsonl } from './jsonl-store.js';
import type { SequenceSummary } from './manifest.js';
import type { ResolvedFolderOptions } from './options.js';
import type { OutputPlan } from './outputs.js';
import type { RunScores } from './scores.js';
import type { Job, WorkList } from './work-list.js';

/** A job on its way through the stages. */
export interface Item {
  job: Job;
  /** Position in the work list: the order restored before the overlay videos and the JSONL. */
  no: number;
  decoded?: DecodeFrameResult;
  seg?: EngineOutput;
  result?: FinishFrameResult;
}

/** How a folder run is called: `sequences` replaces finding them; without `manifest` none is written (evaluation); `smooth` per sequence. */
export interface FolderHow {
  sequences?: Sequence[];
  manifest?: boolean;
  smooth?: number;
}

/** An overlay video of a sequence. */
export interface VideoState {
  file: string;
  width: number;
  height: number;
  encoder?: VideoEncoder;
}

/** The options of a folder run: resolved (`resolveFolderOptions`), and how it is called. */
export type FolderRunOptions = ResolvedFolderOptions & { how?: FolderHow };

/** Everything a folder run decided before its first frame, and its counts. */
export interface FolderPlan extends RunPlan<Item> {
  opts: FolderRunOptions;
  startedAt: Date;
  ffmpeg: string;
  sequences: Sequence[];
  walkNotes: string[];
  outputs?: OutputPlan;
  manifestPath?: string;
  jsonl?: FreeSpaceJsonl;
  work?: WorkList;
  model?: LoadedModel;
  scores?: RunScores;
  labelTasks: Map<Sequence, Omit<LabelTask, 'file'> | null>;
  temporal?: SequenceTemporal<Sequence>;
  videos: Map<Sequence, VideoState>;
  /** Frame sizes seen per sequence. */
  sizes: Map<Sequence, Set<string>>;
  summaries: Map<Sequence, SequenceSummary>;
  decoded: { ffmpeg: number; sharp: number };
  /** Overlay videos abandoned after a failure: never claimed as outputs. */
  abandoned: Set<string>;
  finish?: Record<'video' | 'plain' | 'rescore', FinishConstants>;
  progress: (frames: number, final: boolean) => void;
  /** After a failure part-way: the error saying which frames were kept and where they are listed. */
  kept?: SegStreamError;
}
