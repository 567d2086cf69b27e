/**
 * The one stop policy of every command: the first SIGINT or SIGTERM stops the run gracefully (no
 * new frames, the frames in flight finish, outputs are finalised) and says so on stderr; a second
 * one exits at once with 130.
 */
import type { CliIo } from './io.js';

const STOP_SIGNALS = ['SIGINT', 'SIGTERM'] as const;

/**
 * Runs `fn` with an AbortSignal that the first stop signal aborts, and removes the handlers when
 * it settles.
 *
 * @param doing what the graceful stop does, for the message (e.g. "closing outputs")
 */
export async function withStopSignals<T>(io: CliIo, doing: string, fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const stop = new AbortController();
  let received = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    if (++received === 1) {
      io.stderr.write(`\nseg-stream: ${signal}: ${doing} (again to abort)\n`);
      stop.abort();
    } else process.exit(130);
  };
  for (const s of STOP_SIGNALS) process.on(s, onSignal);
  try {
    return await fn(stop.signal);
  } finally {
    for (const s of STOP_SIGNALS) process.off(s, onSignal);
  }
}
