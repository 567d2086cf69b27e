/**
 * `--smooth [STRENGTH]`: a flag whose value is optional. node's `parseArgs` has no such flags, so a
 * bare `--smooth` is rewritten to `--smooth=<default>` before parsing.
 */
import { ErrorCodes, SegStreamError } from '../errors.js';
import { DEFAULTS } from '../defaults.js';
import type { ParsedArgs } from './args.js';

/** The flag's parseArgs entry. */
export const SMOOTH_FLAG = { smooth: { type: 'string' } } as const;

/** Help line of the flag. */
export const SMOOTH_HELP = `  --smooth [S]           temporal smoothing of the labels, strength 0..0.95 (default ${DEFAULTS.smoothStrength}); causal, reset where the picture changed`;

/** Gives a bare `--smooth` (not followed by a number, negative ones included: they get the range message) the default strength. */
export function expandSmooth(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') return [...out, ...argv.slice(i)];
    const next = argv[i + 1];
    if (a === '--smooth' && (next === undefined || !/^-?(\d+(\.\d*)?|\.\d+)$/.test(next)))
      out.push(`--smooth=${DEFAULTS.smoothStrength}`);
    else out.push(a);
  }
  return out;
}

/** The strength given with `--smooth`, or undefined. */
export function smoothFlag(values: ParsedArgs['values']): number | undefined {
  const raw = values.smooth;
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (typeof raw !== 'string' || raw.trim() === '' || !(value >= 0 && value <= 0.95)) {
    throw new SegStreamError(
      ErrorCodes.USAGE,
      `Expected a number from 0 to 0.95 for --smooth but received ${JSON.stringify(raw)}`,
    );
  }
  return value;
}
