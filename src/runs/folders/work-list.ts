/**
 * The work list of a frame-folder run: per sequence, which frames to segment, which finished
 * ones to score again from their saved masks, which to skip.
 *
 * Kept as one byte per frame and made into jobs one at a time as the run takes them, so a run's
 * memory does not grow with the number of frames: only the sequences' file lists (paths) do.
 */
import type { FrameEntry, Sequence } from '../../datasets/layouts.js';

/** One frame for the stages. */
export interface Job {
  seq: Sequence;
  frame: FrameEntry;
  index: number;
  /** Re-score a skipped frame from its saved mask instead of processing it. */
  rescore: boolean;
  /** Last frame of its sequence in this run (closes the sequence's video). */
  last: boolean;
}

const SKIP = 0;
const WORK = 1;
const RESCORE = 2;

/** The plan of one sequence. */
export interface SequenceWork {
  seq: Sequence;
  /** Per frame: skip, segment or re-score. */
  state: Uint8Array;
  /** Frames to segment. */
  work: number;
  /** Frames skipped as complete (re-scored ones included). */
  skipped: number;
  /** Frames with ground truth among the jobs (segmented or re-scored). */
  labelled: number;
  /** Index of the first and last frame to segment (-1 when none). */
  firstWork: number;
  lastWork: number;
}

/** What {@link planWork} needs to know of the run. */
export interface WorkPlanInput {
  /** Per sequence, which frames are complete (all false to redo everything). */
  done: (seq: Sequence) => Promise<boolean[]>;
  /** Whether a complete labelled frame of `seq` is scored again from its saved mask. */
  rescore: (seq: Sequence) => boolean;
  /** Frames to segment at most (`--frames`). */
  budget: number;
}

/** The run's work, in sequence and frame order. */
export class WorkList {
  /** True when `budget` left frames undone. */
  readonly limited: boolean;

  constructor(
    readonly sequences: readonly SequenceWork[],
    limited: boolean,
  ) {
    this.limited = limited;
  }

  /** Frames to segment. */
  get work(): number {
    return this.sequences.reduce((n, s) => n + s.work, 0);
  }

  /** Jobs of any kind. */
  get size(): number {
    return this.sequences.reduce((n, s) => n + s.state.reduce((k, v) => k + (v === SKIP ? 0 : 1), 0), 0);
  }

  /** The first frame to segment in `seq` (or in the run), if any. */
  firstWork(seq?: Sequence): FrameEntry | undefined {
    const s = this.sequences.find((w) => (seq === undefined || w.seq === seq) && w.firstWork >= 0);
    return s ? s.seq.frames[s.firstWork] : undefined;
  }

  /** Jobs in order, made as they are taken. */
  *jobs(): Generator<Job> {
    for (const { seq, state, lastWork } of this.sequences) {
      for (let index = 0; index < state.length; index++) {
        const v = state[index];
        if (v === SKIP) continue;
        yield { seq, frame: seq.frames[index], index, rescore: v === RESCORE, last: index === lastWork };
      }
    }
  }
}

/**
 * Plans the run: frames not complete are segmented (at most `budget`), complete labelled frames
 * are re-scored where `rescore` says so, the rest skipped.
 */
export async function planWork(sequences: readonly Sequence[], input: WorkPlanInput): Promise<WorkList> {
  let budget = input.budget;
  let limited = false;
  const out: SequenceWork[] = [];
  for (const seq of sequences) {
    const done = await input.done(seq);
    const rescore = input.rescore(seq);
    const w: SequenceWork = {
      seq,
      state: new Uint8Array(seq.frames.length),
      work: 0,
      skipped: 0,
      labelled: 0,
      firstWork: -1,
      lastWork: -1,
    };
    seq.frames.forEach((frame, index) => {
      if (done[index]) {
        w.skipped++;
        if (frame.label && rescore) w.state[index] = RESCORE;
      } else if (budget > 0) {
        budget--;
        w.state[index] = WORK;
        w.work++;
        if (w.firstWork < 0) w.firstWork = index;
        w.lastWork = index;
      } else limited = true;
      if (w.state[index] !== SKIP && frame.label) w.labelled++;
    });
    out.push(w);
  }
  return new WorkList(out, limited);
}
