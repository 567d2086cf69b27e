/**
 * The registry of staging places being written, in Redis: an attempt registers its staging
 * folders before creating them (so a kill at any point leaves nothing a starting worker cannot
 * find) and removes them when it ends; a starting worker sweeps the places whose attempt no
 * longer holds its job.
 */
import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { sweepStagingDir } from './attempt.js';
import { FLEET_PREFIX } from './jobs.js';

/** Redis hash of staging places being written: field = staging folder, value = its {@link StagingOwner} as JSON. */
const STAGING_KEY = `${FLEET_PREFIX}:staging`;

/** The attempt that writes a staging place. */
export interface StagingOwner {
  queue: string;
  jobId: string;
  /** The job's `attemptsStarted` when this attempt took it: a later attempt has a larger one. */
  attempt?: number;
}

/** Registers an attempt's staging folders. */
export async function registerStaging(client: Redis, dirs: readonly string[], owner: StagingOwner): Promise<void> {
  for (const dir of dirs) await client.hset(STAGING_KEY, dir, JSON.stringify(owner));
}

/** Forgets an attempt's staging folders (they are published or removed). */
export async function unregisterStaging(client: Redis, dirs: readonly string[]): Promise<void> {
  for (const dir of dirs) await client.hdel(STAGING_KEY, dir).catch(() => {});
}

/**
 * Removes staging places that no attempt holds any more: their job is gone or not active, or a
 * later attempt runs it now (BullMQ counts the attempts started). Runs when a worker starts.
 *
 * @returns the folders removed
 */
export async function sweepStaging(client: Redis, queues: ReadonlyMap<string, Queue>): Promise<string[]> {
  const swept: string[] = [];
  for (const [dir, text] of Object.entries(await client.hgetall(STAGING_KEY))) {
    const owner = parseOwner(text);
    const queue = owner && queues.get(owner.queue);
    // A queue this worker does not serve is another worker's to sweep.
    if (owner && !queue) continue;
    if (owner && queue && (await isHeld(queue, owner))) continue;
    if (owner) {
      await sweepStagingDir(dir);
      swept.push(dir);
    }
    await client.hdel(STAGING_KEY, dir);
  }
  return swept;
}

async function isHeld(queue: Queue, owner: StagingOwner): Promise<boolean> {
  const job = await queue.getJob(owner.jobId);
  if (!job || (await job.getState()) !== 'active') return false;
  return owner.attempt === undefined || job.attemptsStarted === owner.attempt;
}

function parseOwner(text: string): StagingOwner | undefined {
  try {
    const o = JSON.parse(text) as Partial<StagingOwner> | null;
    return o && typeof o.queue === 'string' && typeof o.jobId === 'string'
      ? { queue: o.queue, jobId: o.jobId, attempt: typeof o.attempt === 'number' ? o.attempt : undefined }
      : undefined;
  } catch {
    return undefined;
  }
}
