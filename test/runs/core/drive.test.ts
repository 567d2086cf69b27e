/**
 * The driver's sink step (`drive` in core/run-kind.ts): frames reach the sinks in source order,
 * and a failure upstream waits for the frame the sinks are taking, so that frame is written and
 * counted before the run handles the failure (finishes or aborts its sinks, writes a manifest).
 */
import { Subject } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { InFlightGate } from '../../../src/ingest/gate.js';
import { drive, type RunPlan } from '../../../src/runs/core/run-kind.js';
import type { Sink } from '../../../src/runs/core/sink.js';

const nothing = () => Promise.resolve();
const tick = () => new Promise((resolve) => setImmediate(resolve));

function planWith(sinks: Sink<number>[], done: number[]): RunPlan<number> {
  return { gate: new InFlightGate(8), sinks, frameDone: (i) => done.push(i) };
}

describe('drive', () => {
  it('writes each frame to the sinks, then to those after them, then counts it', async () => {
    const log: string[] = [];
    const sink = (name: string, after = false): Sink<number> => ({
      open: nothing,
      write: async (i) => void log.push(`${name}${i}`),
      finish: nothing,
      abort: nothing,
      after,
    });
    const done: number[] = [];
    const plan = planWith([sink('jsonl', true), sink('png'), sink('video')], done);
    const src = new Subject<number>();
    const driven = drive(src, plan);
    for (const i of [0, 1]) {
      plan.gate.take();
      src.next(i);
    }
    src.complete();
    await driven;
    expect(log).toEqual(['png0', 'video0', 'jsonl0', 'png1', 'video1', 'jsonl1']);
    expect(done).toEqual([0, 1]);
    expect(plan.gate.inFlight).toBe(0);
  });

  it('a failure upstream is handed on only once the frame in the sinks is written and counted', async () => {
    let release!: () => void;
    const slow = new Promise<void>((resolve) => (release = resolve));
    const written: number[] = [];
    const done: number[] = [];
    const plan = planWith(
      [
        {
          open: nothing,
          write: async (i) => {
            await slow;
            written.push(i);
          },
          finish: nothing,
          abort: nothing,
        },
      ],
      done,
    );
    const src = new Subject<number>();
    let failed: unknown;
    const driven = drive(src, plan).catch((err: unknown) => (failed = err));
    plan.gate.take();
    src.next(7);
    src.error(new Error('a damaged frame'));
    await tick();
    expect(failed).toBeUndefined();
    release();
    await driven;
    expect((failed as Error).message).toBe('a damaged frame');
    expect(written).toEqual([7]);
    expect(done).toEqual([7]);
  });
});
