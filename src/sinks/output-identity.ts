/**
 * Outputs that would destroy the input or each other are refused before anything runs. Paths are
 * compared by what they name, not how they are spelled: an existing path by device and inode
 * (so `d/../d/in.mp4`, a hard link and a symbolic link to the input all match it), a path still to
 * be created by the real path of its nearest existing folder plus the rest.
 *
 * Existing outputs that are not regular files are refused too: a rename would replace a device
 * (`/dev/null`) or FIFO with an MP4. A symbolic link to a regular file is followed: the file it
 * points to is replaced (atomically, in its own folder) and the link stays.
 */
import { lstatSync, realpathSync, statSync, type Stats } from 'node:fs';
import path from 'node:path';
import { ErrorCodes, SegStreamError, optionError } from '../errors.js';

/** One output of a run: the option that named it (`output`, `masks`, …), the path, and whether it is a folder. */
export interface NamedOutput {
  option: string;
  path: string;
  kind: 'file' | 'folder';
}

/**
 * The identity of an existing file or folder, `<device>:<inode>`: the same for every spelling,
 * hard link and symbolic link of it. The one comparison of outputs with inputs and each other.
 */
export function fileIdentity(st: { dev: number; ino: number }): string {
  return `${st.dev}:${st.ino}`;
}

/** What a path names: `ino:<dev>:<ino>` when it exists, else `path:<canonical path>`. */
export function pathIdentity(p: string): string {
  const st = statOrUndefined(p);
  if (st) return `ino:${fileIdentity(st)}`;
  return `path:${canonicalPath(p)}`;
}

/** The absolute path with every existing folder on the way resolved through its real path. */
export function canonicalPath(p: string): string {
  const rest: string[] = [];
  let dir = path.resolve(p);
  for (;;) {
    try {
      return path.join(realpathSync(dir), ...rest.reverse());
    } catch {
      const parent = path.dirname(dir);
      if (parent === dir) return path.join(dir, ...rest.reverse());
      rest.push(path.basename(dir));
      dir = parent;
    }
  }
}

function statOrUndefined(p: string): Stats | undefined {
  try {
    return statSync(p);
  } catch {
    return undefined;
  }
}

function lstatOrUndefined(p: string): Stats | undefined {
  try {
    return lstatSync(p);
  } catch {
    return undefined;
  }
}

function kindOf(st: Stats): string {
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isFIFO()) return 'a FIFO (named pipe)';
  if (st.isSocket()) return 'a socket';
  if (st.isDirectory()) return 'a directory';
  return 'not a regular file';
}

/**
 * Refuses (invalid option, exit 2 from the CLI) any output that is the input or is another output, and (output
 * unwritable) an output file that exists but is not a regular file.
 *
 * @throws {SegStreamError} `SEGSTREAM_ERR_INVALID_OPTION` (its `context.option` the output's option), `SEGSTREAM_ERR_OUTPUT_UNWRITABLE`
 */
export function assertOutputsSafe(input: string | undefined, outputs: NamedOutput[]): void {
  const inputId = input === undefined ? undefined : statOrUndefined(input) && pathIdentity(input);
  const seen = new Map<string, NamedOutput>();
  for (const out of outputs) {
    const st = statOrUndefined(out.path);
    if (out.kind === 'file' && st && !st.isFile() && !st.isDirectory()) {
      throw new SegStreamError(
        ErrorCodes.OUTPUT_UNWRITABLE,
        `\`${out.option}\` ${JSON.stringify(out.path)} is ${kindOf(st)}; seg-stream writes regular files only (under a temporary name, then renamed), so it would replace it: give a file name such as overlay.mp4`,
      );
    }
    if (!st && lstatOrUndefined(out.path)?.isSymbolicLink()) {
      throw new SegStreamError(
        ErrorCodes.OUTPUT_UNWRITABLE,
        `\`${out.option}\` ${JSON.stringify(out.path)} is a symbolic link to a file that does not exist; seg-stream follows links to regular files only: remove the link or give another name`,
      );
    }
    const id = pathIdentity(out.path);
    if (inputId !== undefined && id === inputId) {
      throw optionError(
        out.option,
        `\`${out.option}\` ${JSON.stringify(out.path)} is the input itself; writing it would destroy the input: choose another ${out.kind === 'file' ? 'file name' : 'folder'}`,
      );
    }
    const other = seen.get(id);
    if (other) {
      throw optionError(
        out.option,
        `\`${other.option}\` and \`${out.option}\` both name ${JSON.stringify(out.path)}; each output needs its own ${out.kind === 'file' && other.kind === 'file' ? 'file' : 'folder'}, or one would overwrite the other`,
      );
    }
    seen.set(id, out);
  }
}

/**
 * The file to write for output `file`: a symbolic link is followed to the regular file it names,
 * so the link survives and its target is replaced; anything else is returned unchanged.
 */
export function writeTargetOf(file: string): string {
  try {
    return realpathSync(file);
  } catch {
    return file;
  }
}
