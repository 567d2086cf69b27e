/**
 * One stop policy for every command. The first SIGINT, SIGTERM or SIGHUP (Ctrl-C, `timeout`,
 * systemd or a container stop, a closed terminal) is a graceful stop: the run finishes the frames
 * in flight, finalises its outputs and the command exits 0. A second one aborts at once with exit
 * code 130: child processes are killed, temporary files removed (a live recording is kept and its
 * path printed), and the process ends without tearing down the inference thread mid-call.
 */
import { writeSync } from 'node:fs';
import { disposeLiveEngines } from '../infer/live-engines.js';
import { killChildrenSync } from '../util/child.js';
import { removeTemporariesSync } from '../util/temp-files.js';

/** Signals that stop a run. */
export const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/** Exit code of an aborted run (128 + SIGINT, what shells report for Ctrl-C). */
export const ABORT_EXIT_CODE = 130;

/**
 * Installs the stop policy: the first signal writes one line (`what` says what the run does now)
 * and aborts `stop`; a second exits with {@link ABORT_EXIT_CODE}. Returns the function that
 * removes the handlers again.
 */
export function handleStopSignals(stderr: NodeJS.WritableStream, stop: AbortController, what: string): () => void {
  let count = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    count++;
    if (count === 1) {
      safeWrite(stderr, `\nseg-stream: ${signal}: ${what} (again to abort)\n`);
      stop.abort();
      return;
    }
    abortNow(stderr, signal);
  };
  for (const s of STOP_SIGNALS) process.on(s, onSignal);
  // A terminal that hangs up (SIGHUP) fails every later write with EIO: the run still finishes
  // its outputs, so those errors must not end the process mid-file.
  const streams: NodeJS.EventEmitter[] = [...new Set<NodeJS.EventEmitter>([stderr, process.stdout, process.stderr])];
  const ignore = () => {};
  for (const stream of streams) stream.on('error', ignore);
  return () => {
    for (const s of STOP_SIGNALS) process.off(s, onSignal);
    for (const stream of streams) stream.off('error', ignore);
  };
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
  void disposeLiveEngines(ENGINE_EXIT_CAP_MS).finally(() => process.exit(ABORT_EXIT_CODE));
}

let aborting = false;

/** True once a second signal has started the abort: the run's own errors are not reported then. */
export function isAborting(): boolean {
  return aborting;
}

/** The longest an abort waits for the inference thread's call in flight. */
export const ENGINE_EXIT_CAP_MS = 3000;

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
