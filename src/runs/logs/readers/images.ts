/**
 * From a container's messages to {@link LogImageMessage}s: the chosen camera topics, a sequence
 * number per topic, unknown encodings reported once and their topic skipped, and the damage tally.
 */
import { ErrorCodes, invalidOption, SegStreamError } from '../../../errors.js';
import type { LogDamage, LogImageMessage, MessageFamily, ReadLogOptions } from '../types.js';
import { cameraKind, imageMessage, SUPPORTED_ENCODINGS, unsupportedText } from './camera.js';
import { deserializer, type Deserialize, type SchemaText } from './deserialize.js';

/** A camera topic as a container reader knows it. */
export interface CameraSource {
  topic: string;
  schemaName: string;
  family: MessageFamily;
  /** Undefined when no library reads the channel's encoding (reported as unsupported). */
  deserialize?: Deserialize;
  /** The encoding reported when `deserialize` is missing. */
  unsupportedEncoding?: string;
}

/** The camera source of a topic: its deserialiser, or (none reads it) the encoding to report. */
export function cameraSourceOf(
  topic: string,
  family: MessageFamily,
  schema: SchemaText | undefined,
  messageEncoding: string,
): CameraSource {
  const schemaName = schema?.name ?? '';
  try {
    return { topic, schemaName, family, deserialize: deserializer(topic, schema, messageEncoding) };
  } catch {
    return {
      topic,
      schemaName,
      family,
      unsupportedEncoding: `${messageEncoding} (${schema?.encoding || 'no'} schema)`,
    };
  }
}

/** A fresh damage tally. */
export function newDamage(): LogDamage {
  return { truncated: false, messagesRead: 0, corruptChunks: 0, unsupported: [] };
}

/**
 * The camera topics to read among `topics` (name and schema of every topic of the log).
 *
 * @throws {SegStreamError} `SEGSTREAM_ERR_INVALID_OPTION` when option `topics` names a topic that is not a camera of the log
 */
export function chooseCameras(
  path: string,
  topics: { topic: string; schemaName: string }[],
  options: ReadLogOptions,
): Set<string> {
  const cameras = [...new Set(topics.filter((t) => cameraKind(t.schemaName) !== undefined).map((t) => t.topic))];
  if (cameras.length === 0) {
    const seen = topics.map((t) => `${t.topic} (${t.schemaName})`).join(', ') || 'none';
    throw new SegStreamError(
      ErrorCodes.LOG_NO_IMAGES,
      `${path} has no camera topic (sensor_msgs Image/CompressedImage, foxglove RawImage/CompressedImage/CompressedVideo); its topics: ${seen}`,
    );
  }
  if (!options.topics) return new Set(cameras);
  for (const t of options.topics) {
    if (!cameras.includes(t))
      throw invalidOption('topics', `camera topics of ${path} (${cameras.join(', ') || 'none'})`, t);
  }
  return new Set(options.topics);
}

/** Turns container messages of camera topics into image messages, keeping per-topic state. */
export class ImageExtractor {
  readonly #damage: LogDamage;
  readonly #seq = new Map<string, number>();
  readonly #skipped = new Set<string>();

  constructor(damage: LogDamage) {
    this.#damage = damage;
  }

  /** The image message, or undefined when its topic is skipped (unknown encoding) or the message is unreadable. */
  extract(
    source: CameraSource,
    logTimeNs: bigint,
    publishTimeNs: bigint,
    data: Uint8Array,
  ): LogImageMessage | undefined {
    if (this.#skipped.has(source.topic)) return undefined;
    if (!source.deserialize) return this.#skip(source.topic, source.unsupportedEncoding ?? 'unknown');
    const seq = this.#seq.get(source.topic) ?? 0;
    let msg: LogImageMessage;
    try {
      msg = imageMessage({ ...source, seq, logTimeNs, publishTimeNs }, source.deserialize(data));
    } catch {
      this.#damage.corruptMessages = (this.#damage.corruptMessages ?? 0) + 1;
      return undefined;
    }
    if (!SUPPORTED_ENCODINGS.has(msg.encoding)) return this.#skip(source.topic, msg.encoding);
    this.#seq.set(source.topic, seq + 1);
    this.#damage.messagesRead++;
    return msg;
  }

  #skip(topic: string, encoding: string): undefined {
    this.#skipped.add(topic);
    this.#damage.unsupported.push({ topic, encoding, message: unsupportedText(topic, encoding) });
    return undefined;
  }
}
