/**
 * A failed job's coded error as BullMQ keeps it: `{ code, message, context }` as JSON in the job's
 * failed reason, read back as such by `queue status` and the worker's events (never taken apart
 * from message text). Codes worth another attempt are thrown as retryable errors; every other
 * code as BullMQ's `UnrecoverableError`, so the job fails at once.
 */
import { UnrecoverableError } from 'bullmq';
import { ErrorCodes, type ErrorCode, type ErrorContext, type SegStreamError } from '../errors.js';
import { redact } from '../process/redact.js';

/** A job's failure: the stable code, the message (credentials removed) and the pipeline context. */
export interface JobFailure {
  code: ErrorCode;
  message: string;
  context?: ErrorContext;
}

/** Codes worth another attempt (on this or another machine); every other code fails the job at once. */
const RETRIED: ReadonlySet<ErrorCode> = new Set([
  ErrorCodes.STREAM_LOST,
  ErrorCodes.STREAM_UNREACHABLE,
  ErrorCodes.STREAM_CHANGED,
  ErrorCodes.FFMPEG_CRASHED,
  ErrorCodes.WORKER_FAILED,
  ErrorCodes.INTERNAL,
  ErrorCodes.OUTPUT_FULL,
  ErrorCodes.REDIS_UNAVAILABLE,
  ErrorCodes.ABORTED,
  ErrorCodes.INFERENCE_FAILED,
  ErrorCodes.LOCK_LOST,
]);

const CODES: ReadonlySet<string> = new Set(Object.values(ErrorCodes));

/** The error a job's processor throws for `err`: its failure as JSON, unrecoverable unless retrying may help. */
export function failureError(err: SegStreamError): Error {
  const failure: JobFailure = {
    code: err.code,
    message: redact(err.message),
    ...(Object.keys(err.context).length > 0 ? { context: redactContext(err.context) } : {}),
  };
  const text = JSON.stringify(failure);
  return RETRIED.has(err.code) ? new Error(text) : new UnrecoverableError(text);
}

/**
 * The failure a job's failed reason holds. A reason that is not one of ours (BullMQ's own, e.g. a
 * job that stalled too often) is `INTERNAL` with the reason as its message.
 */
export function readFailure(reason: string): JobFailure {
  try {
    const f = JSON.parse(reason) as Partial<JobFailure> | null;
    if (f && typeof f.code === 'string' && CODES.has(f.code) && typeof f.message === 'string')
      return {
        code: f.code,
        message: f.message,
        ...(f.context && typeof f.context === 'object' ? { context: f.context } : {}),
      };
  } catch {
    // not JSON: not one of ours
  }
  return { code: ErrorCodes.INTERNAL, message: reason };
}

function redactContext(context: ErrorContext): ErrorContext {
  const out: ErrorContext = { ...context };
  if (out.command) out.command = redact(out.command);
  if (out.stderrTail) out.stderrTail = redact(out.stderrTail);
  return out;
}
