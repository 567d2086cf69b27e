/**
 * The one stop policy of every command. The first SIGINT, SIGTERM or SIGHUP (Ctrl-C, `timeout`,
 * systemd or a container stop, a closed terminal) is a graceful stop: the run finishes the frames
 * in flight, finalises its outputs and the command exits 0. A second one aborts at once with exit
 * code 130: child processes are killed, temporary files removed (a live recording is kept and its
 * path printed), and the process ends without tearing down the inference thread mid-call.
 * A command with more graceful steps (the worker: finish the jobs, then hand them back) passes
 * them to {@link withStopSteps}; the signal after its last step aborts the same way.
 */
import { closeSync, writeSync } from 'node:fs';
import { isatty } from 'node:tty';
import { disposeLiveEngines } from '../infer/live-engines.js';
import { killChildrenSync } from '../process/child.js';
import { removeTemporariesSync } from '../process/temp-files.js';
import type { CliIo } from './io.js';

/** Signals that stop a run. */
export const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/** Exit code of an aborted run (128 + SIGINT, what shells report for Ctrl-C). */
export const ABORT_EXIT_CODE = 130;

/** Standard descriptors that were a terminal when the process started. */
const TERMINAL_FDS = [0, 1, 2].filter((fd) => isatty(fd));
let hungUp = false;

/** Records a stop signal; SIGHUP means the terminal may be gone (see {@link releaseHungUpTerminal}). */
export function noteStopSignal(signal: NodeJS.Signals): void {
  if (signal !== 'SIGHUP' || hungUp) return;
  hungUp = true;
  // Writes to a terminal that hung up fail (EIO) for the rest of the process, also after the run's
  // own handlers are gone (a progress bar's last line): nothing can be shown there any more.
  for (const stream of [process.stdout, process.stderr]) stream.on('error', () => {});
}

/**
 * After a SIGHUP, closes the standard descriptors that were a terminal. At exit Node 20 restores
 * the terminal's modes and aborts when that fails, as it does on a terminal that hung up
 * (`tcsetattr` → EIO; nodejs/node#51519, fixed in later Node versions): a closed descriptor is
 * skipped. Call it when nothing is left to write.
 */
export function releaseHungUpTerminal(): void {
  if (!hungUp) return;
  for (const fd of TERMINAL_FDS) {
    try {
      closeSync(fd);
    } catch {
      // already closed
    }
  }
}

/** The longest an abort waits for the inference thread's call in flight. */
export const ENGINE_EXIT_CAP_MS = 3000;

/** One graceful step of the stop policy: what the n-th stop signal says and does. */
export interface StopStep {
  /** The line written to stderr when the signal arrives. */
  say(signal: NodeJS.Signals): string;
  /** The step itself (e.g. abort the run's signal, close a worker); must not throw. */
  act(): void;
}

/**
 * Runs `fn` under the stop policy: the n-th stop signal takes `steps[n - 1]`, the one after the
 * last step aborts the process (see {@link abortNow}). The handlers are removed when `fn` settles.
 */
export async function withStopSteps<T>(io: CliIo, steps: readonly StopStep[], fn: () => Promise<T>): Promise<T> {
  let received = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    noteStopSignal(signal);
    const step = steps[received++];
    if (!step) return abortNow(io.stderr, signal);
    safeWrite(io.stderr, step.say(signal));
    step.act();
  };
  for (const s of STOP_SIGNALS) process.on(s, onSignal);
  // A terminal that hangs up (SIGHUP) fails every later write with EIO: the run still finishes
  // its outputs, so those errors must not end the process mid-file.
  const streams = [...new Set<NodeJS.EventEmitter>([io.stderr, io.stdout, process.stdout, process.stderr])];
  const ignore = () => {};
  for (const stream of streams) stream.on('error', ignore);
  try {
    return await fn();
  } finally {
    for (const s of STOP_SIGNALS) process.off(s, onSignal);
    for (const stream of streams) stream.off('error', ignore);
  }
}

/**
 * Runs `fn` with an AbortSignal that the first stop signal aborts, and removes the handlers when
 * it settles. A second signal aborts the process (see {@link abortNow}).
 *
 * @param doing what the graceful stop does, for the message (e.g. "closing outputs")
 */
export async function withStopSignals<T>(
  io: CliIo,
  doing: string,
  fn: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const stop = new AbortController();
  const graceful: StopStep = {
    say: (signal) => `\nseg-stream: ${signal}: ${doing} (again to abort)\n`,
    act: () => stop.abort(),
  };
  return withStopSteps(io, [graceful], () => fn(stop.signal));
}

let aborting = false;

/** True once a second signal has started the abort: the run's own errors are not reported then. */
export function isAborting(): boolean {
  return aborting;
}

/**
 * Kills every child, removes temporary files, lets the inference thread end (its call in flight
 * finishes: exiting under it crashes onnxruntime-node, see `infer/live-engines.ts`; at most
 * {@link ENGINE_EXIT_CAP_MS}) and ends the process with exit code 130.
 */
export function abortNow(stderr: NodeJS.WritableStream, signal: string): void {
  killChildrenSync();
  const kept = removeTemporariesSync();
  const lines = [`seg-stream: ${signal} again: aborted; unfinished outputs removed`];
  for (const k of kept) lines.push(`seg-stream: kept ${k.what}: ${k.file}`);
  safeWrite(stderr, `${lines.join('\n')}\n`);
  aborting = true;
  void disposeLiveEngines(ENGINE_EXIT_CAP_MS).finally(() => {
    releaseHungUpTerminal();
    process.exit(ABORT_EXIT_CODE);
  });
}

function safeWrite(stream: NodeJS.WritableStream, text: string): void {
  try {
    const fd = (stream as { fd?: number }).fd;
    if (typeof fd === 'number') {
      // Synchronous: the process may end right after.
      writeSync(fd, text);
      return;
    }
    stream.write(text);
  } catch {
    // a closed terminal (SIGHUP) cannot be written to
  }
}
