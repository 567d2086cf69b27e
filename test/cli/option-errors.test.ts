/**
 * Library errors name options, the command line names flags: the library throws
 * `INVALID_OPTION` with `context.option` and never `USAGE` (which is the CLI's own); the CLI
 * prints the flag the user typed in its one line, and exits 2.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCodes, SegStreamError, optionError } from '../../src/errors.js';
import { withFlags } from '../../src/cli/option-flags.js';
import { segmentVideo } from '../../src/runs/video/segment-video.js';
import { runCli } from '../helpers/cli.js';
import { makeIndexedVideo, repoRoot, tempDir, tinyModelDir } from '../helpers/media.js';

function tsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = path.join(dir, name);
    return statSync(p).isDirectory() ? tsFiles(p) : p.endsWith('.ts') ? [p] : [];
  });
}

describe('library errors name options, the CLI names flags', () => {
  const tmp = tempDir();
  const input = path.join(tmp.dir, 'in.mp4');
  beforeAll(() => makeIndexedVideo(input, { width: 64, height: 48, frames: 4, fps: '25' }));
  afterAll(() => tmp.cleanup());

  it('no ErrorCodes.USAGE outside src/cli/ (src/errors.ts defines it)', () => {
    const src = path.join(repoRoot, 'src');
    const users = tsFiles(src)
      .filter((f) => !f.startsWith(path.join(src, 'cli') + path.sep) && f !== path.join(src, 'errors.ts'))
      .filter((f) => readFileSync(f, 'utf8').includes('ErrorCodes.USAGE'))
      .map((f) => path.relative(src, f));
    expect(users).toEqual([]);
  });

  it('segmentVideo({ input, output: input }) throws INVALID_OPTION naming option `output`', async () => {
    const err = await segmentVideo({ input, output: input, model: tinyModelDir }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SegStreamError);
    expect(err).toMatchObject({ code: ErrorCodes.INVALID_OPTION, context: { option: 'output' } });
    expect((err as Error).message).toMatch(/^`output` .* is the input itself/);
    expect((err as Error).message).not.toMatch(/(^|\s)-o\s/);
  });

  it('the CLI prints the flag the user typed, in one line, and exits 2', async () => {
    const r = await runCli([input, '-m', tinyModelDir, '-q', '-o', input], { timeoutMs: 60_000 });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^seg-stream: SEGSTREAM_ERR_INVALID_OPTION: -o .* is the input itself/);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('withFlags maps known option names in backticks and keeps code, context and the rest', () => {
    const e = withFlags(
      optionError('chunkSeconds', '`chunkSeconds` cannot be combined with `smooth`, `frames`; `range` has no flag'),
    );
    expect(e.message).toBe('--chunk cannot be combined with --smooth, --frames; `range` has no flag');
    expect(e).toMatchObject({ code: ErrorCodes.INVALID_OPTION, context: { option: 'chunkSeconds' } });
  });
});
