import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createEngine } from '../../src/infer/engine.js';
import { loadModel } from '../../src/infer/model-card.js';
import { tinyModelDir } from '../helpers/media.js';

// What the smoother needs from an engine: every head's raw output, in the layout it names, whose
// argmax is the class map the engine itself gives.
describe('engine raw scores (EngineRunOptions.scores)', () => {
  for (const [engine, thread] of [
    ['onnx', true],
    ['onnx', false],
    ['tfjs', false],
  ] as const) {
    it(`${engine}${thread ? ' on its thread' : ''}: scores per input whose argmax is the class map`, async () => {
      const model = await loadModel(path.resolve(tinyModelDir));
      const e = await createEngine(model, { engine, thread });
      try {
        const { width: W, height: H } = model.card.input;
        const inputs = [0.2, -0.7].map((v) => new Float32Array(3 * W * H).map((_, i) => v + Math.sin(i / 97)));
        const outs = await e.run(inputs, { scores: true });
        expect(outs).toHaveLength(2);
        for (const o of outs) {
          const s = o.scores!;
          expect(s.heads).toHaveLength(1);
          expect(s.heads[0].length).toBe(11 * o.width * o.height);
          expect([...argmaxOf(s.heads[0], 11, o.width * o.height, s.layout)]).toEqual([...o.classMap]);
        }
        const plain = await e.run(inputs.slice(0, 1));
        expect(plain[0].scores).toBeUndefined();
      } finally {
        await e.dispose();
      }
    });
  }
});

/** Per-pixel argmax of a `channels x pixels` tensor in either layout (ties to the lower channel). */
function argmaxOf(x: Float32Array, channels: number, pixels: number, layout: 'NCHW' | 'NHWC'): Uint8Array {
  const out = new Uint8Array(pixels);
  for (let p = 0; p < pixels; p++) {
    let best = -Infinity;
    for (let c = 0; c < channels; c++) {
      const v = layout === 'NCHW' ? x[c * pixels + p] : x[p * channels + c];
      if (v > best) {
        best = v;
        out[p] = c;
      }
    }
  }
  return out;
}
