/**
 * The public entry of a frame-folder run: resolves the options, then runs the folder kind
 * (`kind.ts`) on the run-kind contract.
 */
import { runKind } from '../core/run-kind.js';
import { folderKind, type FolderRun } from './kind.js';
import type { FolderRunSummary } from './manifest.js';
import { resolveFolderOptions, type ResolvedFolderOptions, type SegmentFolderOptions } from './options.js';
import type { FolderHow } from './run-state.js';

export type { FolderRun };

/**
 * Segments folders of frames (KITTI, CamVid, Cityscapes layouts, plain folders, globs): masks,
 * free-space masks and boundary JSONL, KITTI road confidence maps, overlay videos, scores, and a
 * manifest; resumable.
 *
 * @example
 * ```ts
 * const s = await segmentFolder({ input: 'kitti/2011_09_26_drive_0005_sync', masks: 'out/masks', freeSpaceJson: 'out/fs.jsonl' });
 * console.log(s.frames, s.skipped, s.fps);
 * ```
 * @throws {SegStreamError} with a stable code: bad input (`INPUT_NOT_FOUND`, `NO_FRAMES`,
 *   `INPUT_CORRUPT` naming the file), unwritable outputs or outputs in a folder the run reads
 *   (`INVALID_OPTION`), model/engine errors. A run that fails part-way keeps the frames it finished,
 *   writes the manifest (`stopped: "error"` and the `error`) and throws the error, saying so; an
 *   overlay video in progress is dropped.
 */
export async function segmentFolder(options: SegmentFolderOptions): Promise<FolderRunSummary> {
  return (await runFolders(resolveFolderOptions(options))).summary;
}

/**
 * The frame-folder run on resolved options (the fleet's folder jobs). `sequences` replaces finding
 * them from `opts.input`; without `manifest` no manifest is written; `smooth` smooths each
 * sequence's labels over its frames in order.
 */
export function runFolders(opts: ResolvedFolderOptions, how: FolderHow = {}): Promise<FolderRun> {
  return runKind(folderKind, Object.assign({}, opts, { how }));
}
