/**
 * `logCopyAll`: every message of the input's other topics copied into the written log as it is
 * (same schema, encoding, channel metadata, log and publish times), after the camera frames.
 * MCAP readers order by log time through the index, so the copy need not interleave. Read
 * through the input's index (MCAP summary, bag index); an unindexed input is not copied (noted).
 */
import type { LogPlan } from '../plan.js';
import { openBag } from '../readers/bag.js';
import { openMcap } from '../readers/mcap.js';
import type { LogRunTally } from '../summary.js';
import type { LogWriter } from './log-writer.js';

const NS = 1_000_000_000n;

/** Copies the other topics of `input` into `log` (see the module comment). */
export async function copyOtherTopics(input: string, plan: LogPlan, log: LogWriter, tally: LogRunTally): Promise<void> {
  const cameras = new Set(plan.info.cameras.map((c) => c.topic));
  const topics = plan.info.otherTopics.map((t) => t.topic).filter((t) => !cameras.has(t));
  if (topics.length === 0) return;
  if (plan.info.format === 'bag') await copyBag(input, topics, log, tally);
  else await copyMcap(input, topics, log, tally);
}

async function copyMcap(input: string, topics: string[], log: LogWriter, tally: LogRunTally): Promise<void> {
  const m = await openMcap(input);
  try {
    const reader = m.indexed;
    if (!reader) {
      tally.copyNote = 'the input has no index: other topics were not copied';
      return;
    }
    for await (const msg of reader.readMessages({ topics })) {
      const channel = reader.channelsById.get(msg.channelId)!;
      const schema = reader.schemasById.get(channel.schemaId);
      const info = {
        name: schema?.name ?? '',
        encoding: schema?.encoding ?? '',
        data: schema?.data ?? new Uint8Array(0),
        messageEncoding: channel.messageEncoding,
      };
      await log.copy(channel.topic, info, channel.metadata, msg.logTime, msg.publishTime, msg.data);
      tally.copied++;
    }
  } finally {
    await m.handle.close();
  }
}

async function copyBag(input: string, topics: string[], log: LogWriter, tally: LogRunTally): Promise<void> {
  const b = await openBag(input);
  try {
    if (!b.indexed) {
      tally.copyNote = 'the bag has no index: other topics were not copied';
      return;
    }
    for await (const e of b.bag.messageIterator({ topics })) {
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
      const t = BigInt(e.timestamp.sec) * NS + BigInt(e.timestamp.nsec);
      await log.copy(e.topic, info, meta, t, t, e.data);
      tally.copied++;
    }
  } finally {
    await b.file.close();
  }
}
