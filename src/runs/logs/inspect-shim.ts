/**
 * TEMPORARY stand-in for `inspectLog` (topics.ts, written by the reader side) until it lands:
 * one pass over the camera messages. Not for release.
 */
import { detectLogFormat, readLogImages } from './readers/index.js';
import type { LogCameraTopic, LogInfo } from './types.js';

export async function inspectLog(path: string, options: { signal?: AbortSignal } = {}): Promise<LogInfo> {
  const format = await detectLogFormat(path);
  const cameras = new Map<string, LogCameraTopic>();
  for await (const m of readLogImages(path, { signal: options.signal })) {
    const c = cameras.get(m.topic);
    if (c) {
      c.count++;
      c.lastLogTimeNs = m.logTimeNs;
    } else cameras.set(m.topic, { topic: m.topic, schemaName: '', family: m.family, kind: 'raw', encoding: m.encoding, count: 1, width: m.width, height: m.height, firstLogTimeNs: m.logTimeNs, lastLogTimeNs: m.logTimeNs });
  }
  return { path, format, profile: '', indexed: true, cameras: [...cameras.values()], otherTopics: [] };
}
