/**
 * RxJS operators of the pipeline: batched inference with one batch in flight, and restoring
 * decode order after stages that finish out of order. Both hold at most what the in-flight gate
 * lets into the pipeline.
 */
import { Observable, type OperatorFunction } from 'rxjs';

/**
 * Groups items into batches of at most `size` while `run` is busy, runs one batch at a time and
 * emits its results in the batch's order. A lone item is never held back waiting for company.
 */
export function batchedConcurrency<T, R>(size: number, run: (batch: T[]) => Promise<R[]>): OperatorFunction<T, R> {
  return (source) =>
    new Observable<R>((subscriber) => {
      const queue: T[] = [];
      let running = false;
      let sourceDone = false;
      let closed = false;
      const pump = (): void => {
        if (running || closed) return;
        if (queue.length === 0) {
          if (sourceDone) subscriber.complete();
          return;
        }
        running = true;
        const batch = queue.splice(0, size);
        run(batch).then(
          (results) => {
            running = false;
            if (closed) return;
            for (const r of results) subscriber.next(r);
            pump();
          },
          (err: unknown) => {
            running = false;
            if (!closed) subscriber.error(err);
          },
        );
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
