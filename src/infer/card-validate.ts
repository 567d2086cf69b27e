/**
 * Validation of a parsed model card (`model.json`): every field checked, defaults filled in,
 * each failure reported as `MODEL_INVALID` with the card's path and the offending field.
 */
import { ErrorCodes, SegStreamError } from '../errors.js';
import type { ClassInfo, EngineFileSpec, HeadInfo, InputSpec, ModelCard } from './types.js';

/** Defaults for optional `input` fields of a card, declared once. */
export const INPUT_DEFAULTS: Readonly<Pick<InputSpec, 'channelOrder' | 'scale' | 'mean' | 'std' | 'resize'>> =
  Object.freeze({
    channelOrder: 'RGB' as const,
    scale: 1 / 255,
    mean: [0, 0, 0] as [number, number, number],
    std: [1, 1, 1] as [number, number, number],
    resize: 'stretch' as const,
  });

/** Default tensor layout per engine when the card does not say. */
export const LAYOUT_DEFAULTS: Readonly<Record<'onnx' | 'tfjs', 'NCHW' | 'NHWC'>> = Object.freeze({
  onnx: 'NCHW',
  tfjs: 'NHWC',
});

/** Role names a card may use, in `roles`. */
export const ROLE_NAMES = ['freeSpace', 'road', 'vehicle'] as const;

/** Class ids are stored in a Uint8Array, so at most 256 classes. */
const MAX_CLASSES = 256;

type Json = unknown;

/** Checks one card, throwing a precise MODEL_INVALID error; `cardPath` only feeds messages. */
export function validateCard(raw: Json, cardPath: string): ModelCard {
  const fail = (field: string, expected: string, received: unknown): never => {
    throw new SegStreamError(
      ErrorCodes.MODEL_INVALID,
      `Invalid model card ${cardPath}: expected ${expected} for ${field} but received ${show(received)}. Fix the card and try again.`,
      { context: { stage: 'model' } },
    );
  };

  if (!isObject(raw)) return fail('the card', 'a JSON object', raw);
  const name = str(raw.name, 'name', fail);
  const description = optStr(raw.description, 'description', fail);
  const version = optStr(raw.version, 'version', fail);
  const licence = optStr(raw.licence, 'licence', fail);
  const classes = readClasses(raw.classes, fail);
  const input = readInput(raw.input, fail);
  const engines = readEngines(raw.engines, fail);
  const heads = readHeads(raw.heads, classes.length, fail);
  const roles = readRoles(raw.roles, classes, fail);
  for (const key of ['training', 'metrics'] as const) {
    if (raw[key] !== undefined && !isObject(raw[key])) fail(key, 'an object', raw[key]);
  }
  const offset = raw.outputOffset;
  if (offset !== undefined && !(typeof offset === 'number' && offset >= -0.5 && offset <= 0.5))
    fail('outputOffset', 'a number from -0.5 to 0.5', offset);

  const card: ModelCard = { name, input, engines, heads, classes, roles };
  if (description !== undefined) card.description = description;
  if (version !== undefined) card.version = version;
  if (licence !== undefined) card.licence = licence;
  if (typeof offset === 'number' && offset !== 0) card.outputOffset = offset;
  if (isObject(raw.training)) card.training = raw.training;
  if (isObject(raw.metrics)) card.metrics = raw.metrics;
  return card;
}

type Fail = (field: string, expected: string, received: unknown) => never;

function readClasses(raw: Json, fail: Fail): ClassInfo[] {
  if (!Array.isArray(raw) || raw.length === 0 || raw.length > MAX_CLASSES) {
    return fail('classes', `an array of 1 to ${MAX_CLASSES} classes`, raw);
  }
  const seen = new Set<string>();
  return raw.map((c: Json, i): ClassInfo => {
    if (!isObject(c)) return fail(`classes[${i}]`, 'an object {name, color}', c);
    const name = str(c.name, `classes[${i}].name`, fail);
    if (seen.has(name)) fail(`classes[${i}].name`, 'a class name not used by an earlier class', name);
    seen.add(name);
    const color = c.color;
    if (!Array.isArray(color) || color.length !== 3 || !color.every((v) => Number.isInteger(v) && v >= 0 && v <= 255)) {
      return fail(`classes[${i}].color`, 'an [r, g, b] array of integers 0-255', color);
    }
    const [r, g, b] = color as number[];
    return { name, color: [r, g, b] };
  });
}

function readInput(raw: Json, fail: Fail): InputSpec {
  if (!isObject(raw)) return fail('input', 'an object {width, height, ...}', raw);
  const dim = (key: 'width' | 'height'): number => {
    const v = raw[key];
    if (!Number.isInteger(v) || (v as number) < 1 || (v as number) > 16384) {
      return fail(`input.${key}`, 'an integer from 1 to 16384', v);
    }
    return v as number;
  };
  const width = dim('width');
  const height = dim('height');
  const channelOrder = raw.channelOrder ?? INPUT_DEFAULTS.channelOrder;
  if (channelOrder !== 'RGB' && channelOrder !== 'BGR') fail('input.channelOrder', '"RGB" or "BGR"', channelOrder);
  const scale = raw.scale ?? INPUT_DEFAULTS.scale;
  if (typeof scale !== 'number' || !Number.isFinite(scale) || scale <= 0)
    fail('input.scale', 'a positive number', scale);
  const triple = (key: 'mean' | 'std', positive: boolean): [number, number, number] => {
    const v = raw[key] ?? INPUT_DEFAULTS[key];
    const ok =
      Array.isArray(v) &&
      v.length === 3 &&
      v.every((x) => typeof x === 'number' && Number.isFinite(x) && (!positive || x > 0));
    if (!ok) return fail(`input.${key}`, `an array of 3 ${positive ? 'positive ' : ''}numbers`, v);
    const [a, b, c] = v as number[];
    return [a, b, c];
  };
  const mean = triple('mean', false);
  const std = triple('std', true);
  const resize = raw.resize ?? INPUT_DEFAULTS.resize;
  if (resize !== 'stretch' && resize !== 'aspect') fail('input.resize', '"stretch" or "aspect"', resize);
  const spec: InputSpec = {
    width,
    height,
    channelOrder: channelOrder,
    scale: scale,
    mean,
    std,
    resize: resize,
  };
  if (resize === 'aspect') {
    // The nominal size must itself be a valid run size: a source of its aspect runs at exactly it.
    const multiple = raw.multiple ?? 1;
    if (!Number.isInteger(multiple) || (multiple as number) < 1 || (multiple as number) > 1024)
      fail('input.multiple', 'an integer from 1 to 1024', multiple);
    for (const key of ['width', 'height'] as const) {
      if (spec[key] % (multiple as number) !== 0)
        fail(`input.${key}`, `a multiple of input.multiple (${multiple as number})`, spec[key]);
    }
    spec.multiple = multiple as number;
  } else if (raw.multiple !== undefined) {
    fail('input.multiple', 'nothing unless input.resize is "aspect"', raw.multiple);
  }
  return spec;
}

function readEngines(raw: Json, fail: Fail): ModelCard['engines'] {
  if (!isObject(raw)) return fail('engines', 'an object with an "onnx" and/or "tfjs" entry', raw);
  const engines: ModelCard['engines'] = {};
  for (const key of Object.keys(raw)) {
    if (key !== 'onnx' && key !== 'tfjs') fail(`engines.${key}`, 'no engine other than "onnx" or "tfjs"', key);
  }
  for (const key of ['onnx', 'tfjs'] as const) {
    const spec = raw[key];
    if (spec === undefined) continue;
    if (!isObject(spec)) fail(`engines.${key}`, 'an object {file, layout}', spec);
    const s = spec;
    const file = str(s.file, `engines.${key}.file`, fail);
    const layout = s.layout ?? LAYOUT_DEFAULTS[key];
    if (layout !== 'NCHW' && layout !== 'NHWC') fail(`engines.${key}.layout`, '"NCHW" or "NHWC"', layout);
    const out: EngineFileSpec = { file, layout: layout };
    const inputName = optStr(s.inputName, `engines.${key}.inputName`, fail);
    if (inputName !== undefined) out.inputName = inputName;
    if (s.format !== undefined) {
      if (s.format !== 'layers' && s.format !== 'graph') fail(`engines.${key}.format`, '"layers" or "graph"', s.format);
      out.format = s.format;
    }
    engines[key] = out;
  }
  if (!engines.onnx && !engines.tfjs) fail('engines', 'at least one of "onnx" or "tfjs"', raw);
  return engines;
}

function readHeads(raw: Json, classCount: number, fail: Fail): HeadInfo[] {
  if (!Array.isArray(raw) || raw.length === 0) return fail('heads', 'a non-empty array of {output, classes}', raw);
  const outputs = new Set<string>();
  return raw.map((h: Json, i): HeadInfo => {
    if (!isObject(h)) return fail(`heads[${i}]`, 'an object {output, classes}', h);
    const output = str(h.output, `heads[${i}].output`, fail);
    if (outputs.has(output)) fail(`heads[${i}].output`, 'an output not used by an earlier head', output);
    outputs.add(output);
    if (!Array.isArray(h.classes) || h.classes.length < 1 || h.classes.length > MAX_CLASSES) {
      return fail(`heads[${i}].classes`, 'a non-empty array of class ids (one per output channel)', h.classes);
    }
    const classes = h.classes.map((c: Json, j: number) => {
      if (c === null) return null;
      if (!Number.isInteger(c) || (c as number) < 0 || (c as number) >= classCount) {
        return fail(
          `heads[${i}].classes[${j}]`,
          `a class id from 0 to ${classCount - 1} (an index into classes) or null`,
          c,
        );
      }
      return c as number;
    });
    if (classes.every((c) => c === null))
      fail(`heads[${i}].classes`, 'at least one channel mapped to a class id', h.classes);
    return { output, classes };
  });
}

function readRoles(raw: Json, classes: ClassInfo[], fail: Fail): ModelCard['roles'] {
  const roles: ModelCard['roles'] = { freeSpace: [], road: [], vehicle: [] };
  if (raw === undefined) return roles;
  if (!isObject(raw)) return fail('roles', 'an object {freeSpace, road, vehicle} of class-name arrays', raw);
  for (const key of Object.keys(raw)) {
    if (!(ROLE_NAMES as readonly string[]).includes(key))
      fail(`roles.${key}`, `only the roles ${ROLE_NAMES.join(', ')}`, key);
  }
  const names = new Set(classes.map((c) => c.name));
  for (const role of ROLE_NAMES) {
    const list = raw[role];
    if (list === undefined) continue;
    if (!Array.isArray(list)) fail(`roles.${role}`, 'an array of class names', list);
    (list as Json[]).forEach((n, i) => {
      if (typeof n !== 'string' || !names.has(n)) {
        fail(`roles.${role}[${i}]`, `a class name from classes (${[...names].join(', ')})`, n);
      }
    });
    roles[role] = [...(list as string[])];
  }
  return roles;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function str(v: unknown, field: string, fail: Fail): string {
  if (typeof v !== 'string' || v.trim() === '') return fail(field, 'a non-empty string', v);
  return v;
}

function optStr(v: unknown, field: string, fail: Fail): string | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'string') return fail(field, 'a string', v);
  return v;
}

function show(v: unknown): string {
  if (v === undefined) return 'nothing (the field is missing)';
  try {
    const s = JSON.stringify(v);
    return s.length > 80 ? `${s.slice(0, 77)}...` : s;
  } catch {
    return typeof v;
  }
}
