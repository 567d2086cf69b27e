import path from 'node:path';
import { lastValueFrom, map, tap, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { InFlightGate } from '../../src/ingest/gate.js';
import { probeVideo } from '../../src/ingest/probe.js';
import { decodeFrames } from '../../src/ingest/video-decoder.js';
import { createEngine } from '../../src/infer/engine.js';
import { DEFAULT_MODEL, loadModel } from '../../src/infer/model-card.js';
import { TemporalTrack } from '../../src/temporal/track.js';
import type { EngineOutput } from '../../src/infer/types.js';
import { createFramePool } from '../../src/runs/frame-pool.js';
import { StageClock } from '../../src/runs/stats.js';
import { segmentFrames } from '../../src/runs/video/stages.js';
import { CHANGE_PLANE } from '../../src/temporal/engine-step.js';
import { TEMPORAL_STEP_MODULE, TemporalStage } from '../../src/temporal/stage.js';
import { bins, haveShared, sharedDir, tinyModelDir } from '../helpers/media.js';

// With --smooth on a live stream, an engine on its own thread smooths the network's outputs there,
// right after the model (the main thread only counts the stability figure): the labels must be
// exactly those the smoother gives on the main thread (where file runs smooth).

const STRENGTH = 0.8;

/** Frame t of a synthetic sequence: a fixed pattern with a little noise (the luma barely moves), and a bright block moving 12 px per frame. */
function frame(W: number, H: number, t: number): Float32Array {
  const x = new Float32Array(3 * W * H);
  let seed = 1 + t * 7919;
  for (let c = 0; c < 3; c++) {
    for (let y = 0; y < H; y++) {
      for (let i = 0; i < W; i++) {
        seed = (seed * 48271) % 2147483647;
        const moving = y >= 40 && y < 80 && i >= 20 + 12 * t && i < 60 + 12 * t;
        x[c * W * H + y * W + i] = moving ? 2 : Math.sin((y * W + i) / 97 + c) * 1.5 + (seed / 2147483647 - 0.5) * 0.04;
      }
    }
  }
  return x;
}

/** Run options for the temporal post-network step of `stream`. */
const post = (stream: number) => ({ post: { module: TEMPORAL_STEP_MODULE, stream, params: { strength: STRENGTH } } });

describe('smoothing on the inference thread (the temporal step as EngineRunOptions.post)', () => {
  it("gives the main-thread smoother's class maps and change maps, per stream, and forgets a stream it is told to end", async () => {
    const model = await loadModel(path.resolve(tinyModelDir));
    const { width: W, height: H } = model.card.input;
    const threaded = await createEngine(model, { engine: 'onnx', thread: true });
    const local = await createEngine(model, { engine: 'onnx', thread: false });
    try {
      expect(typeof threaded.endStream).toBe('function');
      const N = 6;
      const frames = Array.from({ length: N }, (_, t) => frame(W, H, t));
      // The reference: raw scores from an engine on this thread, smoothed here.
      const reference = async (order: number[]) => {
        const track = new TemporalTrack(model.card, local.inputLayout, STRENGTH);
        const out: (EngineOutput & { change?: Uint8Array })[] = [];
        for (const t of order) {
          const [o] = await local.run([frames[t]], { scores: true, argmax: false });
          const change = track.step(track.luma(frames[t]), o);
          out.push({ ...o, change });
        }
        return out;
      };
      const forward = [0, 1, 2, 3, 4, 5];
      const backward = [5, 4, 3, 2, 1, 0];
      const [refA, refB] = [await reference(forward), await reference(backward)];
      const perFrame = await local.run(forward.map((t) => frames[t]));
      // The check means something: smoothing changes labels of this sequence.
      expect(refA.some((o, i) => o.classMap.some((v, p) => v !== perFrame[i].classMap[p]))).toBe(true);

      // Two streams interleaved on one engine, in batches of 2 and 1.
      const got: Record<'a' | 'b', EngineOutput[]> = { a: [], b: [] };
      for (const [start, size] of [
        [0, 2],
        [2, 1],
        [3, 2],
        [5, 1],
      ] as const) {
        got.a.push(
          ...(await threaded.run(
            forward.slice(start, start + size).map((t) => frames[t]),
            post(101),
          )),
        );
        got.b.push(
          ...(await threaded.run(
            backward.slice(start, start + size).map((t) => frames[t]),
            post(102),
          )),
        );
      }
      for (const [name, ref] of [
        ['a', refA],
        ['b', refB],
      ] as const) {
        for (let i = 0; i < N; i++) {
          const o = got[name][i];
          // The smoothed scores cross back (for clean edges in the finish step), equal to the main thread's.
          expect(
            Buffer.from(o.scores!.heads[0].buffer).equals(Buffer.from(ref[i].scores!.heads[0].buffer)),
            `stream ${name}, frame ${i}: smoothed scores`,
          ).toBe(true);
          expect(
            Buffer.from(o.classMap).equals(Buffer.from(ref[i].classMap)),
            `stream ${name}, frame ${i}: class map`,
          ).toBe(true);
          if (i === 0) expect(o.planes).toBeUndefined();
          else
            expect(
              Buffer.from(o.planes![CHANGE_PLANE]).equals(Buffer.from(ref[i].change!)),
              `stream ${name}, frame ${i}: change map`,
            ).toBe(true);
        }
      }

      // Ended: the stream's next frame starts afresh (no past, no change map) instead of blending with frame 5.
      threaded.endStream!(101);
      const [again] = await threaded.run([frames[0]], post(101));
      expect(again.planes).toBeUndefined();
      expect(Buffer.from(again.classMap).equals(Buffer.from(refA[0].classMap))).toBe(true);
    } finally {
      await threaded.dispose();
      await local.dispose();
    }
  }, 60_000);

  describe.runIf(haveShared())('the frame stages with --smooth (dashcam clip, default model)', () => {
    it('give the same masks and stability figure smoothing on the inference thread as on the main thread', async () => {
      const input = path.join(sharedDir, 'samples', 'solidWhiteRight.mp4');
      const model = await loadModel(DEFAULT_MODEL);
      const info = await probeVideo(input, { ffprobe: bins.ffprobe.path });
      const engine = await createEngine(model, { engine: 'onnx', thread: true });
      const pool = createFramePool({ threads: 2 });
      try {
        const run = async (inEngine: boolean) => {
          const temporal = new TemporalStage(model, engine.inputLayout, STRENGTH, inEngine ? engine : undefined);
          expect(temporal.inEngine).toBe(inEngine);
          const gate = new InFlightGate(6);
          // Batches of 2, two in the engine at once, two preprocessing workers: frames may finish preprocessing out of order.
          const ctx = {
            temporal,
            pool,
            engine,
            model,
            clock: new StageClock(),
            batch: 2,
            inferConcurrency: 2,
            alpha: 0.5,
            masks: true,
            freeSpace: false,
          };
          const frames$ = decodeFrames({ ffmpeg: bins.ffmpeg.path, info, gate, maxFrames: 16 });
          const masks = await lastValueFrom(
            segmentFrames(frames$, ctx).pipe(
              tap(() => gate.release()),
              map((r) => Buffer.from(r.maskPng!)),
              toArray(),
            ),
          );
          temporal.close();
          return { masks, stability: temporal.summary() };
        };
        const onThread = await run(true);
        const onMain = await run(false);
        expect(onThread.masks).toHaveLength(16);
        onThread.masks.forEach((m, i) => expect(m.equals(onMain.masks[i]), `mask ${i}`).toBe(true));
        expect(onThread.stability).toEqual(onMain.stability);
        expect(onThread.stability.pairs).toBe(15);
      } finally {
        await pool.destroy();
        await engine.dispose();
      }
    }, 120_000);
  });
});
