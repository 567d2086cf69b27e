/**
 * The network input size a run picks from its source's aspect (card `input.resize: "aspect"`), and
 * the shipped default model's card asking for it.
 */
import { describe, expect, it } from 'vitest';
import { inputSizeFor, modelForSource } from '../../src/infer/input-size.js';
import { DEFAULT_MODEL, loadModel } from '../../src/infer/model-card.js';
import type { InputSpec } from '../../src/infer/types.js';

const aspect: InputSpec = {
  width: 480,
  height: 352,
  channelOrder: 'RGB',
  scale: 1 / 255,
  mean: [0, 0, 0],
  std: [1, 1, 1],
  resize: 'aspect',
  multiple: 32,
};
const stretch: InputSpec = { ...aspect, resize: 'stretch', multiple: undefined };

describe('inputSizeFor', () => {
  it.each([
    ['4:3 CamVid', 480, 360, 480, 352],
    ['16:9 dashcam', 1920, 1080, 576, 320],
    ['2:1 city camera', 2048, 1024, 576, 288],
    ['3.3:1 KITTI', 1242, 375, 736, 224],
    ['9:16 phone held upright', 1080, 1920, 320, 576],
    ['1:2 rotated city camera', 1024, 2048, 288, 576],
  ])('%s (%ix%i) runs at %ix%i: the source aspect, about the same pixels, multiples of 32', (_, w, h, iw, ih) => {
    const size = inputSizeFor(aspect, { width: w, height: h });
    expect(size).toEqual({ width: iw, height: ih });
    expect(size.width % 32).toBe(0);
    expect(size.height % 32).toBe(0);
    expect(Math.abs(size.width * size.height - 480 * 352) / (480 * 352)).toBeLessThan(0.15);
  });

  it('a "stretch" card keeps its one size whatever the source', () => {
    expect(inputSizeFor(stretch, { width: 1242, height: 375 })).toEqual({ width: 480, height: 352 });
    expect(inputSizeFor(stretch, { width: 1080, height: 1920 })).toEqual({ width: 480, height: 352 });
  });

  it('the shipped default model picks its size from the source, leaving the loaded card as it is', async () => {
    const model = await loadModel(DEFAULT_MODEL);
    expect(model.card.input).toMatchObject({ width: 480, height: 352, resize: 'aspect', multiple: 32 });
    const wide = modelForSource(model, { width: 960, height: 480 });
    expect(wide.card.input).toMatchObject({ width: 576, height: 288, resize: 'aspect' });
    expect(model.card.input).toMatchObject({ width: 480, height: 352 });
    expect(modelForSource(model, { width: 480, height: 360 })).toBe(model);
  });
});
