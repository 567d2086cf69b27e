import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCodes } from '../../src/errors.js';
import { createEngine } from '../../src/infer/engine.js';
import { loadModel } from '../../src/infer/model-card.js';
import { preprocess, roadScene } from './helpers/images.js';
import { SCENE_HEAD, TempModels, convCard } from './helpers/model-folders.js';
import { tinyModelDir } from '../helpers/media.js';

const tm = new TempModels();
beforeAll(() => tm.init());
afterAll(() => tm.cleanup());

function threadCount(): number {
  return Number(/Threads:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))![1]);
}

const settle = () => new Promise((r) => setTimeout(r, 300));

describe('onnx engine on its own thread', () => {
  it('gives the same class maps and probabilities as the engine on the calling thread, and ends its thread on dispose', async () => {
    const model = await loadModel(tinyModelDir);
    const spec = model.card.input;
    const inputs = Array.from({ length: 3 }, (_, i) =>
      preprocess(roadScene(spec.width + 40, spec.height + 20, i), spec, 'NCHW'),
    );
    const direct = await createEngine(model, { threads: 1 });
    const expected = await direct.run(inputs, { probabilities: model.roadIds });
    await direct.dispose();
    await settle();

    const before = threadCount();
    const threaded = await createEngine(model, { threads: 1, thread: true });
    expect(threaded.name).toBe('onnx');
    expect(threaded.backend).toBe(direct.backend);
    expect(threaded.inputLayout).toBe(direct.inputLayout);
    expect(threadCount()).toBeGreaterThan(before);
    // Copied inputs stay usable; moved inputs are detached afterwards.
    const copied = await threaded.run(inputs, { probabilities: model.roadIds });
    expect(inputs[0].length).toBeGreaterThan(0);
    const moved = inputs.map((i) => i.slice());
    const movedOut = await threaded.run(moved, { transferInputs: true });
    expect(moved[0].length).toBe(0);
    for (let i = 0; i < inputs.length; i++) {
      expect(copied[i].width).toBe(expected[i].width);
      expect(Buffer.from(copied[i].classMap).equals(Buffer.from(expected[i].classMap))).toBe(true);
      expect(Buffer.from(movedOut[i].classMap).equals(Buffer.from(expected[i].classMap))).toBe(true);
      expect(Array.from(copied[i].probability!)).toEqual(Array.from(expected[i].probability!));
      expect(movedOut[i].probability).toBeUndefined();
    }
    // Runs issued together come back to their own callers.
    const together = await Promise.all(inputs.map((x) => threaded.run([x])));
    together.forEach(([out], i) =>
      expect(Buffer.from(out.classMap).equals(Buffer.from(expected[i].classMap))).toBe(true),
    );

    await threaded.dispose();
    await threaded.dispose();
    await settle();
    expect(threadCount()).toBe(before);
    await expect(threaded.run([inputs[0]])).rejects.toMatchObject({ code: ErrorCodes.INFERENCE_FAILED });
  });

  it('hands moved inputs back after their run, to be refilled; copied ones stay with the caller', async () => {
    const model = await loadModel(tinyModelDir);
    const spec = model.card.input;
    const length = 3 * spec.width * spec.height;
    const inputs = Array.from({ length: 2 }, (_, i) =>
      preprocess(roadScene(spec.width + 40, spec.height + 20, i), spec, 'NCHW'),
    );
    const threaded = await createEngine(model, { threads: 1, thread: true });
    try {
      const expected = await threaded.run(inputs);
      expect(threaded.takeSpareInput?.(length)).toBeUndefined();
      await threaded.run(
        inputs.map((i) => i.slice()),
        { transferInputs: true },
      );
      const spares = [threaded.takeSpareInput?.(length), threaded.takeSpareInput?.(length)];
      expect(threaded.takeSpareInput?.(length)).toBeUndefined();
      expect(spares.map((x) => x?.length)).toEqual([length, length]);
      expect(spares[0]!.buffer).not.toBe(spares[1]!.buffer);
      // Refilled with other frames, they give those frames' labels.
      spares.forEach((x, i) => x!.set(inputs[1 - i]));
      const again = await threaded.run(spares as Float32Array[], { transferInputs: true });
      again.forEach((o, i) => expect(Buffer.from(o.classMap).equals(Buffer.from(expected[1 - i].classMap))).toBe(true));
      // A spare of another size is not handed out.
      expect(threaded.takeSpareInput?.(length + 3)).toBeUndefined();
      expect(threaded.takeSpareInput?.(length)).toBeUndefined();
    } finally {
      await threaded.dispose();
    }
  });

  it('brings the engine errors back with their codes: a network that disagrees with its card, an input of the wrong size', async () => {
    const before = threadCount();
    const wrong = await tm.onnxModel(
      'thread-wrong-size',
      { inputShape: [1, 3, 64, 64], heads: [SCENE_HEAD] },
      convCard(48, 32),
    );
    const err = await createEngine(await loadModel(wrong), { thread: true }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: ErrorCodes.MODEL_INVALID });
    expect((err as Error).message).toMatch(/expected input/);

    const engine = await createEngine(await loadModel(tinyModelDir), { thread: true });
    await expect(engine.run([new Float32Array(7)])).rejects.toMatchObject({ code: ErrorCodes.INVALID_OPTION });
    // Still serving after a failed run.
    const spec = engine.model.card.input;
    const [out] = await engine.run([preprocess(roadScene(spec.width, spec.height, 0), spec, 'NCHW')]);
    expect(out.classMap.length).toBe(out.width * out.height);
    await engine.dispose();
    await settle();
    expect(threadCount()).toBe(before);
  });
});
