/**
 * One-shot ffmpeg/ffprobe calls (probes, single-image decodes): the child-process policy in one
 * place — spawn, a timeout, an abort signal, stdout collected with a bound, and the spawn error,
 * exit status and stderr tail turned into coded errors that carry the redacted command. Streaming
 * children (decoders, encoders) use {@link spawnManaged} directly and share {@link spawnFailure},
 * {@link exitText} and {@link describeSignal} for their messages. A child killed by a signal is
 * named with the signal and what to do, and is never blamed on the input: a crashed ffprobe is
 * retried once with the one on PATH, otherwise it is `SEGSTREAM_ERR_FFMPEG_CRASHED`.
 */
import { ErrorCodes, SegStreamError, type ErrorCode, type ErrorContext } from '../errors.js';
import { fallbackFfprobe } from './binary-choice.js';
import { spawnManaged } from './child.js';

/** Which binary a call runs: names the environment variable in "could not run" messages. */
export type Tool = 'ffmpeg' | 'ffprobe';

/** Options of {@link runOnce}. */
export interface RunOnceOptions {
  tool: Tool;
  /** Pipeline stage for error contexts (`probe`, `decode`, ...). */
  stage: string;
  /** Kill the child after this long (SIGTERM, then SIGKILL 500 ms later). Default: no limit. */
  timeoutMs?: number;
  /** Aborting kills the child; the result says `aborted`. */
  signal?: AbortSignal;
  /** Most stdout bytes kept; more marks the result `overflow` (default 64 MiB). */
  maxStdoutBytes?: number;
  /** Removes secrets (e.g. URL credentials) from the stderr tail and the command. Default: `redact`. */
  scrub?: (text: string) => string;
  /**
   * What the call does, for the crash message (`probing "in.ts"`). Given, a child killed by a
   * signal (not by the timeout or the abort) is retried once with another ffprobe and then thrown
   * as `SEGSTREAM_ERR_FFMPEG_CRASHED`; without it the result is returned like any other exit.
   */
  doing?: string;
}

/** How a one-shot call ended. */
export interface RunOnceResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: Buffer;
  /** Stdout went past `maxStdoutBytes` (the rest was discarded). */
  overflow: boolean;
  timedOut: boolean;
  aborted: boolean;
  /** `{ stage, stderrTail, command }`, scrubbed, ready for an error. */
  context: ErrorContext & { stderrTail: string; command: string };
}

/** "could not run ffmpeg (...); set FFMPEG_PATH": a binary that cannot be started. */
export function spawnFailure(tool: Tool, err: Error): SegStreamError {
  return new SegStreamError(
    ErrorCodes.FFMPEG_NOT_FOUND,
    `could not run ${tool} (${err.message}); set ${tool.toUpperCase()}_PATH`,
    { cause: err },
  );
}

/** `exit code 1`, or `killed by SIGSEGV: it crashed (...)` for a child ended by a signal. */
export function exitText(code: number | null, signal: NodeJS.Signals | null): string {
  return signal ? describeSignal(signal) : `exit code ${code}`;
}

const SIGNAL_MEANING: Partial<Record<NodeJS.Signals, string>> = {
  SIGSEGV: 'it crashed (a bug in that build, not a problem with your file)',
  SIGBUS: 'it crashed (a bug in that build, or a file changed while it was read)',
  SIGILL: 'it crashed (a build for another CPU)',
  SIGFPE: 'it crashed (a bug in that build)',
  SIGABRT: 'it aborted (a bug in that build)',
  SIGKILL: 'something killed it (often the kernel running out of memory)',
  SIGTERM: 'something outside seg-stream stopped it',
  SIGINT: 'it was interrupted',
  SIGPIPE: 'its output was closed',
};

/** `killed by SIGSEGV: it crashed (...)`: the signal and what it usually means. */
export function describeSignal(signal: NodeJS.Signals): string {
  return `killed by ${signal}${SIGNAL_MEANING[signal] ? `: ${SIGNAL_MEANING[signal]}` : ''}`;
}

/** What to do after `tool` died of `signal`. */
export function adviceFor(tool: Tool, signal: NodeJS.Signals): string {
  if (signal === 'SIGKILL' || signal === 'SIGTERM' || signal === 'SIGINT')
    return 'run again (check free memory: dmesg shows the out-of-memory killer)';
  return `install ffmpeg on PATH (seg-stream prefers a newer system ffmpeg) or set ${tool.toUpperCase()}_PATH to another ${tool} build (\`seg-stream --version\` shows the one used)`;
}

/** `SEGSTREAM_ERR_FFMPEG_CRASHED` for `tool` at `file` killed by `signal` while `doing` something. */
export function crashError(
  tool: Tool,
  file: string,
  signal: NodeJS.Signals,
  doing: string,
  context: ErrorContext = {},
): SegStreamError {
  return new SegStreamError(
    ErrorCodes.FFMPEG_CRASHED,
    `${tool} (${file}) was ${describeSignal(signal)} while ${doing}; ${adviceFor(tool, signal)}`,
    { context },
  );
}

/** The last non-empty line of a stderr tail. */
export function lastLine(text: string): string {
  const lines = text.trim().split('\n');
  return (lines[lines.length - 1] ?? '').trim();
}

/** A coded error for a failed call, with its context (stage, stderr tail, command). */
export function childError(code: ErrorCode, message: string, result: Pick<RunOnceResult, 'context'>): SegStreamError {
  return new SegStreamError(code, message, { context: result.context });
}

/**
 * Runs `file args` to completion and collects its stdout.
 *
 * @throws {SegStreamError} `SEGSTREAM_ERR_FFMPEG_NOT_FOUND` when the binary cannot be started;
 *   `SEGSTREAM_ERR_FFMPEG_CRASHED` for a child killed by a signal when `doing` is given (see
 *   {@link RunOnceOptions.doing}). A non-zero exit, a timeout or an abort is returned, not
 *   thrown: the caller knows what it means.
 */
export async function runOnce(file: string, args: string[], options: RunOnceOptions): Promise<RunOnceResult> {
  const result = await runOnceWith(file, args, options);
  if (options.doing === undefined || !result.signal || result.timedOut || result.aborted) return result;
  // A crash says nothing about the input: another ffprobe build (the one on PATH) may read it.
  const other = options.tool === 'ffprobe' ? fallbackFfprobe(file) : undefined;
  const retried = other ? await runOnceWith(other, args, options) : undefined;
  if (retried && !(retried.signal && !retried.timedOut && !retried.aborted)) return retried;
  throw crashError(
    options.tool,
    other ?? file,
    (retried ?? result).signal!,
    options.doing,
    (retried ?? result).context,
  );
}

async function runOnceWith(file: string, args: string[], options: RunOnceOptions): Promise<RunOnceResult> {
  const child = spawnManaged(file, args, { stdout: 'pipe' });
  const max = options.maxStdoutBytes ?? 64 * 2 ** 20;
  const chunks: Buffer[] = [];
  let size = 0;
  let overflow = false;
  child.process.stdout!.on('data', (c: Buffer) => {
    if (size + c.length > max) overflow = true;
    else {
      chunks.push(c);
      size += c.length;
    }
  });
  let spawnError: Error | undefined;
  child.process.once('error', (err) => (spawnError = err));
  let timedOut = false;
  const timer =
    options.timeoutMs === undefined
      ? undefined
      : setTimeout(() => {
          timedOut = true;
          void child.kill(500);
        }, options.timeoutMs);
  const onAbort = () => void child.kill(500);
  if (options.signal?.aborted) onAbort();
  else options.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    const [{ code, signal }] = await Promise.all([
      child.exited,
      closed(child.process.stdout!),
      closed(child.process.stderr!),
    ]);
    if (spawnError) throw spawnFailure(options.tool, spawnError);
    const scrub = options.scrub ?? ((t: string) => t);
    return {
      code,
      signal,
      stdout: Buffer.concat(chunks),
      overflow,
      timedOut,
      aborted: options.signal?.aborted === true,
      context: { stage: options.stage, stderrTail: scrub(child.stderrTail()), command: scrub(child.command) },
    };
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener('abort', onAbort);
    await child.kill(200);
  }
}

/** Resolves once a stream has closed (all its data delivered); at once for a spawn that failed. */
function closed(stream: NodeJS.ReadableStream & { closed?: boolean; destroyed?: boolean }): Promise<void> {
  return stream.closed || stream.destroyed
    ? Promise.resolve()
    : new Promise((resolve) => stream.once('close', () => resolve()));
}
