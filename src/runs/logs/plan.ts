/**
 * Planning a log run: which camera topics (all, or option `topics`), what each writes where
 * (`{topic}` expanded), the message family of the written log, the class table and the overlay
 * colours. Checked before anything is started, so a bad option or path fails fast, leaving nothing.
 */
import path from 'node:path';
import { ErrorCodes, SegStreamError, invalidOption } from '../../errors.js';
import type { LoadedModel } from '../../infer/types.js';
import { overlayLut } from '../../render/palettes.js';
import { assertWritableFile } from '../../sinks/atomic-file.js';
import { assertOutputsSafe } from '../../sinks/output-identity.js';
import type { ResolvedLogOptions } from './options.js';
import { planTopicPaths } from './outputs.js';
import type { TopicFilePaths } from './sinks/topic-files.js';
import { inspectLog } from './topics.js';
import type { LogCameraTopic, LogInfo, MessageFamily } from './types.js';
import { assertLogOutFits, type ClassTable } from './writers/log-writer.js';

/** What a log run will do. */
export interface LogPlan {
  info: LogInfo;
  cameras: LogCameraTopic[];
  files: Map<string, TopicFilePaths>;
  /** Family of the written log (the first chosen camera's). */
  family: MessageFamily;
  classes: ClassTable;
  /** Overlay colours, when an overlay is written (videos or `logOverlay`). */
  lut?: Uint8Array;
}

/** The chosen camera topics: all, or those named by option `topics` (each must be a camera). */
export function chooseCameras(info: LogInfo, topics: string[] | undefined): LogCameraTopic[] {
  if (info.cameras.length === 0)
    throw new SegStreamError(
      ErrorCodes.LOG_NO_IMAGES,
      `${info.path} has no camera topics (image or video messages); seg-stream topics ${JSON.stringify(info.path)} lists what it holds`,
    );
  if (!topics) return info.cameras;
  const unknown = topics.filter((t) => !info.cameras.some((c) => c.topic === t));
  if (unknown.length > 0)
    throw invalidOption(
      'topics',
      `camera topics of the log (${info.cameras.map((c) => c.topic).join(', ')})`,
      unknown.join(','),
    );
  return info.cameras.filter((c) => topics.includes(c.topic));
}

/** The class table written into logs. */
export function classTable(model: LoadedModel): ClassTable {
  return {
    model: model.card.name,
    classes: model.card.classes.map((c, id) => ({ id, name: c.name, color: c.color })),
    freeSpace: model.freeSpaceIds.map((id) => model.card.classes[id].name),
  };
}

/** Plans the run (see the module comment). */
export async function planLog(opts: ResolvedLogOptions, model: LoadedModel): Promise<LogPlan> {
  const info = await inspectLog(opts.input, { signal: opts.signal });
  const cameras = chooseCameras(info, opts.topics);
  const topics = cameras.map((c) => c.topic);
  const each = [
    planTopicPaths('output', opts.output, topics, 'file'),
    planTopicPaths('masks', opts.masks, topics, 'folder'),
    planTopicPaths('freeSpace', opts.freeSpace, topics, 'folder'),
    planTopicPaths('stats', opts.stats, topics, 'file'),
    planTopicPaths('freeSpaceJson', opts.freeSpaceJson, topics, 'file'),
  ];
  const key = {
    output: 'video',
    masks: 'masks',
    freeSpace: 'freeSpace',
    stats: 'stats',
    freeSpaceJson: 'freeSpaceJson',
  } as const;
  const files = new Map(
    topics.map((t): [string, TopicFilePaths] => [
      t,
      Object.fromEntries(
        each.filter((p) => p !== undefined).map((p) => [key[p.option as keyof typeof key], p.byTopic.get(t)!]),
      ),
    ]),
  );
  assertOutputsSafe(opts.input, [
    ...(opts.logOut ? [{ option: 'logOut', path: opts.logOut, kind: 'file' as const }] : []),
    ...each.flatMap((p) =>
      p
        ? [...p.byTopic.values()].map((f) => ({
            option: p.option,
            path: f,
            kind: p.option === 'masks' || p.option === 'freeSpace' ? ('folder' as const) : ('file' as const),
          }))
        : [],
    ),
  ]);
  if (opts.logOut) {
    assertLogOutFits(opts.logOut, opts.logCopyAll, info);
    await assertWritableFile(opts.logOut, 'logOut');
  }
  const overlay = opts.output !== undefined || opts.logOverlay;
  return {
    info,
    cameras,
    files,
    family: cameras[0].family,
    classes: classTable(model),
    ...(overlay ? { lut: overlayLut(model, opts.classes, opts.palette) } : {}),
  };
}

/** Absolute paths of the outputs, for the summary. */
export function outputList(
  files: Map<string, TopicFilePaths>,
  pick: keyof TopicFilePaths,
): Record<string, string> | undefined {
  const out = Object.fromEntries([...files].filter(([, p]) => p[pick]).map(([t, p]) => [t, path.resolve(p[pick]!)]));
  return Object.keys(out).length > 0 ? out : undefined;
}
