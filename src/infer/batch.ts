/**
 * Checking a batch of engine inputs and packing it into the network's batch size: all at once
 * when the batch dimension is dynamic, in fixed-size chunks (the last one zero-padded) when not.
 */
import { invalidOption } from '../errors.js';

/** One network call: inputs `[start, start + count)`, packed into `size` slots. */
export interface BatchChunk {
  start: number;
  count: number;
  /** Batch size of the tensor passed to the network (>= count; extra slots are zeros). */
  size: number;
}

/**
 * Reads a model's batch dimension: a positive number is fixed, anything else (a symbolic
 * name, -1, null, undefined) is dynamic and returned as `null`.
 */
export function fixedDim(dim: unknown): number | null {
  return typeof dim === 'number' && Number.isInteger(dim) && dim > 0 ? dim : null;
}

/** Splits `n` inputs into network calls for a batch dimension that is fixed (`batch`) or dynamic (`null`). */
export function planBatches(n: number, batch: number | null): BatchChunk[] {
  if (n === 0) return [];
  if (batch === null) return [{ start: 0, count: n, size: n }];
  const chunks: BatchChunk[] = [];
  for (let start = 0; start < n; start += batch) chunks.push({ start, count: Math.min(batch, n - start), size: batch });
  return chunks;
}

/**
 * Checks that `inputs` is an array of Float32Arrays of `valuesPerInput` values each.
 * @throws SegStreamError INVALID_OPTION naming the first bad input.
 */
export function checkInputs(inputs: unknown, valuesPerInput: number, shape: string): asserts inputs is Float32Array[] {
  if (!Array.isArray(inputs)) throw invalidOption('inputs', 'an array of Float32Array', inputs);
  inputs.forEach((x, i) => {
    if (!(x instanceof Float32Array) || x.length !== valuesPerInput) {
      const got = x instanceof Float32Array ? `a Float32Array of ${x.length} values` : x === null ? null : typeof x;
      throw invalidOption(`inputs[${i}]`, `a Float32Array of ${valuesPerInput} values (${shape})`, got);
    }
  });
}

/** Copies `chunk` of `inputs` into one buffer of `chunk.size * valuesPerInput` values (zero-padded). */
export function packChunk(inputs: Float32Array[], chunk: BatchChunk, valuesPerInput: number): Float32Array {
  if (chunk.count === 1 && chunk.size === 1) return inputs[chunk.start];
  const out = new Float32Array(chunk.size * valuesPerInput);
  for (let i = 0; i < chunk.count; i++) out.set(inputs[chunk.start + i], i * valuesPerInput);
  return out;
}
