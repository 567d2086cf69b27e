/**
 * A frame-folder run's memory does not grow with the number of frames: nothing per frame is kept
 * for the run (work list made as frames are taken, JSONL lines on disk, only per-sequence
 * aggregates). Peak RSS of the whole process (VmHWM, read by a preload as it exits) for 2,000 and
 * 20,000 tiny frames.
 */
import { existsSync, linkSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../helpers/cli.js';
import { tempDir } from '../../helpers/media.js';
import { summaryOf, thresholdModel, writeFrames } from './fixtures.js';

let tmp: { dir: string; cleanup: () => void };
beforeAll(() => (tmp = tempDir('segstream-memory-')));
afterAll(() => tmp.cleanup());

const linux = existsSync('/proc/self/status');

/** A folder of `n` frames: hard links of one tiny PNG (a file takes at most ~65,000 links). */
function folderOf(n: number): string {
  const dir = path.join(tmp.dir, `f${n}`);
  mkdirSync(dir);
  const src = path.join(tmp.dir, `src${n}`);
  writeFrames(
    src,
    1,
    () => 'f.png',
    () => [16, 8],
  );
  for (let i = 0; i < n; i++) linkSync(path.join(src, 'f.png'), path.join(dir, `${String(i).padStart(6, '0')}.png`));
  return dir;
}

/** Runs the CLI over `dir` and returns its peak resident memory in MiB. */
async function peakRssMiB(dir: string): Promise<number> {
  const out = path.join(tmp.dir, `out-${path.basename(dir)}`);
  const hwm = path.join(tmp.dir, `${path.basename(dir)}.hwm`);
  const preload = path.join(tmp.dir, 'hwm.cjs');
  writeFileSync(
    preload,
    `process.on('exit', () => require('node:fs').writeFileSync(process.env.HWM_FILE, require('node:fs').readFileSync('/proc/self/status', 'utf8')));\n`,
  );
  const r = await runCli(
    [
      dir,
      '--masks',
      path.join(out, 'm'),
      '--free-space-json',
      path.join(out, 'fs.jsonl'),
      '--json',
      '-m',
      thresholdModel,
    ],
    {
      timeoutMs: 300_000,
      env: { NODE_OPTIONS: `--require ${preload}`, HWM_FILE: hwm },
    },
  );
  expect(r.code, r.stderr).toBe(0);
  expect(summaryOf(r.stdout).frames).toBeGreaterThan(0);
  const kb = /VmHWM:\s+(\d+) kB/.exec(readFileSync(hwm, 'utf8'));
  return Number(kb![1]) / 1024;
}

describe.runIf(linux)('memory of a frame-folder run', () => {
  it('peak RSS for 20,000 frames stays near that of 2,000', { timeout: 600_000 }, async () => {
    const small = await peakRssMiB(folderOf(2_000));
    const large = await peakRssMiB(folderOf(20_000));
    console.log(
      `peak RSS: 2,000 frames ${small.toFixed(1)} MiB, 20,000 frames ${large.toFixed(1)} MiB (${(large / small).toFixed(2)}x)`,
    );
    expect(large / small).toBeLessThan(1.35);
  });
});
