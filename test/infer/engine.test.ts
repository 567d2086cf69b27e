import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCodes } from '../../src/errors.js';
import { createEngine, describeEngines, resolveEngineOptions } from '../../src/infer/engine.js';
import { loadModel } from '../../src/infer/model-card.js';
import { SCENE_HEAD, TempModels, convCard } from './helpers/model-folders.js';

const tm = new TempModels();
let onnxOnly: string;
beforeAll(async () => {
  await tm.init();
  onnxOnly = await tm.onnxModel('onnx-only', { inputShape: ['N', 3, 8, 8], heads: [SCENE_HEAD] }, convCard(8, 8));
});
afterAll(() => tm.cleanup());

describe('createEngine', () => {
  it('defaults to the onnx engine on the cpu with all cores', async () => {
    const engine = await createEngine(await loadModel(onnxOnly));
    try {
      expect(engine.name).toBe('onnx');
      const cores = (await import('node:os')).availableParallelism();
      expect(engine.backend).toContain(`cpu (${cores} thread${cores === 1 ? '' : 's'})`);
    } finally {
      await engine.dispose();
    }
  });

  it('passes threads through to the session', async () => {
    const engine = await createEngine(await loadModel(onnxOnly), { threads: 3 });
    await engine.dispose();
    expect(engine.backend).toMatch(/cpu \(3 threads\)$/);
  });

  it('ENGINE_UNAVAILABLE when the card has no file for the engine, pointing at the other one', async () => {
    const err = await createEngine(await loadModel(onnxOnly), { engine: 'tfjs' }).catch((e) => e);
    expect(err.code).toBe(ErrorCodes.ENGINE_UNAVAILABLE);
    expect(err.message).toMatch(/no tfjs files .*use --engine onnx/);
  });

  it.each([
    [{ engine: 'torch' }, /^Expected onnx or tfjs for engine but received "torch"$/],
    [{ device: 'gpu' }, /^Expected cpu or cuda or webgpu for device but received "gpu"$/],
    [{ threads: 0 }, /^Expected an integer from 1 to 256 for threads but received 0$/],
    [{ threads: 1.5 }, /for threads but received 1\.5$/],
  ])('INVALID_OPTION for %o', async (opts, message) => {
    expect(() => resolveEngineOptions(opts as never)).toThrow(
      expect.objectContaining({ code: ErrorCodes.INVALID_OPTION, message: expect.stringMatching(message) }),
    );
    await expect(createEngine(await loadModel(onnxOnly), opts as never)).rejects.toMatchObject({
      code: ErrorCodes.INVALID_OPTION,
    });
  });
});

describe('describeEngines', () => {
  it('names the onnxruntime version and the TF.js backend that would run', async () => {
    const d = await describeEngines();
    expect(d.onnx).toMatch(
      /^onnxruntime-node 1\.\d+\.\d+ \(cpu; webgpu: (bundled, needs a GPU adapter|not in this build); cuda: (installed|not installed)\)$/,
    );
    expect(d.tfjs).toMatch(
      /^(tfjs|tfjs-node|tfjs-node-gpu) 4\.\d+\.\d+ (wasm|tensorflow|cpu).*; tfjs-node-gpu: (installed|not installed)$/,
    );
  });
});
