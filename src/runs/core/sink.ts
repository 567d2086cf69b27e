/**
 * The interface of a run's outputs: a sink is opened before the first frame, takes finished
 * frames in source order, and is either finished (its files complete and published under their
 * final names, atomically) or aborted (nothing published, temporaries removed). Every run kind's
 * outputs implement it; `runKind` (core/run-kind.ts) drives them.
 *
 * After a failure that keeps what was written (`RunKind.keeps`: a live stream lost for good, a
 * frame folder with a damaged frame), each sink follows its own policy ({@link Sink.onKeptFailure}):
 * finished with the frames so far, or aborted when it is only worth having whole.
 */

/** One output of a run. `write` calls come one at a time, in source order. */
export interface Sink<T> {
  /** Checks and creates what the output needs (folders, temporary files) before any frame. */
  open(): Promise<void>;
  /** Takes one finished frame; resolves when the output can take the next (back-pressure). */
  write(item: T): Promise<void>;
  /** Completes the output and publishes it under its final name(s). Idempotent. */
  finish(): Promise<void>;
  /** Drops what is unfinished; final names are never touched. Idempotent, never throws. */
  abort(): Promise<void>;
  /** Takes each frame after the other sinks took it (outputs that report when a frame left the sinks: stats, preview). */
  readonly after?: boolean;
  /**
   * What a failure that keeps what was written does to this output: `finish` (default: complete
   * and publish it with the frames so far) or `abort` (an output only worth having whole, e.g. a
   * frame sequence's overlay video, which a resumed run writes again from the first frame).
   */
  readonly onKeptFailure?: 'finish' | 'abort';
}

/** Runs `step` on every sink in order; the first failure is thrown after all were tried. */
export async function eachSink<T>(sinks: readonly Sink<T>[], step: (s: Sink<T>) => Promise<void>): Promise<void> {
  let failure: { err: unknown } | undefined;
  for (const s of sinks) await step(s).catch((err: unknown) => (failure ??= { err }));
  if (failure) throw failure.err;
}

/** Completes or drops `s` after a failure that keeps what was written, by its {@link Sink.onKeptFailure} policy. */
export function settleAfterFailure<T>(s: Sink<T>): Promise<void> {
  return s.onKeptFailure === 'abort' ? s.abort() : s.finish();
}
