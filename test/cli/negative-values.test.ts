/**
 * A negative number after a flag is that flag's value: it gets the flag's out-of-range answer
 * (exit code 2, one line), the same as a positive value out of range, never "Unknown option".
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { makeIndexedVideo, tempDir } from '../helpers/media.js';

/** Runs `args` and returns its one stderr line, checking exit code 2. */
async function usageLine(args: string[]): Promise<string> {
  const r = await runCli(args);
  const lines = r.stderr.trim().split('\n');
  expect(lines, r.stderr).toHaveLength(1);
  expect(r.code, r.stderr).toBe(2);
  return lines[0];
}

/** The answer to `flag negative` must be the answer to `flag outOfRange`, with the value swapped. */
async function expectRangeAnswer(
  prefix: string[],
  flag: string,
  negative: string,
  outOfRange: string,
  suffix: string[] = [],
): Promise<void> {
  const negativeLine = await usageLine([...prefix, flag, negative, ...suffix]);
  const rangeLine = await usageLine([...prefix, flag, outOfRange, ...suffix]);
  expect(negativeLine).not.toMatch(/Unknown option|reads as an option/);
  expect(negativeLine).toMatch(/^seg-stream: SEGSTREAM_ERR_(USAGE|INVALID_OPTION): Expected /);
  const shown = (v: string) => new RegExp(`"?${Number(v)}"?$`);
  expect(negativeLine).toMatch(shown(negative));
  expect(negativeLine.replace(shown(negative), '')).toBe(rangeLine.replace(shown(outOfRange), ''));
}

describe('negative numbers as flag values', () => {
  const tmp = tempDir();
  const input = path.join(tmp.dir, 'in.mp4');
  const frames = path.join(tmp.dir, 'frames');
  beforeAll(async () => {
    await makeIndexedVideo(input, { width: 64, height: 48, frames: 4, fps: '25' });
    mkdirSync(frames);
  });
  afterAll(() => tmp.cleanup());

  const video = () => [input, '-o', path.join(tmp.dir, 'out.mp4'), '-q'];
  const cases: [string, string, string][] = [
    ['--smooth', '-1', '2'],
    ['--smooth', '-0.25', '0.99'],
    ['--alpha', '-0.5', '1.5'],
    ['--alpha', '-.5', '1.5'],
    ['--crf', '-1', '52'],
    ['--frames', '-3', '0'],
    ['--duration', '-1', '0'],
    ['--segment-time', '-1', '0'],
    ['--threads', '-2', '0'],
    ['--workers', '-1', '0'],
    ['--batch', '-1', '0'],
    ['--timeout', '-1', '0'],
    ['--reconnect-delay', '-1', '0'],
  ];
  for (const [flag, negative, outOfRange] of cases) {
    it(
      `video run: ${flag} ${negative} is answered as ${flag} ${outOfRange}`,
      () => expectRangeAnswer(video(), flag, negative, outOfRange),
      60_000,
    );
  }

  it('video run: --reconnect-max -1 names the range, not an option', async () => {
    const line = await usageLine([...video(), '--reconnect-max', '-1']);
    expect(line).toMatch(
      /^seg-stream: SEGSTREAM_ERR_INVALID_OPTION: Expected an integer >= 0 for reconnectMax but received -1$/,
    );
  }, 60_000);

  it('frame folders and batch: --fps -1 and --frames -2', async () => {
    await expectRangeAnswer([frames, '--masks', path.join(tmp.dir, 'm')], '--fps', '-1', '0');
    await expectRangeAnswer(['batch', frames, '--masks', path.join(tmp.dir, 'm')], '--frames', '-2', '0');
  }, 60_000);

  it('eval: --smooth -1, --frames -1 and --fold -1', async () => {
    await expectRangeAnswer(['eval', frames], '--smooth', '-1', '2');
    await expectRangeAnswer(['eval', frames], '--frames', '-1', '0');
    await expectRangeAnswer(['eval', frames], '--fold', '-1', '5');
  }, 60_000);

  it('fleet: queue add --crf -1, --attempts -1; queue status --limit -1; worker --concurrency -1', async () => {
    const redis = ['--redis', 'redis://127.0.0.1:1'];
    await expectRangeAnswer(
      ['queue', 'add', input, ...redis, '-o', path.join(tmp.dir, '{stem}.mp4')],
      '--crf',
      '-1',
      '52',
    );
    for (const args of [
      ['queue', 'add', input, ...redis, '-o', path.join(tmp.dir, '{stem}.mp4'), '--attempts', '-1'],
      ['queue', 'status', ...redis, '--limit', '-1'],
      ['worker', ...redis, '--concurrency', '-1'],
    ]) {
      expect(await usageLine(args)).toMatch(
        /^seg-stream: SEGSTREAM_ERR_USAGE: Expected a whole number >= 0 for --[a-z]+ but received -1$/,
      );
    }
  }, 60_000);

  it('a dash value that is not a number still says how to pass it', async () => {
    const line = await usageLine([...video(), '--stats', '-x.jsonl']);
    expect(line).toMatch(/reads as an option; write --stats=-x\.jsonl/);
  }, 60_000);
});
