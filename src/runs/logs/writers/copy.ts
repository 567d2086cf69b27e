/**
 * Messages copied into a written log as they are (same schema, encoding, channel metadata, log and
 * publish times), read through the source's index (MCAP summary, bag index) in log-time order:
 * `logCopyAll` (the input's other topics, after the camera frames: MCAP readers order by log
 * time through the index, so the copy need not interleave; an unindexed input is not copied,
 * noted) and the merge of a chunked run's parts (merge.ts).
 */
import type { LogPlan } from '../plan.js';
import { openBag } from '../readers/bag.js';
import { openMcap } from '../readers/mcap.js';
import type { LogRunTally } from '../summary.js';
import { inWindow, type LogFormat, type LogWindow } from '../types.js';
import type { LogWriter } from './log-writer.js';

const NS = 1_000_000_000n;

/** What {@link copyLogMessages} copies. */
export interface CopySelection {
  /** These topics (default: every topic). */
  topics?: string[];
  /** Only messages in this span of log time. */
  window?: LogWindow;
  /** Asked per message: false leaves it out. */
  keep?: (topic: string) => boolean;
}

/** Copies the other topics of `input` into `log` (see the module comment), those of `window` alone when given. */
export async function copyOtherTopics(
  input: string,
  plan: LogPlan,
  log: LogWriter,
  tally: LogRunTally,
  window?: LogWindow,
): Promise<void> {
  const cameras = new Set(plan.info.cameras.map((c) => c.topic));
  const topics = plan.info.otherTopics.map((t) => t.topic).filter((t) => !cameras.has(t));
  if (topics.length === 0) return;
  const copied = await copyLogMessages(input, plan.info.format, log, { topics, window });
  if (copied === undefined)
    tally.copyNote = `${plan.info.format === 'bag' ? 'the bag' : 'the input'} has no index: other topics were not copied`;
  else tally.copied += copied;
}

/**
 * Copies the selected messages of log `file` into `log` in log-time order; returns how many, or
 * undefined when the file has no index (nothing copied).
 */
export function copyLogMessages(
  file: string,
  format: LogFormat,
  log: LogWriter,
  selection: CopySelection,
): Promise<number | undefined> {
  return format === 'bag' ? copyBag(file, log, selection) : copyMcap(file, log, selection);
}

async function copyMcap(input: string, log: LogWriter, { topics, window, keep }: CopySelection) {
  const m = await openMcap(input);
  try {
    const reader = m.indexed;
    if (!reader) return undefined;
    let copied = 0;
    // The reader's endTime is inclusive: the window's end is left out below.
    for await (const msg of reader.readMessages({ topics, startTime: window?.from, endTime: window?.to })) {
      const channel = reader.channelsById.get(msg.channelId)!;
      if (!inWindow(msg.logTime, window) || (keep && !keep(channel.topic))) continue;
      const schema = reader.schemasById.get(channel.schemaId);
      const info = {
        name: schema?.name ?? '',
        encoding: schema?.encoding ?? '',
        data: schema?.data ?? new Uint8Array(0),
        messageEncoding: channel.messageEncoding,
      };
      await log.copy(channel.topic, info, channel.metadata, msg.logTime, msg.publishTime, msg.data);
      copied++;
    }
    return copied;
  } finally {
    await m.handle.close();
  }
}

async function copyBag(input: string, log: LogWriter, { topics, window, keep }: CopySelection) {
  const b = await openBag(input);
  try {
    if (!b.indexed) return undefined;
    let copied = 0;
    const from = window?.from;
    const start = from === undefined ? undefined : { sec: Number(from / NS), nsec: Number(from % NS) };
    // The iterator goes in time order from `start`: the first message past the window ends the copy.
    for await (const e of b.bag.messageIterator({ topics, start })) {
      const t = BigInt(e.timestamp.sec) * NS + BigInt(e.timestamp.nsec);
      if (window?.to !== undefined && t >= window.to) break;
      if (!inWindow(t, window) || (keep && !keep(e.topic))) continue;
      const c = b.bag.connections.get(e.connectionId)!;
      const info = {
        name: c.type ?? '',
        encoding: 'ros1msg',
        data: new TextEncoder().encode(c.messageDefinition),
        messageEncoding: 'ros1',
      };
      const meta = new Map<string, string>([
        ['md5sum', c.md5sum ?? '*'],
        ...(c.callerid ? [['callerid', c.callerid] as [string, string]] : []),
        ...(c.latching ? [['latching', '1'] as [string, string]] : []),
      ]);
      await log.copy(e.topic, info, meta, t, t, e.data);
      copied++;
    }
    return copied;
  } finally {
    await b.file.close();
  }
}
