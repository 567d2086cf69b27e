/**
 * Validation folds carved from a dataset split by whole sequence folder: a folder's fold is a
 * hash of its name, so it never depends on which other folders exist, on listing order or on a
 * random seed, and the frames of one sequence are never on both sides. training/idd.py computes
 * the same folds (a test compares them).
 */
import { createHash } from 'node:crypto';

/** Number of folds a split is cut into. */
export const SEQUENCE_FOLDS = 5;

/**
 * The fold (0..{@link SEQUENCE_FOLDS}−1) of a sequence folder: the first 4 bytes of the SHA-256
 * of its name (UTF-8), read as a big-endian unsigned integer, modulo the fold count.
 *
 * @example
 * ```ts
 * sequenceFold('0'); // the fold of IDD-Lite's train/0 folder, the same in Node and Python
 * ```
 */
export function sequenceFold(folder: string): number {
  return createHash('sha256').update(folder, 'utf8').digest().readUInt32BE(0) % SEQUENCE_FOLDS;
}
