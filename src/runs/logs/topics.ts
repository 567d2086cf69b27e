/**
 * What a driving log holds ({@link inspectLog}): camera topics with type, encoding, count, size,
 * rate and time span; other topics counted. Through the summary / bag index where there is one
 * (counts from the index, first and last message of each camera read from their chunks), else by
 * reading the log front to back.
 */
import sharp from 'sharp';
import { ErrorCodes, SegStreamError } from '../../errors.js';
import { openBag, bagSource, rosTimeNs } from './readers/bag.js';
import { salvageBag } from './readers/bag-salvage.js';
import { cameraKind, imageMessage } from './readers/camera.js';
import { newDamage, type CameraSource } from './readers/images.js';
import { detectLogFormat } from './readers/index.js';
import { cameraSource, openMcap, type OpenMcap } from './readers/mcap.js';
import { streamedMessages } from './readers/mcap-stream.js';
import type { LogCameraTopic, LogImageMessage, LogInfo } from './types.js';

/** Per-topic tally while inspecting. */
interface Tally {
  topic: string;
  schemaName: string;
  count: number;
  first?: bigint;
  last?: bigint;
  source?: CameraSource;
  sample?: Uint8Array;
}

/**
 * Describes a log without decoding its images.
 *
 * @example
 * ```ts
 * const info = await inspectLog('drive.mcap');
 * for (const c of info.cameras) console.log(c.topic, c.encoding, c.count, c.rateHz);
 * ```
 * @throws {SegStreamError} `SEGSTREAM_ERR_INPUT_NOT_FOUND`, `SEGSTREAM_ERR_LOG_UNREADABLE`
 */
export async function inspectLog(path: string, options: { signal?: AbortSignal } = {}): Promise<LogInfo> {
  const format = await detectLogFormat(path);
  try {
    const { profile, indexed, tallies } =
      format === 'mcap' ? await inspectMcap(path, options.signal) : await inspectBag(path, options.signal);
    const all = [...tallies.values()].sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : 0));
    const cameras: LogCameraTopic[] = [];
    for (const t of all.filter((t) => t.source)) cameras.push(await cameraTopic(t));
    const otherTopics = all
      .filter((t) => !t.source)
      .map(({ topic, schemaName, count }) => ({ topic, schemaName, count }));
    return { path, format, profile, indexed, cameras, otherTopics };
  } catch (err) {
    if (err instanceof SegStreamError) throw err;
    throw new SegStreamError(
      ErrorCodes.LOG_UNREADABLE,
      `${path} cannot be read as ${format === 'mcap' ? 'an MCAP file' : 'a ROS 1 bag'}: ${(err as Error).message}`,
      { cause: err },
    );
  }
}

function tally(tallies: Map<string, Tally>, topic: string, schemaName: string, source: () => CameraSource): Tally {
  let t = tallies.get(topic);
  if (!t)
    tallies.set(topic, (t = { topic, schemaName, count: 0, source: cameraKind(schemaName) ? source() : undefined }));
  return t;
}

function see(t: Tally, timeNs: bigint, data: Uint8Array): void {
  t.count++;
  if (t.first === undefined || timeNs < t.first) t.first = timeNs;
  if (t.last === undefined || timeNs > t.last) t.last = timeNs;
  if (t.source && !t.sample) t.sample = data;
}

type Inspected = { profile: string; indexed: boolean; tallies: Map<string, Tally> };

async function inspectMcap(path: string, signal?: AbortSignal): Promise<Inspected> {
  const mcap = await openMcap(path);
  const tallies = new Map<string, Tally>();
  try {
    if (mcap.indexed)
      return { profile: mcap.indexed.header.profile, indexed: true, tallies: await mcapIndexTallies(mcap, tallies) };
    let profile = '';
    const wants = () => true;
    const read = {
      handle: mcap.handle,
      decompressHandlers: mcap.decompressHandlers,
      wants,
      damage: newDamage(),
      signal,
      onHeader: (h: { profile: string }) => (profile = h.profile),
    };
    for await (const { message, channel, schema } of streamedMessages(read)) {
      see(
        tally(tallies, channel.topic, schema?.name ?? '', () => cameraSource(channel, schema)),
        message.logTime,
        message.data,
      );
    }
    return { profile, indexed: false, tallies };
  } finally {
    await mcap.handle.close();
  }
}

async function mcapIndexTallies(mcap: OpenMcap, tallies: Map<string, Tally>): Promise<Map<string, Tally>> {
  const reader = mcap.indexed!;
  const counts = reader.statistics?.channelMessageCounts;
  for (const channel of reader.channelsById.values()) {
    const schema = reader.schemasById.get(channel.schemaId);
    const t = tally(tallies, channel.topic, schema?.name ?? '', () => cameraSource(channel, schema));
    t.count += Number(counts?.get(channel.id) ?? 0n);
  }
  for (const t of tallies.values()) {
    if (!t.source) continue;
    for (const reverse of [false, true]) {
      await ends(async () => {
        for await (const m of reader.readMessages({ topics: [t.topic], reverse })) {
          if (reverse) t.last = m.logTime;
          else [t.first, t.sample] = [m.logTime, m.data];
          break;
        }
      });
    }
  }
  return tallies;
}

/** Runs a look at a topic's first or last message; a damaged chunk there leaves it unknown. */
async function ends(look: () => Promise<void>): Promise<void> {
  try {
    await look();
  } catch {
    // the times and encoding stay unknown; reading the log reports the damage
  }
}

async function inspectBag(path: string, signal?: AbortSignal): Promise<Inspected> {
  const opened = await openBag(path);
  const tallies = new Map<string, Tally>();
  try {
    const { bag, file, decompress, indexed } = opened;
    if (!indexed) {
      for await (const e of salvageBag(bag, file, decompress, newDamage(), signal)) {
        see(
          tally(tallies, e.connection.topic, e.connection.type ?? '', () => bagSource(e.connection)),
          e.timeNs,
          e.data,
        );
      }
      return { profile: 'ros1', indexed: false, tallies };
    }
    for (const c of bag.connections.values()) tally(tallies, c.topic, c.type ?? '', () => bagSource(c));
    for (const info of bag.chunkInfos) {
      for (const { conn, count } of info.connections) tallies.get(bag.connections.get(conn)!.topic)!.count += count;
    }
    for (const t of tallies.values()) {
      if (!t.source || t.count === 0) continue;
      await ends(async () => {
        for await (const e of bag.messageIterator({ topics: [t.topic] })) {
          [t.first, t.sample] = [rosTimeNs(e.timestamp), e.data];
          break;
        }
      });
      await ends(async () => {
        for await (const e of bag.messageIterator({ topics: [t.topic], reverse: true })) {
          t.last = rosTimeNs(e.timestamp);
          break;
        }
      });
    }
    return { profile: 'ros1', indexed: true, tallies };
  } finally {
    await opened.file.close();
  }
}

/** The camera topic of a tally: its first message deserialised for encoding and size. */
async function cameraTopic(t: Tally): Promise<LogCameraTopic> {
  const source = t.source!;
  const out: LogCameraTopic = {
    topic: t.topic,
    schemaName: t.schemaName,
    family: source.family,
    kind: cameraKind(t.schemaName)!,
    count: t.count,
  };
  if (t.first !== undefined) [out.firstLogTimeNs, out.lastLogTimeNs] = [t.first, t.last ?? t.first];
  const span = t.first !== undefined && t.last !== undefined ? Number(t.last - t.first) / 1e9 : 0;
  if (t.count > 1 && span > 0) out.rateHz = (t.count - 1) / span;
  if (!t.sample) return out;
  if (!source.deserialize) return { ...out, encoding: source.unsupportedEncoding };
  try {
    const place = { ...source, seq: 0, logTimeNs: 0n, publishTimeNs: 0n };
    const msg = imageMessage(place, source.deserialize(t.sample));
    out.encoding = msg.encoding;
    Object.assign(out, await imageSize(msg));
  } catch {
    // an undecodable first message: encoding and size stay unknown
  }
  return out;
}

async function imageSize(msg: LogImageMessage): Promise<{ width?: number; height?: number }> {
  if (msg.width && msg.height) return { width: msg.width, height: msg.height };
  if (msg.encoding !== 'jpeg' && msg.encoding !== 'png') return {};
  try {
    const meta = await sharp(msg.data).metadata();
    return { width: meta.width, height: meta.height };
  } catch {
    return {};
  }
}
