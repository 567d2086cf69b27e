/**
 * Whether a command line is a driving-log run: asked of every run's command line, so it loads only
 * the argument parser and the magic-byte check (the log run is loaded when the input is a log).
 */
import { extname } from 'node:path';
import { stat } from 'node:fs/promises';
import { detectLogFormat } from '../runs/logs/readers/detect.js';
import { RUN_FLAGS, parseCommandLine } from './args.js';

/** Flags only log inputs take. */
export const LOG_FLAGS = {
  'log-out': { type: 'string' },
  'log-overlay': { type: 'boolean' },
  'log-copy-all': { type: 'boolean' },
  topics: { type: 'string' },
} as const;

/** True when the command line's one input is a driving log (by its first bytes; `.mcap`/`.bag` names must be logs). */
export async function isLogInput(argv: string[]): Promise<boolean> {
  let positionals: string[];
  try {
    ({ positionals } = parseCommandLine(argv, { ...RUN_FLAGS, ...LOG_FLAGS, smooth: { type: 'string' } }));
  } catch {
    return false;
  }
  if (positionals.length !== 1) return false;
  const input = positionals[0];
  if (!(await stat(input).catch(() => undefined))?.isFile()) return false;
  const named = ['.mcap', '.bag'].includes(extname(input).toLowerCase());
  try {
    await detectLogFormat(input);
    return true;
  } catch (err) {
    if (named) throw err;
    return false;
  }
}
