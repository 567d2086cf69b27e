/**
 * RxJS operators of the pipeline: batched inference with a bounded number of batches in flight, and restoring
 * decode order after stages that finish out of order. Both hold at most what the in-flight gate
 * lets into the pipeline.
 */
import { Observable, type OperatorFunction } from 'rxjs';
import type { InFlightGate } from '../ingest/gate.js';

/**
 * Groups items into batches of at most `size` while `run` is busy, keeps at most `concurrency`
 * batches running and emits each batch's results in the batch's order as it completes. A lone item
 * is never held back waiting for company.
 *
 * `concurrency` 2 suits an engine on its own thread: the next batch is already queued there when
 * the current one finishes, so that thread never waits for this one to send it.
 */
export function batchedConcurrency<T, R>(
  size: number,
  run: (batch: T[]) => Promise<R[]>,
  concurrency = 1,
): OperatorFunction<T, R> {
  return (source) =>
    new Observable<R>((subscriber) => {
      const queue: T[] = [];
      let running = 0;
      let sourceDone = false;
      let closed = false;
      const pump = (): void => {
        while (!closed && running < concurrency && queue.length > 0) {
          running++;
          const batch = queue.splice(0, size);
          run(batch).then(
            (results) => {
              running--;
              if (closed) return;
              for (const r of results) subscriber.next(r);
              pump();
            },
            (err: unknown) => {
              running--;
              if (!closed) subscriber.error(err);
            },
          );
        }
        if (!closed && running === 0 && queue.length === 0 && sourceDone) subscriber.complete();
      };
      const subscription = source.subscribe({
        next: (item) => {
          queue.push(item);
          pump();
        },
        error: (err: unknown) => subscriber.error(err),
        complete: () => {
          sourceDone = true;
          pump();
        },
      });
      return () => {
        closed = true;
        queue.length = 0;
        subscription.unsubscribe();
      };
    });
}

/**
 * Re-emits items in ascending `indexOf(item)` order starting at `first`, holding early arrivals
 * until the gap before them is filled.
 */
export function restoreOrder<T>(indexOf: (item: T) => number, first = 0): OperatorFunction<T, T> {
  return (source) =>
    new Observable<T>((subscriber) => {
      const held = new Map<number, T>();
      let next = first;
      const subscription = source.subscribe({
        next: (item) => {
          held.set(indexOf(item), item);
          let ready = held.get(next);
          while (ready !== undefined) {
            held.delete(next);
            next++;
            subscriber.next(ready);
            ready = held.get(next);
          }
        },
        error: (err: unknown) => subscriber.error(err),
        complete: () => {
          if (held.size > 0) {
            subscriber.error(new Error(`pipeline lost frame ${next}: ${held.size} later frames were held`));
          } else {
            subscriber.complete();
          }
        },
      });
      return () => {
        held.clear();
        subscription.unsubscribe();
      };
    });
}

/**
 * Emits `items` one by one while `gate` has a free slot, taking a slot for each (the consumer
 * releases it when the item has left the pipeline), and completes when they are all emitted or
 * `stop` aborts. The list-of-work counterpart of the decoders, which pause their pipe instead.
 */
export function gatedFrom<T>(items: Iterable<T>, gate: InFlightGate, stop?: AbortSignal): Observable<T> {
  return new Observable<T>((subscriber) => {
    const it = items[Symbol.iterator]();
    let closed = false;
    const pump = (): void => {
      while (!closed) {
        if (stop?.aborted) {
          closed = true;
          subscriber.complete();
          return;
        }
        if (!gate.open) {
          gate.onRelease(pump);
          return;
        }
        const next = it.next();
        if (next.done) {
          closed = true;
          subscriber.complete();
          return;
        }
        gate.take();
        subscriber.next(next.value);
      }
    };
    stop?.addEventListener('abort', pump, { once: true });
    pump();
    return () => {
      closed = true;
      stop?.removeEventListener('abort', pump);
    };
  });
}
