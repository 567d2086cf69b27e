/** `seg-stream topics LOG [--json]`: the camera topics of a driving log (MCAP or ROS 1 bag). */
import { ErrorCodes, SegStreamError } from '../errors.js';
import { inspectLog } from '../runs/logs/topics.js';
import type { LogCameraTopic, LogInfo } from '../runs/logs/types.js';
import { parseCommandLine } from './args.js';
import type { CliIo } from './io.js';

/** Prints a log's camera topics (type, encoding, count, size, rate, time span) and its other topics counted. */
export async function runTopicsCommand(argv: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandLine(argv, { json: { type: 'boolean' }, debug: { type: 'boolean' } });
  if (positionals.length !== 1)
    throw new SegStreamError(ErrorCodes.USAGE, 'usage: seg-stream topics LOG [--json] (one MCAP or ROS 1 bag)');
  const info = await inspectLog(positionals[0]);
  io.stdout.write(
    values.json
      ? `${JSON.stringify(info, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v), 2)}\n`
      : describe(info),
  );
  return 0;
}

const seconds = (ns: bigint) => `${ns / 1_000_000_000n}.${String(ns % 1_000_000_000n).padStart(9, '0')}`;

function camera(c: LogCameraTopic): string {
  const size = c.width && c.height ? `${c.width}x${c.height}` : '?x?';
  const rate = c.rateHz !== undefined ? `${c.rateHz.toFixed(2)} Hz` : '- Hz';
  const span =
    c.firstLogTimeNs !== undefined ? `${seconds(c.firstLogTimeNs)} .. ${seconds(c.lastLogTimeNs!)}` : 'no messages';
  return `  ${c.topic}  ${c.schemaName}  ${c.encoding ?? '?'}  ${size}  ${c.count} msgs  ${rate}  ${span}\n`;
}

function describe(info: LogInfo): string {
  const kind = info.format === 'mcap' ? `MCAP, profile ${info.profile || '(none)'}` : 'ROS 1 bag';
  const lines = [`${info.path}: ${kind}, ${info.indexed ? 'indexed' : 'no index (read front to back)'}\n`];
  lines.push(info.cameras.length ? 'camera topics:\n' : 'camera topics: none\n', ...info.cameras.map(camera));
  if (info.otherTopics.length)
    lines.push('other topics:\n', ...info.otherTopics.map((t) => `  ${t.topic}  ${t.schemaName}  ${t.count} msgs\n`));
  return lines.join('');
}
