/**
 * The worker-thread side of a {@link WorkerPool} task: buffers of the result are moved back, not
 * copied, and an error leaves the thread as a {@link SerializedError} inside the result, so a
 * SegStreamError keeps its code across the boundary (piscina rejects with a structured clone of
 * a thrown Error, which keeps only its message).
 */
import { move, transferableSymbol, valueSymbol } from 'piscina';
import { serializeError, type SerializedError } from '../errors.js';
import { transferListOf } from './transfer.js';

/** The result of a task that failed; {@link WorkerPool.run} rejects with the error it holds. */
export interface TaskFailure {
  segStreamTaskError: SerializedError;
}

/** True when a task's result is a {@link TaskFailure}. */
export function isTaskFailure(value: unknown): value is TaskFailure {
  return typeof value === 'object' && value !== null && 'segStreamTaskError' in value;
}

/**
 * Makes a piscina task of `fn`: the buffers behind `moved(result)` are transferred back to the
 * caller, and anything thrown comes back as a {@link TaskFailure}.
 *
 * @example
 * ```ts
 * export const preprocess = defineTask(preprocessFrame, (r) => [r.input, r.pixels]);
 * ```
 */
export function defineTask<T, R extends object>(
  fn: (task: T) => R | Promise<R>,
  moved: (result: R) => (ArrayBufferView | undefined)[] = () => [],
) {
  return async (task: T): Promise<R | TaskFailure> => {
    try {
      const result = await fn(task);
      const transferable = { [transferableSymbol]: transferListOf(...moved(result)), [valueSymbol]: result };
      return move(transferable) as unknown as R;
    } catch (err) {
      return { segStreamTaskError: serializeError(err) };
    }
  };
}
