/**
 * `seg-stream drive.mcap|drive.bag ...`: a driving log goes to the log run. A log is known by its
 * first bytes (an `.mcap`/`.bag` name that is not a log is an error, not a video). Library errors
 * name options (`logOut`, `topics`); here they are mapped back to the flags the user typed.
 */
import { ErrorCodes, SegStreamError } from '../errors.js';
import { segmentLog, type LogRunSummary } from '../runs/logs/segment-log.js';
import { RUN_FLAGS, commonRunFlags, intFlag, parseCommandLine, stringFlag, type ParsedArgs } from './args.js';
import type { CliIo } from './io.js';
import { terminalProgress } from './progress.js';
import { withStopSignals } from './signals.js';
import { LOG_FLAGS } from './log-input.js';
import { FLAG_OF } from './option-flags.js';

const NOT_FOR_LOGS = [
  'duration',
  'segment-time',
  'rtsp-transport',
  'timeout',
  'reconnect-max',
  'reconnect-delay',
  'no-drop',
  'live',
  'no-live',
  'no-audio',
  'pad-even',
  'kitti-road',
  'fps',
  'overwrite',
  'manifest',
  'no-score',
  'preview',
  'preview-token',
] as const;

function logOptions(values: ParsedArgs['values'], input: string) {
  for (const f of NOT_FOR_LOGS)
    if (values[f] !== undefined) throw new SegStreamError(ErrorCodes.USAGE, `--${f} does not apply to driving logs`);
  const topics = stringFlag(values, 'topics');
  return {
    input,
    logOut: stringFlag(values, 'log-out'),
    logOverlay: values['log-overlay'] === true ? true : undefined,
    logCopyAll: values['log-copy-all'] === true ? true : undefined,
    topics:
      topics === undefined
        ? undefined
        : topics
            .split(',')
            .map((t) => t.trim())
            .filter((t) => t !== ''),
    output: stringFlag(values, 'output'),
    masks: stringFlag(values, 'masks'),
    freeSpace: stringFlag(values, 'free-space'),
    stats: stringFlag(values, 'stats'),
    freeSpaceJson: stringFlag(values, 'free-space-json'),
    frames: intFlag(values, 'frames'),
    ...commonRunFlags(values),
  };
}

/** The error with the option names of `invalidOption` messages ("for logOut") replaced by their flags ({@link FLAG_OF}). */
function withFlags(err: unknown): unknown {
  if (!(err instanceof SegStreamError) || err.code !== ErrorCodes.INVALID_OPTION) return err;
  const message = err.message.replace(
    /\b(for|option) (logOut|logOverlay|logCopyAll|topics|output|masks|freeSpace|stats|freeSpaceJson)\b/g,
    (_m, w: string, o: string) => `${w} ${FLAG_OF[o]}`,
  );
  return new SegStreamError(err.code, message, { cause: err.cause, context: err.context });
}

/** Runs a log input (see the module comment); returns the exit code. */
export async function runLogCommand(argv: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandLine(argv, { ...RUN_FLAGS, ...LOG_FLAGS });
  for (const flag of ['ego-mask', 'legend'] as const)
    if (values[flag] !== undefined)
      throw new SegStreamError(
        ErrorCodes.USAGE,
        `--${flag} applies to video files, live streams and frame folders, not yet to driving logs`,
      );
  const options = logOptions(values, positionals[0]);
  const progress = values.quiet || values.json ? undefined : terminalProgress(io.stderr);
  let summary: LogRunSummary;
  try {
    summary = await withStopSignals(io, 'finishing the frames in flight and closing the outputs', (signal) =>
      segmentLog({ ...options, signal, onProgress: progress?.update }),
    );
  } catch (err) {
    throw withFlags(err);
  } finally {
    progress?.done();
  }
  const warning = damageText(summary);
  if (warning) io.stderr.write(`${warning}\n`);
  if (values.json) io.stdout.write(`${JSON.stringify(summary)}\n`);
  else io.stderr.write(`${summaryLine(summary)}\n`);
  return 0;
}

/** One warning for a damaged log, undecodable messages or skipped topics (printed once). */
export function damageText(s: LogRunSummary): string | undefined {
  const parts: string[] = [];
  const d = s.damage;
  if (d?.truncated)
    parts.push(
      `truncated log: ${d.messagesRead}${d.messagesExpected !== undefined ? ` of ~${d.messagesExpected}` : ''} messages read`,
    );
  if (d && d.corruptChunks > 0) parts.push(`${d.corruptChunks} corrupt chunks skipped`);
  if (d?.corruptMessages) parts.push(`${d.corruptMessages} unreadable messages skipped`);
  for (const u of d?.unsupported ?? [])
    parts.push(`topic ${u.topic} skipped: encoding ${JSON.stringify(u.encoding)} is not supported`);
  if (s.undecodable)
    parts.push(`${s.undecodable.count} images could not be decoded and were skipped (first: ${s.undecodable.first})`);
  for (const n of s.notes) parts.push(n);
  return parts.length > 0 ? `seg-stream: warning: ${parts.join('; ')}` : undefined;
}

function summaryLine(s: LogRunSummary): string {
  const topics = s.topics
    .map((t) => `${t.topic} ${t.frames}${t.networkInput ? ` @${t.networkInput.width}x${t.networkInput.height}` : ''}`)
    .join(', ');
  return `seg-stream: ${s.frames} frames of ${s.topics.length} cameras in ${s.wallSeconds.toFixed(1)} s (${s.fps.toFixed(1)} fps, ${s.backend}): ${topics}${s.outputs.logOut ? ` -> ${s.outputs.logOut}` : ''}`;
}
