/**
 * Argument checks shared by the pixel functions. They run once per call (never per pixel) and
 * throw the project's option error so a wrong size is reported, not silently mis-read.
 */
import { invalidOption } from '../errors.js';

/** Throws unless `value` is a positive safe integer. */
export function checkDimension(option: string, value: number): void {
  if (!Number.isSafeInteger(value) || value <= 0) throw invalidOption(option, 'a positive integer', value);
}

/** Throws unless `buf` holds at least `needed` elements. */
export function checkLength(option: string, buf: ArrayLike<number>, needed: number): void {
  if (buf.length < needed)
    throw invalidOption(option, `a buffer of at least ${needed} elements`, `one of ${buf.length}`);
}

/** Throws unless `buf` holds exactly `needed` elements (caller-supplied output buffers). */
export function checkExactLength(option: string, buf: ArrayLike<number>, needed: number): void {
  if (buf.length !== needed)
    throw invalidOption(option, `a buffer of exactly ${needed} elements`, `one of ${buf.length}`);
}
