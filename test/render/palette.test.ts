import { describe, expect, it } from 'vitest';
import { buildClassLut, defaultClassSelection, resolveClassSelection } from '../../src/render/palette.js';
import type { LoadedModel, ModelCard } from '../../src/infer/types.js';
import { isSegStreamError } from '../../src/errors.js';

const names = [
  'Sky',
  'Building',
  'Pole',
  'Road',
  'Pavement',
  'Tree',
  'SignSymbol',
  'Fence',
  'Car',
  'Pedestrian',
  'Bicyclist',
];
const model: LoadedModel = {
  card: {
    name: 'test',
    classes: names.map((name, i) => ({ name, color: [i * 10, i * 20, 255 - i] as [number, number, number] })),
    roles: { freeSpace: ['Road'], road: ['Road'], vehicle: ['Car', 'Bicyclist'] },
  } as unknown as ModelCard,
  dir: '/nonexistent',
  files: {},
  freeSpaceIds: [3],
  roadIds: [3],
  vehicleIds: [8, 10],
};

describe('resolveClassSelection', () => {
  it('defaults to road + vehicle', () => {
    expect(resolveClassSelection(undefined, model)).toEqual([3, 8, 10]);
    expect(defaultClassSelection(model)).toEqual([3, 8, 10]);
  });
  it('accepts all, roles and case-insensitive class names, sorted and unique', () => {
    expect(resolveClassSelection('all', model)).toEqual(names.map((_, i) => i));
    expect(resolveClassSelection('vehicle, sky ,CAR', model)).toEqual([0, 8, 10]);
    expect(resolveClassSelection('free-space,pedestrian', model)).toEqual([3, 9]);
  });
  it('rejects an unknown name with INVALID_OPTION naming the classes and roles', () => {
    let err: unknown;
    try {
      resolveClassSelection('road,xyz', model);
    } catch (e) {
      err = e;
    }
    expect(isSegStreamError(err, 'SEGSTREAM_ERR_INVALID_OPTION')).toBe(true);
    expect((err as Error).message).toMatch(
      /^Expected class names from the model \(Sky, Building, .*\.\.\.\) or road, vehicle, free-space, all for --classes but received "xyz"$/,
    );
    expect(() => resolveClassSelection('', model)).toThrow(/received ""/);
  });
});

describe('buildClassLut', () => {
  it('holds each class colour, alpha 255 only for selected ids, 0 for the rest of the 256', () => {
    const lut = buildClassLut(model.card.classes, [3, 8]);
    expect(lut.length).toBe(1024);
    expect([...lut.subarray(12, 16)]).toEqual([30, 60, 252, 255]);
    expect([...lut.subarray(32, 36)]).toEqual([80, 160, 247, 255]);
    expect(lut[4 * 0 + 3]).toBe(0);
    expect(lut[4 * 200 + 3]).toBe(0);
    expect(() => buildClassLut(model.card.classes, [11])).toThrow(/class ids 0\.\.10/);
  });
});
