/**
 * Command-line parsing: node's own `parseArgs`, with numbers and enums checked here so every
 * mistake is one `SEGSTREAM_ERR_USAGE` line and exit code 2.
 */
import { parseArgs } from 'node:util';
import { DEVICE_NAMES, ENGINE_NAMES } from '../defaults.js';
import { ErrorCodes, SegStreamError } from '../errors.js';

/** Flags of a run: video files, live streams and frame folders (`seg-stream <input>`, `seg-stream batch`). */
export const RUN_FLAGS = {
  output: { type: 'string', short: 'o' },
  masks: { type: 'string' },
  'free-space': { type: 'string' },
  frames: { type: 'string' },
  duration: { type: 'string' },
  'segment-time': { type: 'string' },
  stats: { type: 'string' },
  'rtsp-transport': { type: 'string' },
  timeout: { type: 'string' },
  'reconnect-max': { type: 'string' },
  'reconnect-delay': { type: 'string' },
  'no-drop': { type: 'boolean' },
  live: { type: 'boolean' },
  'no-live': { type: 'boolean' },
  model: { type: 'string', short: 'm' },
  engine: { type: 'string' },
  device: { type: 'string' },
  batch: { type: 'string' },
  workers: { type: 'string' },
  threads: { type: 'string' },
  alpha: { type: 'string' },
  classes: { type: 'string' },
  palette: { type: 'string' },
  'ego-mask': { type: 'string' },
  legend: { type: 'boolean' },
  'no-audio': { type: 'boolean' },
  crf: { type: 'string' },
  preset: { type: 'string' },
  'pad-even': { type: 'boolean' },
  'kitti-road': { type: 'string' },
  'free-space-json': { type: 'string' },
  fps: { type: 'string' },
  overwrite: { type: 'boolean' },
  manifest: { type: 'string' },
  'no-score': { type: 'boolean' },
  preview: { type: 'string' },
  'preview-token': { type: 'string' },
  json: { type: 'boolean' },
  quiet: { type: 'boolean', short: 'q' },
  debug: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'v' },
} as const;

/** The named flags of {@link RUN_FLAGS}, for commands that take a subset of them. */
export function pickFlags<K extends keyof typeof RUN_FLAGS>(...names: K[]): Pick<typeof RUN_FLAGS, K> {
  return Object.fromEntries(names.map((n) => [n, RUN_FLAGS[n]])) as Pick<typeof RUN_FLAGS, K>;
}

/** Parsed command line. */
export interface ParsedArgs {
  positionals: string[];
  values: Record<string, string | boolean | undefined>;
}

type FlagSpecs = Record<string, { type: 'string' | 'boolean'; short?: string }>;

/** Parses `argv` against `flags`; unknown flags and missing values are usage errors. */
export function parseCommandLine(argv: string[], flags: FlagSpecs): ParsedArgs {
  try {
    const { values, positionals } = parseArgs({
      args: joinNegativeValues(argv, flags),
      options: flags,
      allowPositionals: true,
      strict: true,
    });
    return { values: values, positionals };
  } catch (err) {
    throw new SegStreamError(ErrorCodes.USAGE, oneLineParseError((err as Error).message, argv), { cause: err });
  }
}

/** A negative number as a flag's value (`--smooth -1`, `--alpha -.5`). */
const NEGATIVE_NUMBER = /^-(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

/**
 * node's parseArgs reads a value that starts with a dash as an option (`--crf -1` is "ambiguous",
 * `--smooth -1` "Unknown option '-1'"). A negative number after a flag that takes a value is that
 * flag's value: it is joined to it (`--crf=-1`), so the flag's own range check answers.
 */
function joinNegativeValues(argv: readonly string[], flags: FlagSpecs): string[] {
  const takesValue = (arg: string): string | undefined => {
    const long = /^--([^=]+)$/.exec(arg)?.[1];
    if (long !== undefined) return flags[long]?.type === 'string' ? long : undefined;
    const short = /^-([^-])$/.exec(arg)?.[1];
    return short === undefined
      ? undefined
      : Object.keys(flags).find((n) => flags[n].short === short && flags[n].type === 'string');
  };
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--') return [...out, ...argv.slice(i)];
    const name = takesValue(arg);
    const next = argv[i + 1];
    if (name !== undefined && next !== undefined && NEGATIVE_NUMBER.test(next)) {
      out.push(`--${name}=${next}`);
      i++;
    } else {
      out.push(arg);
    }
  }
  return out;
}

/**
 * An integer flag, or undefined when absent. Negative integers pass to the option's own range
 * check (`--crf -1` is answered as `--crf 52` is); give `min` for an option that has none.
 */
export function intFlag(values: ParsedArgs['values'], name: string, min?: number): number | undefined {
  const raw = values[name];
  if (raw === undefined) return undefined;
  if (typeof raw !== 'string' || !/^-?\d+$/.test(raw)) {
    throw new SegStreamError(
      ErrorCodes.USAGE,
      `Expected a whole number for --${name} but received ${JSON.stringify(raw)}`,
    );
  }
  const value = Number(raw);
  if (min !== undefined && value < min)
    throw new SegStreamError(ErrorCodes.USAGE, `Expected a whole number >= ${min} for --${name} but received ${value}`);
  return value;
}

/** A number flag, or undefined when absent. */
export function numberFlag(values: ParsedArgs['values'], name: string): number | undefined {
  const raw = values[name];
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (typeof raw !== 'string' || raw.trim() === '' || !Number.isFinite(value)) {
    throw new SegStreamError(ErrorCodes.USAGE, `Expected a number for --${name} but received ${JSON.stringify(raw)}`);
  }
  return value;
}

/** A string flag restricted to `choices`, or undefined when absent. */
export function choiceFlag<T extends string>(
  values: ParsedArgs['values'],
  name: string,
  choices: readonly T[],
): T | undefined {
  const raw = values[name];
  if (raw === undefined) return undefined;
  if (typeof raw !== 'string' || !choices.includes(raw as T)) {
    throw new SegStreamError(
      ErrorCodes.USAGE,
      `Expected ${choices.join(' or ')} for --${name} but received ${JSON.stringify(raw)}`,
    );
  }
  return raw as T;
}

/** A string flag, or undefined. */
export function stringFlag(values: ParsedArgs['values'], name: string): string | undefined {
  const raw = values[name];
  return typeof raw === 'string' ? raw : undefined;
}

/** The model, engine and overlay flags every run command shares, parsed once. */
export function commonRunFlags(values: ParsedArgs['values']) {
  return {
    model: stringFlag(values, 'model'),
    engine: choiceFlag(values, 'engine', ENGINE_NAMES),
    device: choiceFlag(values, 'device', DEVICE_NAMES),
    batch: intFlag(values, 'batch'),
    workers: intFlag(values, 'workers'),
    threads: intFlag(values, 'threads'),
    alpha: numberFlag(values, 'alpha'),
    classes: stringFlag(values, 'classes'),
    palette: stringFlag(values, 'palette'),
    crf: intFlag(values, 'crf'),
    preset: stringFlag(values, 'preset'),
  };
}

/**
 * node's parseArgs messages span several lines; every usage error is one line. A value that
 * starts with a dash (`--frames -1`) reads as an option to parseArgs: say so, with the fix.
 */
function oneLineParseError(message: string, argv: string[]): string {
  const ambiguous = /Option '(-[^']+)' argument is ambiguous/.exec(message);
  if (ambiguous) {
    const flag = ambiguous[1].split(/,\s*/).pop()!;
    const at = argv.findIndex((a) => a === flag || ambiguous[1].includes(a));
    const value = at >= 0 ? argv[at + 1] : undefined;
    return `Expected a value for ${flag} but received ${JSON.stringify(value ?? '')}, which reads as an option; write ${flag}=${value ?? 'VALUE'} to pass it (see seg-stream --help)`;
  }
  return `${message.replace(/\.?\s*To specify.*$/s, '').replace(/\s*\n\s*/g, ' ')}; see seg-stream --help`;
}
