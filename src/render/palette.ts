/**
 * Which classes the overlay paints, and in what colour.
 *
 * A class lookup table (LUT) is a `Uint8Array(256 * 4)`: RGBA for class id `k` at `4k..4k+3`.
 * Alpha 255 means "paint this class", 0 means "leave it alone"; values between scale the
 * overlay's global alpha for that class. 256 entries cover every id a `Uint8Array` class map
 * can hold, so lookups never need a bounds check.
 */
import type { ClassInfo, LoadedModel } from '../infer/types.js';
import { invalidOption } from '../errors.js';

/** Number of entries in a class LUT (every possible byte value). */
export const LUT_CLASSES = 256;

/** Role names accepted by {@link resolveClassSelection} besides class names and `all`. */
export const CLASS_ROLES = ['road', 'vehicle', 'free-space'] as const;

/** A role name from {@link CLASS_ROLES}. */
export type ClassRole = (typeof CLASS_ROLES)[number];

/**
 * Builds the RGBA class LUT for the overlay.
 *
 * @param classes - the model's classes; class id = index, colour = `color`
 * @param selected - class ids to paint (alpha 255); every other id gets alpha 0
 * @returns a new `Uint8Array(1024)`
 * @throws {SegStreamError} `SEGSTREAM_ERR_INVALID_OPTION` for an id outside the model's classes
 * @example
 * ```ts
 * const lut = buildClassLut(model.card.classes, resolveClassSelection('road,car', model));
 * ```
 */
export function buildClassLut(classes: readonly ClassInfo[], selected: Iterable<number>): Uint8Array {
  const lut = new Uint8Array(LUT_CLASSES * 4);
  const n = Math.min(classes.length, LUT_CLASSES);
  for (let k = 0; k < n; k++) {
    const [r, g, b] = classes[k].color;
    lut[4 * k] = r;
    lut[4 * k + 1] = g;
    lut[4 * k + 2] = b;
  }
  for (const id of selected) {
    if (!Number.isInteger(id) || id < 0 || id >= n) {
      throw invalidOption('class selection', `class ids 0..${n - 1}`, id);
    }
    lut[4 * id + 3] = 255;
  }
  return lut;
}

/** The overlay's default selection: the model's road and vehicle classes, sorted, unique. */
export function defaultClassSelection(model: LoadedModel): number[] {
  return sortedUnique([...model.roadIds, ...model.vehicleIds]);
}

/**
 * Turns a `--classes` value into sorted, unique class ids.
 *
 * `spec` is `all`, or a comma-separated list of role names (`road`, `vehicle`, `free-space`,
 * taken from the model card's roles) and/or class names (case-insensitive). A role name wins
 * over a class of the same name, since the role includes it in every sensible card.
 * `undefined` gives {@link defaultClassSelection} (road + vehicle).
 *
 * @throws {SegStreamError} `SEGSTREAM_ERR_INVALID_OPTION` naming the first unknown entry
 * @example
 * ```ts
 * resolveClassSelection('road, Car', model); // road role ids + the id of class "Car"
 * resolveClassSelection('all', model);       // every class
 * ```
 */
export function resolveClassSelection(spec: string | undefined, model: LoadedModel): number[] {
  if (spec === undefined) return defaultClassSelection(model);
  const classes = model.card.classes;
  const byName = new Map<string, number>();
  classes.forEach((c, id) => {
    const key = c.name.trim().toLowerCase();
    if (!byName.has(key)) byName.set(key, id);
  });
  const ids: number[] = [];
  const tokens = spec.split(',').map((t) => t.trim());
  for (const token of tokens) {
    const key = token.toLowerCase();
    if (key === 'all') return classes.map((_, id) => id);
    const role = roleIds(key, model);
    if (role !== undefined) ids.push(...role);
    else if (byName.has(key)) ids.push(byName.get(key) as number);
    else throw unknownClass(token === '' ? spec : token, classes);
  }
  return sortedUnique(ids);
}

function roleIds(name: string, model: LoadedModel): number[] | undefined {
  switch (name) {
    case 'road':
      return model.roadIds;
    case 'vehicle':
      return model.vehicleIds;
    case 'free-space':
      return model.freeSpaceIds;
    default:
      return undefined;
  }
}

function unknownClass(received: string, classes: readonly ClassInfo[]) {
  const shown = classes.slice(0, 8).map((c) => c.name);
  if (classes.length > shown.length) shown.push('...');
  const names = shown.length > 0 ? `class names from the model (${shown.join(', ')}) or ` : '';
  return invalidOption('--classes', `${names}${CLASS_ROLES.join(', ')}, all`, received);
}

function sortedUnique(ids: number[]): number[] {
  return [...new Set(ids)].sort((a, b) => a - b);
}
