import { existsSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCodes, SegStreamError } from '../../src/errors.js';
import { DEFAULT_MODEL, builtinModelsDir, listModels, loadModel, packageRoot } from '../../src/infer/model-card.js';
import { TempModels, convCard, repoRoot } from './helpers/model-folders.js';

const tm = new TempModels();
beforeAll(() => tm.init());
afterAll(() => tm.cleanup());

/** Resolves to the SegStreamError `p` rejects with (fails the test when it resolves). */
async function errorOf(p: Promise<unknown>): Promise<SegStreamError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(SegStreamError);
  return err as SegStreamError;
}

let counter = 0;
async function cardFolder(card: unknown, files: Record<string, string> = { 'model.onnx': 'x' }): Promise<string> {
  return tm.folder(`card-${counter++}`, { 'model.json': typeof card === 'string' ? card : (card as object), ...files });
}

describe('loadModel', () => {
  it('loads a valid folder, resolves files to absolute paths and roles to class ids', async () => {
    const dir = await cardFolder(
      convCard(64, 32, { roles: { freeSpace: ['road'], road: ['road', 'sky'], vehicle: ['car'] } }),
    );
    const m = await loadModel(dir);
    expect(m.dir).toBe(dir);
    expect(m.files.onnx).toBe(path.join(dir, 'model.onnx'));
    expect(m.files.tfjs).toBeUndefined();
    expect(m.freeSpaceIds).toEqual([1]);
    expect(m.roadIds).toEqual([1, 0]);
    expect(m.vehicleIds).toEqual([2]);
    expect(m.card.input).toMatchObject({ width: 64, height: 32, channelOrder: 'RGB' });
  });

  it('accepts the path of model.json itself and fills input defaults', async () => {
    const card = convCard(8, 8);
    (card.input as Record<string, unknown>) = { width: 8, height: 8 };
    delete card.roles;
    const dir = await cardFolder(card);
    const m = await loadModel(path.join(dir, 'model.json'));
    expect(m.dir).toBe(dir);
    expect(m.card.input).toEqual({
      width: 8,
      height: 8,
      channelOrder: 'RGB',
      scale: 1 / 255,
      mean: [0, 0, 0],
      std: [1, 1, 1],
      resize: 'stretch',
    });
    expect(m.card.engines.onnx?.layout).toBe('NCHW');
    expect(m.freeSpaceIds).toEqual([]);
  });

  it('loads an "aspect" card with its multiple (the network input size is then picked per run)', async () => {
    const card = convCard(64, 32);
    Object.assign(card.input as object, { resize: 'aspect', multiple: 16 });
    const m = await loadModel(await cardFolder(card));
    expect(m.card.input).toMatchObject({ width: 64, height: 32, resize: 'aspect', multiple: 16 });
  });

  it('MODEL_NOT_FOUND for a folder that does not exist, naming the path', async () => {
    const missing = path.join(tm.root, 'no-such-model');
    const err = await errorOf(loadModel(missing));
    expect(err.code).toBe(ErrorCodes.MODEL_NOT_FOUND);
    expect(err.message).toContain(missing);
    expect(err.message).toMatch(/model\.json/);
  });

  it('MODEL_NOT_FOUND for a folder without model.json, saying what a model folder needs', async () => {
    const dir = await tm.folder('no-card', { 'model.onnx': 'x' });
    const err = await errorOf(loadModel(dir));
    expect(err.code).toBe(ErrorCodes.MODEL_NOT_FOUND);
    expect(err.message).toContain(path.join(dir, 'model.json'));
  });

  it('MODEL_INVALID for malformed JSON, naming the card', async () => {
    const dir = await cardFolder('{ "name": "x", ');
    const err = await errorOf(loadModel(dir));
    expect(err.code).toBe(ErrorCodes.MODEL_INVALID);
    expect(err.message).toContain(path.join(dir, 'model.json'));
    expect(err.message).toMatch(/not valid JSON/);
  });

  const badCards: [string, (c: Record<string, any>) => void, RegExp][] = [
    ['card is an array', (c) => Object.assign(c, { __array: true }), /a JSON object for the card/],
    ['missing name', (c) => delete c.name, /non-empty string for name but received nothing/],
    [
      'width not an integer',
      (c) => (c.input.width = 12.5),
      /integer from 1 to 16384 for input\.width but received 12\.5/,
    ],
    ['height missing', (c) => delete c.input.height, /for input\.height but received nothing/],
    [
      'bad channel order',
      (c) => (c.input.channelOrder = 'RGBA'),
      /"RGB" or "BGR" for input\.channelOrder but received "RGBA"/,
    ],
    ['std of zero', (c) => (c.input.std = [1, 0, 1]), /3 positive numbers for input\.std/],
    ['unknown engine', (c) => (c.engines.tensorrt = { file: 'a' }), /engines\.tensorrt/],
    ['no engines', (c) => (c.engines = {}), /at least one of "onnx" or "tfjs" for engines/],
    [
      'bad layout',
      (c) => (c.engines.onnx.layout = 'CHW'),
      /"NCHW" or "NHWC" for engines\.onnx\.layout but received "CHW"/,
    ],
    [
      'head class id out of range',
      (c) => (c.heads[0].classes = [0, 1, 3]),
      /class id from 0 to 2 .* for heads\[0\]\.classes\[2\] but received 3/,
    ],
    [
      'head class id not an integer',
      (c) => (c.heads[0].classes = [0, '1', 2]),
      /heads\[0\]\.classes\[1\] but received "1"/,
    ],
    ['head of only nulls', (c) => (c.heads[0].classes = [null, null]), /at least one channel mapped/],
    ['duplicate head output', (c) => c.heads.push({ output: 'seg', classes: [0] }), /heads\[1\]\.output/],
    ['empty classes', (c) => (c.classes = []), /for classes but received \[\]/],
    ['duplicate class name', (c) => (c.classes[2].name = 'sky'), /classes\[2\]\.name/],
    ['colour out of range', (c) => (c.classes[1].color = [0, 256, 0]), /integers 0-255 for classes\[1\]\.color/],
    [
      'role names an unknown class',
      (c) => (c.roles.freeSpace = ['road', 'sidewalk']),
      /class name from classes \(sky, road, car\) for roles\.freeSpace\[1\] but received "sidewalk"/,
    ],
    ['unknown role', (c) => (c.roles.freespace = ['road']), /roles\.freespace/],
    ['training not an object', (c) => (c.training = 'camvid'), /an object for training/],
    [
      'unknown resize policy',
      (c) => (c.input.resize = 'letterbox'),
      /"stretch" or "aspect" for input\.resize but received "letterbox"/,
    ],
    [
      'aspect size not a multiple of the stride',
      (c) => Object.assign(c.input, { resize: 'aspect', multiple: 32 }),
      /a multiple of input\.multiple \(32\) for input\.width but received 16/,
    ],
    [
      'aspect multiple of zero',
      (c) => Object.assign(c.input, { resize: 'aspect', multiple: 0 }),
      /integer from 1 to 1024 for input\.multiple but received 0/,
    ],
    [
      'multiple on a stretch card',
      (c) => (c.input.multiple = 32),
      /nothing unless input\.resize is "aspect" for input\.multiple but received 32/,
    ],
  ];
  it.each(badCards)('MODEL_INVALID with the field named: %s', async (_, mutate, message) => {
    const card = convCard(16, 16) as Record<string, any>;
    mutate(card);
    const dir = await cardFolder(card.__array ? [card] : card);
    const err = await errorOf(loadModel(dir));
    expect(err.code).toBe(ErrorCodes.MODEL_INVALID);
    expect(err.message).toContain(path.join(dir, 'model.json'));
    expect(err.message).toMatch(message);
  });

  it('MODEL_INVALID when a weight file named by the card is missing', async () => {
    const dir = await cardFolder(convCard(16, 16), {});
    const err = await errorOf(loadModel(dir));
    expect(err.code).toBe(ErrorCodes.MODEL_INVALID);
    expect(err.message).toContain(path.join(dir, 'model.onnx'));
    expect(err.message).toContain('engines.onnx.file');
  });

  it('MODEL_INVALID when a TF.js weight shard is missing, naming the shard', async () => {
    const tfjsJson = {
      format: 'layers-model',
      modelTopology: { class_name: 'Model' },
      weightsManifest: [{ paths: ['group1-shard1of1.bin'], weights: [] }],
    };
    const dir = await cardFolder(convCard(16, 16, { engines: { tfjs: { file: 'tfjs/model.json' } } }), {
      'tfjs/model.json': JSON.stringify(tfjsJson),
    });
    const err = await errorOf(loadModel(dir));
    expect(err.code).toBe(ErrorCodes.MODEL_INVALID);
    expect(err.message).toContain(path.join(dir, 'tfjs', 'group1-shard1of1.bin'));
    await writeFile(path.join(dir, 'tfjs', 'group1-shard1of1.bin'), '');
    await expect(loadModel(dir)).resolves.toMatchObject({ files: { tfjs: path.join(dir, 'tfjs', 'model.json') } });
  });

  it('INVALID_OPTION for a name that is not a non-empty string', async () => {
    for (const bad of ['', 42, undefined]) {
      const err = await errorOf(loadModel(bad as string));
      expect(err.code).toBe(ErrorCodes.INVALID_OPTION);
      expect(err.message).toMatch(/^Expected a built-in model name or a model folder path for model but received/);
    }
  });
});

describe('built-in models', () => {
  it('resolves the package root to the repository root', () => {
    expect(path.resolve(packageRoot())).toBe(path.resolve(repoRoot));
    expect(builtinModelsDir()).toBe(path.join(path.resolve(repoRoot), 'models'));
  });

  it('loads a built-in by name and lists built-ins, skipping folders without a card', async () => {
    const modelsDir = path.join(tm.root, 'builtins');
    await tm.folder('builtins/alpha', { 'model.json': convCard(8, 8, { name: 'alpha' }), 'model.onnx': 'x' });
    await tm.folder('builtins/beta', { 'model.json': convCard(8, 8, { name: 'beta' }), 'model.onnx': 'x' });
    await tm.folder('builtins/not-a-model', { 'README.md': 'hi' });
    const m = await loadModel('beta', { modelsDir });
    expect(m.card.name).toBe('beta');
    const list = await listModels({ modelsDir });
    expect(list.map((x) => x.name)).toEqual(['alpha', 'beta']);
    expect(list[0]).toMatchObject({
      dir: path.join(modelsDir, 'alpha'),
      files: { onnx: path.join(modelsDir, 'alpha', 'model.onnx') },
    });
  });

  it('MODEL_NOT_FOUND for an unknown built-in, naming the available ones', async () => {
    const modelsDir = path.join(tm.root, 'builtins');
    const err = await errorOf(loadModel('gamma', { modelsDir }));
    expect(err.code).toBe(ErrorCodes.MODEL_NOT_FOUND);
    expect(err.message).toContain('"gamma"');
    expect(err.message).toContain('alpha, beta');
  });

  it('listModels reports a broken built-in instead of hiding it', async () => {
    const modelsDir = path.join(tm.root, 'builtins-broken');
    await tm.folder('builtins-broken/bad', { 'model.json': '{' });
    await expect(listModels({ modelsDir })).rejects.toMatchObject({ code: ErrorCodes.MODEL_INVALID });
    await rm(modelsDir, { recursive: true });
  });

  it(`the default model "${DEFAULT_MODEL}" loads when shipped, else MODEL_NOT_FOUND names the built-ins`, async () => {
    if (existsSync(path.join(builtinModelsDir(), DEFAULT_MODEL, 'model.json'))) {
      const m = await loadModel(DEFAULT_MODEL);
      expect(m.card.engines.onnx).toBeDefined();
      expect(m.freeSpaceIds.length).toBeGreaterThan(0);
    } else {
      const err = await errorOf(loadModel(DEFAULT_MODEL));
      expect(err.code).toBe(ErrorCodes.MODEL_NOT_FOUND);
      expect(err.message).toMatch(/built-in models: /);
    }
  });
});
