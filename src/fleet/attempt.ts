/**
 * Exactly-once outputs on top of at-least-once delivery.
 *
 * BullMQ may run a job twice (its worker died, or stalled past its lock). Each attempt therefore
 * writes every output into a hidden staging place beside it —
 * `<folder of the output>/.seg-stream/staging/<job id>.<attempt>/<name>` — on the same file
 * system, so publishing is a rename. After the last output is renamed into place, a done marker
 * `<folder of the first output>/.seg-stream/done/<job id>.json` is written (atomically), and it is
 * the truth of "finished": a later attempt that finds it returns at once. A new attempt removes
 * every other attempt's staging of the same job first (that attempt is dead or has lost its lock),
 * and a starting worker removes staging that no live attempt owns (see `sweepStaging`).
 *
 * Two attempts that both reach the publish step (possible only if the first stalls between its
 * lock check and its rename) publish the same content: every rename replaces a whole file, so a
 * final name never holds a partial or mixed output.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, readdir, rename, rm, rmdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { assertWritableDir, assertWritableFile, writeFileAtomic } from '../sinks/atomic-file.js';
import { SegStreamError, isSegStreamError } from '../errors.js';
import type { FleetJobResult, JobOutputs } from './jobs.js';

/** The hidden folder the fleet keeps beside outputs. */
export const FLEET_DIR = '.seg-stream';

/** Output keys that are folders; the others are files. */
const FOLDER_OUTPUTS = new Set<keyof JobOutputs>(['masks', 'freeSpace', 'kittiRoad']);

const stagingRoot = (finalPath: string) => path.join(path.dirname(finalPath), FLEET_DIR, 'staging');

/** Where a job's done marker lives. */
export function doneMarkerPath(jobId: string, outputs: JobOutputs): string {
  const first = Object.values(outputs).find((p): p is string => typeof p === 'string');
  if (!first) throw new Error(`job ${jobId} has no outputs`);
  return path.join(path.dirname(first), FLEET_DIR, 'done', `${jobId}.json`);
}

/**
 * Reads a job's done marker, if it finished and its outputs are still there (a user who removed
 * them to have the work done again gets it done again).
 */
export async function readDoneMarker<T>(jobId: string, outputs: JobOutputs): Promise<T | undefined> {
  const text = await readFile(doneMarkerPath(jobId, outputs), 'utf8').catch(() => undefined);
  if (text === undefined) return undefined;
  for (const out of Object.values(outputs)) if (typeof out === 'string' && !(await exists(out))) return undefined;
  try {
    return JSON.parse(text) as T;
  } catch {
    return undefined;
  }
}

/** True when the job's done marker exists, whether or not the outputs it names are still there. */
export async function hasDoneMarker(jobId: string, outputs: JobOutputs): Promise<boolean> {
  return exists(doneMarkerPath(jobId, outputs));
}

/**
 * Checks, creating nothing, that every output can be written where it is named, as a local run
 * checks its outputs: no regular file stands where a folder must be (or is), no folder where a file
 * must be, and the nearest existing folder is writable. Missing folders are fine: publishing
 * creates them. `queue add` checks at add time, and every attempt again before it runs.
 *
 * @throws {SegStreamError} `SEGSTREAM_ERR_OUTPUT_UNWRITABLE` naming the output's option (`context.option`)
 */
export async function assertOutputsWritable(outputs: JobOutputs): Promise<void> {
  for (const [key, out] of Object.entries(outputs) as [keyof JobOutputs, string | undefined][]) {
    if (!out) continue;
    // Options are named in backticks (the CLI says its flag instead); the manifest has no option of its own.
    const named = key === 'manifest' ? 'the manifest' : `\`${key}\``;
    try {
      if (FOLDER_OUTPUTS.has(key)) await assertWritableDir(out, named, { createsFolders: true });
      else await assertWritableFile(out, named, { createsFolders: true });
    } catch (err) {
      if (!isSegStreamError(err)) throw err;
      throw new SegStreamError(err.code, err.message, { cause: err.cause, context: { ...err.context, option: key } });
    }
  }
}

/** One attempt at a job: its staging places, publish and discard. */
export class Attempt {
  /** Unique to this attempt. */
  readonly id = `${process.pid}-${randomBytes(4).toString('hex')}`;
  /** Where the run writes each output. */
  readonly staged: JobOutputs = {};
  readonly #dirs: string[] = [];

  constructor(
    readonly jobId: string,
    readonly outputs: JobOutputs,
  ) {
    for (const [key, final] of Object.entries(outputs) as [keyof JobOutputs, string | undefined][]) {
      if (!final) continue;
      const dir = path.join(stagingRoot(final), `${jobId}.${this.id}`);
      if (!this.#dirs.includes(dir)) this.#dirs.push(dir);
      this.staged[key] = path.join(dir, path.basename(final));
    }
  }

  /** Staging folders of this attempt (one per output folder). */
  get dirs(): readonly string[] {
    return this.#dirs;
  }

  /**
   * Removes every earlier attempt's staging of this job, then creates this one's.
   *
   * @throws {SegStreamError} `SEGSTREAM_ERR_OUTPUT_UNWRITABLE` when an output cannot be written
   *   (a file stands where its folder must be): no attempt would do better
   */
  async prepare(): Promise<void> {
    await assertOutputsWritable(this.outputs);
    for (const dir of this.#dirs) {
      const root = path.dirname(dir);
      for (const name of await readdir(root).catch(() => [] as string[])) {
        if (name.startsWith(`${this.jobId}.`) && name !== path.basename(dir))
          await rm(path.join(root, name), { recursive: true, force: true });
      }
      await mkdir(dir, { recursive: true });
    }
    for (const [key, staged] of Object.entries(this.staged) as [keyof JobOutputs, string][]) {
      if (FOLDER_OUTPUTS.has(key)) await mkdir(staged, { recursive: true });
    }
  }

  /**
   * Renames every staged output to its final name, then writes the done marker with `result`.
   * A folder output whose final folder already holds files (another attempt published part of
   * it before dying) is published file by file.
   */
  async publish(result: FleetJobResult): Promise<void> {
    for (const [key, final] of Object.entries(this.outputs) as [keyof JobOutputs, string | undefined][]) {
      const staged = this.staged[key];
      if (!final || !staged) continue;
      await mkdir(path.dirname(final), { recursive: true });
      if (!FOLDER_OUTPUTS.has(key)) {
        // A file the run did not write (a stats file of a run that wrote nothing) is not published.
        if (await exists(staged)) await rename(staged, final);
        continue;
      }
      await publishFolder(staged, final);
    }
    const marker = doneMarkerPath(this.jobId, this.outputs);
    await mkdir(path.dirname(marker), { recursive: true });
    await writeFileAtomic(marker, Buffer.from(`${JSON.stringify(result, null, 2)}\n`));
    await this.discard();
  }

  /** Removes this attempt's staging (after publishing, or when it failed or lost its lock). */
  async discard(): Promise<void> {
    for (const dir of this.#dirs) await sweepStagingDir(dir);
  }
}

async function publishFolder(staged: string, final: string): Promise<void> {
  const existing = await stat(final).catch(() => undefined);
  if (existing?.isDirectory() && (await readdir(final)).length === 0) await rmdir(final);
  if (!existing || !(await exists(final))) {
    await rename(staged, final);
    return;
  }
  for (const entry of await readdir(staged, { withFileTypes: true })) {
    const from = path.join(staged, entry.name);
    const to = path.join(final, entry.name);
    if (entry.isDirectory()) await publishFolder(from, to);
    else await rename(from, to);
  }
  await rm(staged, { recursive: true, force: true });
}

async function exists(p: string): Promise<boolean> {
  return (await stat(p).catch(() => undefined)) !== undefined;
}

async function removeIfEmpty(dir: string): Promise<void> {
  await rmdir(dir).catch(() => {});
}

/**
 * Removes a staging folder no attempt holds any more (and its parent when empty). A starting
 * worker calls it for each staging place registered in Redis whose attempt lost its job.
 */
export async function sweepStagingDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
  // staging/, then .seg-stream/ itself when the job left no done marker there.
  await removeIfEmpty(path.dirname(dir));
  await removeIfEmpty(path.dirname(path.dirname(dir)));
}
