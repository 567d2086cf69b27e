import { Subject, firstValueFrom, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { batchedConcurrency, restoreOrder } from '../../src/runs/operators.js';

/** A run whose batches finish when the test says so. */
function controlledRun() {
  const calls: { batch: number[]; finish: () => void; fail: (e: Error) => void }[] = [];
  let running = 0;
  let peak = 0;
  const run = (batch: number[]) =>
    new Promise<number[]>((resolve, reject) => {
      running++;
      peak = Math.max(peak, running);
      calls.push({
        batch,
        finish: () => {
          running--;
          resolve(batch.map((x) => x * 10));
        },
        fail: (e) => {
          running--;
          reject(e);
        },
      });
    });
  return { run, calls, peak: () => peak };
}

const tick = () => new Promise((r) => setImmediate(r));

describe('batchedConcurrency', () => {
  it('keeps at most `concurrency` batches running, groups what arrives meanwhile, emits everything and completes last', async () => {
    const source = new Subject<number>();
    const c = controlledRun();
    const out = firstValueFrom(source.pipe(batchedConcurrency(3, c.run, 2), toArray()));
    for (let i = 0; i < 8; i++) source.next(i);
    source.complete();
    await tick();
    // Two lone items start at once (nothing held back for company); the rest waits for a slot.
    expect(c.calls.map((x) => x.batch)).toEqual([[0], [1]]);
    c.calls[1].finish();
    await tick();
    expect(c.calls.map((x) => x.batch)).toEqual([[0], [1], [2, 3, 4]]);
    c.calls[0].finish();
    await tick();
    expect(c.calls[3].batch).toEqual([5, 6, 7]);
    c.calls[2].finish();
    c.calls[3].finish();
    expect(await out).toEqual([10, 0, 20, 30, 40, 50, 60, 70]);
    expect(c.peak()).toBe(2);
  });

  it('with concurrency 1 runs one batch at a time', async () => {
    const source = new Subject<number>();
    const c = controlledRun();
    const out = firstValueFrom(source.pipe(batchedConcurrency(2, c.run), toArray()));
    for (let i = 0; i < 5; i++) source.next(i);
    source.complete();
    for (let i = 0; i < 3; i++) {
      await tick();
      expect(c.calls.length).toBe(i + 1);
      c.calls[i].finish();
    }
    expect(await out).toEqual([0, 10, 20, 30, 40]);
    expect(c.peak()).toBe(1);
  });

  it('fails with the first error of a run', async () => {
    const source = new Subject<number>();
    const c = controlledRun();
    const out = firstValueFrom(source.pipe(batchedConcurrency(1, c.run, 2), toArray()));
    source.next(1);
    source.next(2);
    await tick();
    c.calls[1].fail(new Error('engine broke'));
    await expect(out).rejects.toThrow('engine broke');
    c.calls[0].finish();
  });
});

describe('restoreOrder', () => {
  it('puts items back in index order and reports a lost one', async () => {
    const source = new Subject<number>();
    const out = firstValueFrom(
      source.pipe(
        restoreOrder((x) => x),
        toArray(),
      ),
    );
    for (const i of [2, 0, 1, 4, 3]) source.next(i);
    source.complete();
    expect(await out).toEqual([0, 1, 2, 3, 4]);
    const gap = new Subject<number>();
    const lost = firstValueFrom(
      gap.pipe(
        restoreOrder((x) => x),
        toArray(),
      ),
    );
    gap.next(0);
    gap.next(2);
    gap.complete();
    await expect(lost).rejects.toThrow(/lost frame 1/);
  });
});
