/**
 * Per-topic file outputs of a log run: `{topic}` in a path is the topic without its leading `/`,
 * each further `/` replaced by `_` (`/cam_front/image_raw/compressed` →
 * `cam_front_image_raw_compressed`). Masks are named by the header stamp in nanoseconds.
 */
import path from 'node:path';
import { ErrorCodes, SegStreamError } from '../../errors.js';

/** The file-name form of a topic (see the module comment). */
export function topicFileName(topic: string): string {
  return topic.replace(/^\/+/, '').replace(/\//g, '_') || '_';
}

/** `template` with `{topic}` expanded for `topic`. */
export function expandTopic(template: string, topic: string): string {
  return template.replaceAll('{topic}', topicFileName(topic));
}

/** The per-topic paths of one output option. */
export interface TopicPaths {
  option: string;
  /** Topic → path. */
  byTopic: Map<string, string>;
}

/**
 * The path of `option` for every topic. A file output without `{topic}` cannot take several
 * topics (they would overwrite each other): refused naming the option.
 *
 * @throws {SegStreamError} `SEGSTREAM_ERR_INVALID_OPTION`
 */
export function planTopicPaths(
  option: string,
  template: string | undefined,
  topics: readonly string[],
  kind: 'file' | 'folder',
): TopicPaths | undefined {
  if (template === undefined) return undefined;
  if (topics.length > 1 && !template.includes('{topic}') && kind === 'file') {
    throw new SegStreamError(
      ErrorCodes.INVALID_OPTION,
      `option ${option} ${JSON.stringify(template)} would be written by ${topics.length} camera topics: put {topic} in it (e.g. out/{topic}.mp4) or choose one topic with option topics`,
    );
  }
  // A folder shared by several topics gets a sub-folder per topic (masks are named by stamp, and cameras share stamps).
  const pathOf = (t: string) =>
    template.includes('{topic}')
      ? expandTopic(template, t)
      : kind === 'file' || topics.length === 1
        ? template
        : path.join(template, topicFileName(t));
  const byTopic = new Map(topics.map((t) => [t, pathOf(t)]));
  return { option, byTopic };
}

/** Name of a frame's mask: its header stamp in nanoseconds (`1700000000040000000.png`). */
export function maskName(stampNs: bigint): string {
  return `${stampNs}.png`;
}
