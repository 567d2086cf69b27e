/**
 * Messages for a child process (ffmpeg, ffprobe) that ended by a signal: which signal, what it
 * usually means and what to do. A crash is never blamed on the input.
 */
import { ErrorCodes, SegStreamError, type ErrorContext } from '../errors.js';

const MEANING: Partial<Record<NodeJS.Signals, string>> = {
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

/** `killed by SIGSEGV: it crashed (...)`, for `what` ended by `signal`. */
export function describeSignal(signal: NodeJS.Signals): string {
  return `killed by ${signal}${MEANING[signal] ? `: ${MEANING[signal]}` : ''}`;
}

/** What to do after a child died of `signal`. */
export function adviceFor(name: 'ffmpeg' | 'ffprobe', signal: NodeJS.Signals): string {
  const env = name === 'ffmpeg' ? 'FFMPEG_PATH' : 'FFPROBE_PATH';
  if (signal === 'SIGKILL' || signal === 'SIGTERM' || signal === 'SIGINT') return 'run again (check free memory: dmesg shows the out-of-memory killer)';
  return `install ffmpeg on PATH (seg-stream prefers a newer system ffmpeg) or set ${env} to another ${name} build (\`seg-stream --version\` shows the one used)`;
}

/**
 * The error for `name` at `file` killed by `signal` while `doing` something.
 */
export function crashError(name: 'ffmpeg' | 'ffprobe', file: string, signal: NodeJS.Signals, doing: string, context: ErrorContext = {}): SegStreamError {
  return new SegStreamError(ErrorCodes.FFMPEG_CRASHED, `${name} (${file}) was ${describeSignal(signal)} while ${doing}; ${adviceFor(name, signal)}`, { context });
}
