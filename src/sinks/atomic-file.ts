/**
 * Outputs are written under a temporary name in the destination folder and renamed when
 * complete, so a final name only ever holds a finished file.
 */
import { randomBytes } from 'node:crypto';
import { access, constants, mkdir, rename, stat, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ErrorCodes, SegStreamError } from '../errors.js';
import { trackTemporary, untrackTemporary } from '../process/temp-files.js';

/** The longest file name most file systems allow, in bytes. */
const NAME_MAX = 255;

/**
 * A temporary sibling of `finalPath`: hidden, unique to this process (its pid is in the name, so
 * a later run can tell a killed writer's leftovers, see stale-temporaries.ts), never mistaken for
 * output. A long final name is shortened in the temporary name so it still fits in 255 bytes.
 * `kind` `recording` marks a live recording that must survive a killed run.
 */
export function temporaryPathFor(finalPath: string, kind: 'partial' | 'recording' = 'partial'): string {
  const dir = path.dirname(finalPath);
  let base = path.basename(finalPath);
  const suffix = `.${process.pid}-${randomBytes(4).toString('hex')}.${kind}`;
  const room = NAME_MAX - 1 - Buffer.byteLength(suffix);
  while (Buffer.byteLength(base) > room) base = base.slice(0, -1);
  return path.join(dir, `.${base}${suffix}`);
}

/** Writes `data` (bytes, or chunks as they come) to `finalPath` atomically (temp file, then rename). */
export async function writeFileAtomic(finalPath: string, data: Uint8Array | AsyncIterable<Uint8Array>): Promise<void> {
  const tmp = temporaryPathFor(finalPath);
  trackTemporary(tmp);
  try {
    await writeFile(tmp, data);
    await rename(tmp, finalPath);
  } catch (err) {
    await unlink(tmp).catch(() => {});
    throw err;
  } finally {
    untrackTemporary(tmp);
  }
}

/** Removes a file if it exists. */
export async function removeQuietly(file: string): Promise<void> {
  await unlink(file).catch(() => {});
}

/** Options of {@link assertWritableFile} and {@link assertWritableDir}. */
export interface WritableCheckOptions {
  /**
   * The writer creates missing folders on the way (a fleet worker publishing its outputs): a
   * folder that does not exist yet is fine when the nearest existing one above it is a writable
   * folder. Default false: the folder must exist.
   */
  createsFolders?: boolean;
}

/**
 * Checks that `file` can be created: its folder exists and is writable, and it is not a folder.
 *
 * @throws {SegStreamError} `SEGSTREAM_ERR_OUTPUT_UNWRITABLE`
 */
export async function assertWritableFile(
  file: string,
  option: string,
  options: WritableCheckOptions = {},
): Promise<void> {
  const existing = await stat(file).catch(() => undefined);
  if (existing?.isDirectory()) {
    throw new SegStreamError(
      ErrorCodes.OUTPUT_UNWRITABLE,
      `${option} ${JSON.stringify(file)} is a directory; give a file name such as overlay.mp4`,
    );
  }
  await assertFolderWritable(path.dirname(path.resolve(file)), `${option} ${JSON.stringify(file)}`, options);
}

/**
 * Checks, creating nothing, that folder `dir` is writable, or with `createsFolders` that it can be
 * created: no regular file stands on its path.
 *
 * @throws {SegStreamError} `SEGSTREAM_ERR_OUTPUT_UNWRITABLE`
 */
export async function assertWritableDir(
  dir: string,
  option: string,
  options: WritableCheckOptions = {},
): Promise<void> {
  await assertFolderWritable(path.resolve(dir), `${option} folder ${JSON.stringify(dir)}`, options);
}

async function assertFolderWritable(
  dir: string,
  what: string,
  { createsFolders = false }: WritableCheckOptions,
): Promise<void> {
  let nearest = dir;
  if (createsFolders)
    while (!(await stat(nearest).catch(() => undefined)) && path.dirname(nearest) !== nearest)
      nearest = path.dirname(nearest);
  const info = await stat(nearest).catch(() => undefined);
  if (info && !info.isDirectory()) {
    throw new SegStreamError(
      ErrorCodes.OUTPUT_UNWRITABLE,
      `cannot write ${what}: ${JSON.stringify(nearest)} is a file, not a folder; give a path below a folder`,
    );
  }
  try {
    if (!info) throw new Error('no such folder');
    await access(nearest, constants.W_OK);
  } catch (cause) {
    throw new SegStreamError(
      ErrorCodes.OUTPUT_UNWRITABLE,
      `cannot write ${what}: folder ${JSON.stringify(nearest)} does not exist or is not writable`,
      { cause },
    );
  }
}

/**
 * Creates `dir` (with parents) and checks it is writable.
 *
 * @throws {SegStreamError} `SEGSTREAM_ERR_OUTPUT_UNWRITABLE`
 */
export async function ensureWritableDir(dir: string, option: string): Promise<void> {
  try {
    await mkdir(dir, { recursive: true });
    await access(dir, constants.W_OK);
  } catch (cause) {
    throw new SegStreamError(
      ErrorCodes.OUTPUT_UNWRITABLE,
      `cannot write ${option} folder ${JSON.stringify(dir)}: ${(cause as Error).message}`,
      { cause },
    );
  }
}
