import { describe, expect, it } from 'vitest';
import { validateCard } from '../../src/infer/card-validate.js';
import { loadModel } from '../../src/infer/model-card.js';

const card = (extra: Record<string, unknown>) => ({
  name: 'x',
  input: { width: 32, height: 32 },
  engines: { onnx: { file: 'm.onnx', layout: 'NCHW' } },
  heads: [{ output: 'logits', classes: [0, 1] }],
  classes: [
    { name: 'Road', color: [1, 2, 3] },
    { name: 'Car', color: [4, 5, 6] },
  ],
  roles: { freeSpace: ['Road'], road: ['Road'], vehicle: ['Car'] },
  ...extra,
});

describe('model card outputOffset', () => {
  it('is read from the card (absent: the half-pixel grid) and checked', () => {
    expect(validateCard(card({}), 'c.json').outputOffset).toBeUndefined();
    expect(validateCard(card({ outputOffset: 0.25 }), 'c.json').outputOffset).toBe(0.25);
    expect(() => validateCard(card({ outputOffset: 0.7 }), 'c.json')).toThrow(/outputOffset/);
    expect(() => validateCard(card({ outputOffset: '0.25' }), 'c.json')).toThrow(/outputOffset/);
  });

  it('is 0.25 for the built-in stride-2 models (trained on labels resized nearest, half-pixel: pixel 2j + 1)', async () => {
    for (const name of ['camvid-default', 'camvid-fast', 'camvid-idd'])
      expect((await loadModel(name)).card.outputOffset).toBe(0.25);
  });
});
