/**
 * One error class for the whole project, with stable codes.
 *
 * Every failure a user can cause (bad input, bad model, bad option, an unwritable output)
 * surfaces as a {@link SegStreamError} whose `code` is stable across releases and whose
 * message says what happened and what to do next. The CLI prints
 * `seg-stream: <code>: <message>` and exits with {@link exitCodeFor}.
 */

/**
 * Stable error codes. The CLI exit code is 2 for usage errors and 1 for everything else: `USAGE`
 * is the command line's own (thrown in `cli/` only); the library throws `INVALID_OPTION` naming the
 * option (`context.option`), which the CLI prints as its flag.
 */
export const ErrorCodes = {
  USAGE: 'SEGSTREAM_ERR_USAGE',
  INVALID_OPTION: 'SEGSTREAM_ERR_INVALID_OPTION',
  INPUT_NOT_FOUND: 'SEGSTREAM_ERR_INPUT_NOT_FOUND',
  INPUT_NOT_VIDEO: 'SEGSTREAM_ERR_INPUT_NOT_VIDEO',
  INPUT_CORRUPT: 'SEGSTREAM_ERR_INPUT_CORRUPT',
  INPUT_TRUNCATED: 'SEGSTREAM_ERR_INPUT_TRUNCATED',
  NO_FRAMES: 'SEGSTREAM_ERR_NO_FRAMES',
  ODD_SIZE: 'SEGSTREAM_ERR_ODD_SIZE',
  OUTPUT_UNWRITABLE: 'SEGSTREAM_ERR_OUTPUT_UNWRITABLE',
  OUTPUT_FULL: 'SEGSTREAM_ERR_OUTPUT_FULL',
  MODEL_NOT_FOUND: 'SEGSTREAM_ERR_MODEL_NOT_FOUND',
  MODEL_INVALID: 'SEGSTREAM_ERR_MODEL_INVALID',
  ENGINE_UNAVAILABLE: 'SEGSTREAM_ERR_ENGINE_UNAVAILABLE',
  DEVICE_UNAVAILABLE: 'SEGSTREAM_ERR_DEVICE_UNAVAILABLE',
  INFERENCE_FAILED: 'SEGSTREAM_ERR_INFERENCE_FAILED',
  FFMPEG_NOT_FOUND: 'SEGSTREAM_ERR_FFMPEG_NOT_FOUND',
  FFMPEG_CRASHED: 'SEGSTREAM_ERR_FFMPEG_CRASHED',
  DECODE_FAILED: 'SEGSTREAM_ERR_DECODE_FAILED',
  ENCODE_FAILED: 'SEGSTREAM_ERR_ENCODE_FAILED',
  WORKER_FAILED: 'SEGSTREAM_ERR_WORKER_FAILED',
  STREAM_UNREACHABLE: 'SEGSTREAM_ERR_STREAM_UNREACHABLE',
  STREAM_AUTH: 'SEGSTREAM_ERR_STREAM_AUTH',
  STREAM_NOT_FOUND: 'SEGSTREAM_ERR_STREAM_NOT_FOUND',
  STREAM_LOST: 'SEGSTREAM_ERR_STREAM_LOST',
  STREAM_CHANGED: 'SEGSTREAM_ERR_STREAM_CHANGED',
  PREVIEW_UNAVAILABLE: 'SEGSTREAM_ERR_PREVIEW_UNAVAILABLE',
  REDIS_UNAVAILABLE: 'SEGSTREAM_ERR_REDIS_UNAVAILABLE',
  LOCK_LOST: 'SEGSTREAM_ERR_LOCK_LOST',
  LOG_UNREADABLE: 'SEGSTREAM_ERR_LOG_UNREADABLE',
  LOG_NO_IMAGES: 'SEGSTREAM_ERR_LOG_NO_IMAGES',
  LOG_ENCODING_UNSUPPORTED: 'SEGSTREAM_ERR_LOG_ENCODING_UNSUPPORTED',
  ABORTED: 'SEGSTREAM_ERR_ABORTED',
  INTERNAL: 'SEGSTREAM_ERR_INTERNAL',
} as const;

/** Union of every stable error code. */
export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes];

/** Context attached to an error: where in the pipeline it happened. */
export interface ErrorContext {
  /** Pipeline stage: `probe`, `decode`, `preprocess`, `infer`, `render`, `encode`, `masks`, `model`, `cli`. */
  stage?: string;
  /** Index of the frame being processed, when known. */
  frameIndex?: number;
  /** The last lines ffmpeg wrote to stderr, when a child process was involved. */
  stderrTail?: string;
  /** The command line of a failed child process (credentials removed). */
  command?: string;
  /** The option the message tells the user to set (as option \`name\`), for the CLI to name its flag instead. */
  option?: string;
}

/**
 * The project's error: a stable `code`, a message that says what to do next, the original
 * error as `cause`, and the pipeline context.
 *
 * @example
 * ```ts
 * try { await segmentVideo({ input: 'missing.mp4', output: 'o.mp4' }) }
 * catch (e) { if (e instanceof SegStreamError && e.code === 'SEGSTREAM_ERR_INPUT_NOT_FOUND') ... }
 * ```
 */
export class SegStreamError extends Error {
  override readonly name = 'SegStreamError';
  readonly code: ErrorCode;
  readonly context: ErrorContext;

  constructor(code: ErrorCode, message: string, options: { cause?: unknown; context?: ErrorContext } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.context = options.context ?? {};
  }
}

/** True when `err` is a {@link SegStreamError}, optionally with the given code. */
export function isSegStreamError(err: unknown, code?: ErrorCode): err is SegStreamError {
  return err instanceof SegStreamError && (code === undefined || err.code === code);
}

/** Wraps anything thrown into a {@link SegStreamError}, keeping one that already is. */
export function toSegStreamError(
  err: unknown,
  fallback: ErrorCode = ErrorCodes.INTERNAL,
  context?: ErrorContext,
): SegStreamError {
  if (err instanceof SegStreamError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new SegStreamError(fallback, message, { cause: err, context });
}

/** The process exit code for an error: 2 for wrong usage, 1 otherwise. */
export function exitCodeFor(err: unknown): number {
  if (err instanceof SegStreamError && (err.code === ErrorCodes.USAGE || err.code === ErrorCodes.INVALID_OPTION))
    return 2;
  return 1;
}

/** `Expected <what> for <option> but received <value>`: the one shape of option errors. */
export function invalidOption(option: string, expected: string, received: unknown): SegStreamError {
  let shown: string;
  try {
    shown = typeof received === 'string' ? JSON.stringify(received) : String(received);
  } catch {
    shown = typeof received;
  }
  return new SegStreamError(ErrorCodes.INVALID_OPTION, `Expected ${expected} for ${option} but received ${shown}`, {
    context: { option },
  });
}

/**
 * An `INVALID_OPTION` error about option `option` (a bad value or a bad combination), as
 * `context.option`. The message names options in backticks (`` `output` ``); the CLI prints
 * the flag instead (`-o`).
 */
export function optionError(option: string, message: string): SegStreamError {
  return new SegStreamError(ErrorCodes.INVALID_OPTION, message, { context: { option } });
}

/** An error as it crosses a thread boundary (structured clone keeps plain objects, not classes). */
export interface SerializedError {
  code?: ErrorCode;
  message: string;
  context?: ErrorContext;
}

/** Keeps the stable code, message and context of an error for the other side of a thread boundary. */
export function serializeError(err: unknown): SerializedError {
  if (err instanceof SegStreamError) return { code: err.code, message: err.message, context: err.context };
  return { message: err instanceof Error ? err.message : String(err) };
}

/** The {@link SegStreamError} a {@link SerializedError} stands for; `fallback` when it had no code. */
export function reviveError(e: SerializedError, fallback: ErrorCode): SegStreamError {
  return new SegStreamError(e.code ?? fallback, e.message, { context: e.context });
}
