/**
 * A run never writes into a folder it reads. Folders are compared by identity (device and inode,
 * which also sees through symlinks, bind mounts and case-insensitive names), not by their
 * spelling, so `--masks alias` where `alias` links to the frames folder, or `--masks valannot/`
 * (the ground truth), is refused before anything is written.
 */
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { optionError } from '../errors.js';
import { fileIdentity } from '../sinks/output-identity.js';
import { isImageName } from './image-name.js';

/** One output of a run: a folder written into, or a file (its folder is what counts). */
export interface PlannedOutput {
  /** The option that named it, for the message (`masks`, `output`, …). */
  option: string;
  /** The path as the user gave it (or as the run derived it). */
  path: string;
  kind: 'dir' | 'file';
}

/** What the guard reads of the sequences a run reads (a `Sequence` of `layouts.ts` is one). */
export interface ReadFrames {
  readonly frames: readonly { readonly file: string; readonly label?: string }[];
}

/**
 * The identity (`device:inode`) of an existing folder, or undefined when it does not exist (yet).
 *
 * @example
 * ```ts
 * (await folderIdentity('alias')) === (await folderIdentity('frames')); // true for a symlink alias
 * ```
 */
export async function folderIdentity(dir: string): Promise<string | undefined> {
  const s = await stat(dir).catch(() => undefined);
  return s?.isDirectory() ? fileIdentity(s) : undefined;
}

/**
 * Every folder a run reads: the frames' folders and the ground truth's folders, keyed by identity.
 *
 * @example
 * ```ts
 * const read = await foldersRead(await findSequences('camvid/val'));
 * ```
 */
export async function foldersRead(
  sequences: readonly ReadFrames[],
): Promise<Map<string, { dir: string; what: string }>> {
  const dirs = new Map<string, string>();
  for (const seq of sequences) {
    for (const f of seq.frames) {
      const d = path.dirname(f.file);
      if (!dirs.has(d)) dirs.set(d, 'frames');
      if (f.label) {
        const l = path.dirname(f.label);
        if (!dirs.has(l)) dirs.set(l, 'ground truth');
      }
    }
  }
  const read = new Map<string, { dir: string; what: string }>();
  for (const [dir, what] of dirs) {
    const id = await folderIdentity(dir);
    if (id && !read.has(id)) read.set(id, { dir, what });
  }
  return read;
}

/**
 * Refuses any output that could overwrite what the run reads or be read back as input: a
 * per-frame output folder that is a folder the run reads (the frames' folders, the ground
 * truth's folders, under any name); a file output (video, JSONL, manifest) in such a folder with
 * an image name (the next run would take it as a frame), or reached through another name of that
 * folder (a symlink: the user may not see where it goes). A JSONL or video beside the frames,
 * named as the frames' folder is named, is fine.
 *
 * @throws {SegStreamError} `SEGSTREAM_ERR_INVALID_OPTION` naming the option (`context.option`), the folder and what it holds
 * @example
 * ```ts
 * await assertOutputsOutsideInputs(sequences, [{ option: 'masks', path: 'out/masks', kind: 'dir' }]);
 * ```
 */
export async function assertOutputsOutsideInputs(
  sequences: readonly ReadFrames[],
  outputs: readonly PlannedOutput[],
): Promise<void> {
  if (outputs.length === 0) return;
  const read = await foldersRead(sequences);
  for (const out of outputs) {
    const dir = out.kind === 'dir' ? path.resolve(out.path) : path.dirname(path.resolve(out.path));
    const id = await folderIdentity(dir);
    const hit = id === undefined ? undefined : read.get(id);
    if (!hit) continue;
    if (out.kind === 'dir')
      throw refused(
        out,
        `is the folder of the input ${hit.what} (${hit.dir}); outputs written there would overwrite them or be read back as input: choose another folder`,
      );
    if (isImageName(path.basename(out.path))) {
      throw refused(
        out,
        `would be written into the folder of the input ${hit.what} (${hit.dir}) under an image name: it could overwrite one or be read back as a frame; choose another name or folder`,
      );
    }
    if (dir !== path.resolve(hit.dir)) {
      throw refused(
        out,
        `would be written into the folder of the input ${hit.what} (${hit.dir}), reached through another name: write it there by that folder's own name, or choose another folder`,
      );
    }
  }
}

const refused = (out: PlannedOutput, why: string) => optionError(out.option, `\`${out.option}\` ${out.path} ${why}`);
