/**
 * Overlay palettes: which colour each class is painted in. `roles` (the default) paints by role
 * with colours from Okabe and Ito's colour-blind-safe set: road blue, vehicles orange (far apart in
 * hue and lightness for every common colour-vision deficiency), other free space bluish green, and
 * every other class (`classes: "all"`) from the rest of the set. `camvid` keeps the model card's
 * class colours. A JSON file (see {@link parsePalette}) sets colours by role and/or class name.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { LoadedModel } from '../infer/types.js';
import { invalidOption, optionError } from '../errors.js';
import { buildClassLut, resolveClassSelection } from './palette.js';

/** An RGB colour, 0-255 per channel. */
export type Rgb = [number, number, number];

/** Built-in palette names. */
export const PALETTE_NAMES = ['roles', 'camvid'] as const;

/**
 * A palette: colours by role and by class name (case-insensitive). A class takes its name's
 * colour, else its role's (vehicle, then road, then free space), else `others` in class-id
 * order, else the model card's colour.
 */
export interface PaletteDefinition {
  roles?: { road?: Rgb; vehicle?: Rgb; 'free-space'?: Rgb };
  classes?: Record<string, Rgb>;
  others?: Rgb[];
}

/** The default palette (`roles`): Okabe-Ito blue for road, orange for vehicles, bluish green for other free space. */
export const ROLES_PALETTE: Readonly<PaletteDefinition> = Object.freeze<PaletteDefinition>({
  roles: { road: [0, 114, 178], vehicle: [230, 159, 0], 'free-space': [0, 158, 115] },
  others: [
    [86, 180, 233],
    [204, 121, 167],
    [240, 228, 66],
    [213, 94, 0],
    // No grey, white or black: a class painted so would read as "unpainted" on the overlay and as
    // the free-space mask in the preview's class view.
    [140, 86, 75],
    [148, 103, 189],
    [188, 189, 34],
    [23, 190, 207],
  ],
});

/** The `camvid` palette: the model card's own class colours. */
export const CAMVID_PALETTE: Readonly<PaletteDefinition> = Object.freeze({});

/**
 * Turns the `palette` option into a palette: `roles` (default), `camvid`, a path to a JSON file
 * in the format of {@link parsePalette}, or a definition given directly (checked as such).
 *
 * @throws {SegStreamError} `SEGSTREAM_ERR_INVALID_OPTION` naming option `palette`
 * @example
 * ```ts
 * resolvePalette('my-colours.json'); // { roles: { road: [40, 40, 200] } }
 * ```
 */
export function resolvePalette(option: string | PaletteDefinition | undefined): PaletteDefinition {
  if (option === undefined || option === 'roles' || option === ROLES_PALETTE) return ROLES_PALETTE;
  if (option === 'camvid' || option === CAMVID_PALETTE) return CAMVID_PALETTE;
  if (typeof option === 'object' && option !== null) return parsePalette(option, 'option `palette`');
  if (typeof option !== 'string' || option === '')
    throw invalidOption('palette', `${PALETTE_NAMES.join(', ')} or a JSON palette file`, option);
  let text: string;
  try {
    text = readFileSync(option, 'utf8');
  } catch (err) {
    throw optionError(
      'palette',
      `\`palette\` ${JSON.stringify(option)} is neither ${PALETTE_NAMES.join(' nor ')} nor a readable JSON file (${(err as Error).message})`,
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw optionError('palette', `\`palette\` file ${option} is not JSON: ${(err as Error).message}`);
  }
  return parsePalette(json, `\`palette\` file ${option}`);
}

/**
 * Option `palette` of work queued for other machines: checked now as a run would check it (see
 * {@link resolvePalette}); a palette file as an absolute path, a name or definition as given.
 *
 * @throws {SegStreamError} `SEGSTREAM_ERR_INVALID_OPTION` naming option `palette`
 */
export function queuedPalette(option: string | PaletteDefinition): string | PaletteDefinition {
  resolvePalette(option);
  return typeof option === 'string' && !(PALETTE_NAMES as readonly string[]).includes(option)
    ? path.resolve(option)
    : option;
}

/**
 * Checks a palette definition: an object with optional `roles` (`road`, `vehicle`, `free-space`),
 * `classes` (class name → colour) and `others` (list of colours); a colour is `[r, g, b]`
 * (integers 0-255) or `"#rrggbb"`.
 *
 * @example
 * ```json
 * { "roles": { "road": "#0072b2", "vehicle": [230, 159, 0] }, "classes": { "Pedestrian": "#cc79a7" } }
 * ```
 * @throws {SegStreamError} `SEGSTREAM_ERR_INVALID_OPTION` naming option `palette` and the bad entry
 */
export function parsePalette(json: unknown, where: string): PaletteDefinition {
  const bad = (what: string, value: unknown) =>
    optionError('palette', `${where}: expected ${what} but received ${JSON.stringify(value) ?? String(value)}`);
  if (!isRecord(json)) throw bad('an object with "roles", "classes" and/or "others"', json);
  const unknown = Object.keys(json).find((k) => !['roles', 'classes', 'others'].includes(k));
  if (unknown !== undefined) throw bad('only "roles", "classes" and "others" keys', unknown);
  const out: PaletteDefinition = {};
  if (json.roles !== undefined) {
    if (!isRecord(json.roles)) throw bad('"roles" as an object', json.roles);
    out.roles = {};
    for (const [role, value] of Object.entries(json.roles)) {
      if (role !== 'road' && role !== 'vehicle' && role !== 'free-space')
        throw bad('a role of road, vehicle, free-space', role);
      out.roles[role] = colourOf(value, `roles.${role}`, bad);
    }
  }
  if (json.classes !== undefined) {
    if (!isRecord(json.classes)) throw bad('"classes" as an object of class name → colour', json.classes);
    out.classes = Object.fromEntries(
      Object.entries(json.classes).map(([name, v]) => [name, colourOf(v, `classes.${name}`, bad)]),
    );
  }
  if (json.others !== undefined) {
    if (!Array.isArray(json.others)) throw bad('"others" as a list of colours', json.others);
    out.others = json.others.map((v, i) => colourOf(v, `others[${i}]`, bad));
  }
  return out;
}

function colourOf(value: unknown, at: string, bad: (what: string, v: unknown) => Error): Rgb {
  if (typeof value === 'string' && /^#[0-9a-f]{6}$/i.test(value)) {
    const n = parseInt(value.slice(1), 16);
    return [n >> 16, (n >> 8) & 255, n & 255];
  }
  if (Array.isArray(value) && value.length === 3 && value.every((v) => Number.isInteger(v) && v >= 0 && v <= 255))
    return (value as number[]).slice() as Rgb;
  throw bad(`a colour [r, g, b] (0-255) or "#rrggbb" at ${at}`, value);
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * The colour of every class of `model` under `palette` (index = class id); see
 * {@link PaletteDefinition} for the order of precedence.
 */
export function classColours(model: LoadedModel, palette: PaletteDefinition): Rgb[] {
  const byName = new Map(Object.entries(palette.classes ?? {}).map(([n, c]) => [n.trim().toLowerCase(), c]));
  const vehicle = new Set(model.vehicleIds);
  const road = new Set(model.roadIds);
  const free = new Set(model.freeSpaceIds);
  const others = palette.others ?? [];
  let next = 0;
  return model.card.classes.map((c, id) => {
    const named = byName.get(c.name.trim().toLowerCase());
    if (named) return named;
    const roles = palette.roles ?? {};
    const role =
      (vehicle.has(id) && roles.vehicle) || (road.has(id) && roles.road) || (free.has(id) && roles['free-space']);
    if (role) return role;
    if (others.length > 0) return others[next++ % others.length];
    return c.color;
  });
}

/**
 * The overlay's class LUT for a run: the classes `classes` selects (see `resolveClassSelection`),
 * in the colours of `palette` (default `roles`; any value {@link resolvePalette} takes).
 *
 * @example
 * ```ts
 * const lut = overlayLut(model, 'road,vehicle', 'roles');
 * ```
 */
export function overlayLut(
  model: LoadedModel,
  classes: string | undefined,
  palette?: string | PaletteDefinition,
): Uint8Array {
  const colours = classColours(model, resolvePalette(palette));
  return buildClassLut(
    model.card.classes.map((c, id) => ({ ...c, color: colours[id] })),
    resolveClassSelection(classes, model),
  );
}
