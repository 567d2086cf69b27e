import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createEngine } from '../../src/infer/engine.js';
import { loadModel } from '../../src/infer/model-card.js';
import { repoRoot, tinyModelDir } from '../helpers/media.js';

// The inference thread hosts any post-network step a run names, one per stream, and knows
// nothing of what it does (the temporal step is one such step, see test/temporal).
const step = (name: string) => pathToFileURL(path.join(repoRoot, 'test', 'fixtures', 'post-steps', name)).href;

describe('post-network steps on the inference thread (EngineRunOptions.post)', () => {
  it('runs a step per stream right after the network, moves its planes back, and drops a stream it is told to end', async () => {
    const model = await loadModel(path.resolve(tinyModelDir));
    const { width, height } = model.card.input;
    const engine = await createEngine(model, { engine: 'onnx', thread: true });
    try {
      expect(typeof engine.endStream).toBe('function');
      const input = (v: number) => new Float32Array(3 * width * height).fill(v);
      const counter = (stream: number, start: number) => ({
        post: { module: step('frame-counter.mjs'), stream, params: { start } },
      });
      const planes = async (stream: number, start: number, values: number[]) =>
        (await engine.run(values.map(input), counter(stream, start))).map((o) => [
          o.planes!.count[0],
          o.planes!.first[0],
        ]);
      expect(await planes(1, 10, [3, 4])).toEqual([
        [10, 3],
        [11, 4],
      ]);
      expect(await planes(2, 50, [7])).toEqual([[50, 7]]);
      // Stream 1 keeps its step (its params are those of its first run).
      expect(await planes(1, 99, [5])).toEqual([[12, 5]]);
      engine.endStream!(1);
      expect(await planes(1, 20, [6])).toEqual([[20, 6]]);
      // Without `post` nothing is added.
      const [plain] = await engine.run([input(1)]);
      expect(plain.planes).toBeUndefined();
      // A module without createPostStep fails the run with a clear error; the engine goes on.
      await expect(engine.run([input(1)], { post: { module: step('no-factory.mjs'), stream: 3 } })).rejects.toThrow(
        /exports no createPostStep/,
      );
      expect(await planes(2, 0, [8])).toEqual([[51, 8]]);
    } finally {
      await engine.dispose();
    }
  }, 60_000);
});
