import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, readdirSync, readFileSync, writeFileSync, existsSync, copyFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { bins, makeIndexedVideo, repoRoot, tempDir, tinyModelDir } from '../helpers/media.js';

const thresholdModel = path.join(repoRoot, 'test', 'fixtures', 'threshold-model');

/** ffmpeg processes still running whose command line mentions `dir`. */
function strayProcesses(dir: string): string[] {
  const r = spawnSync('ps', ['-eo', 'pid=,args='], { encoding: 'utf8' });
  return r.stdout.split('\n').filter((l) => l.includes(dir) && /ffmpeg|ffprobe/.test(l));
}

describe('bad input: one coded line, exit code, no output, nothing left running', () => {
  const tmp = tempDir();
  const good = path.join(tmp.dir, 'good.mp4');
  const outDir = path.join(tmp.dir, 'out');

  beforeAll(async () => {
    mkdirSync(outDir);
    await makeIndexedVideo(good, { width: 160, height: 90, frames: 12, fps: '25', audio: false });
    const bytes = readFileSync(good);
    writeFileSync(path.join(tmp.dir, 'truncated.mp4'), bytes.subarray(0, Math.floor(bytes.length / 2)));
    writeFileSync(path.join(tmp.dir, 'notes.mp4'), 'this is not a video\n');
    spawnSync(bins.ffmpeg.path, [
      '-v',
      'error',
      '-y',
      '-f',
      'lavfi',
      '-i',
      'color=size=160x90:rate=25',
      '-frames:v',
      '0',
      '-c:v',
      'libx264',
      path.join(tmp.dir, 'zero.mp4'),
    ]);
    spawnSync(bins.ffmpeg.path, [
      '-v',
      'error',
      '-y',
      '-f',
      'lavfi',
      '-i',
      'testsrc=size=641x361:rate=25',
      '-frames:v',
      '4',
      '-c:v',
      'ffv1',
      '-pix_fmt',
      'bgr0',
      path.join(tmp.dir, 'odd.mkv'),
    ]);
    const broken = path.join(tmp.dir, 'broken-model');
    mkdirSync(broken);
    writeFileSync(path.join(broken, 'model.json'), '{ "name": "broken", ');
    const wrong = path.join(tmp.dir, 'wrong-shape-model');
    mkdirSync(wrong);
    const card = JSON.parse(readFileSync(path.join(thresholdModel, 'model.json'), 'utf8'));
    card.input.width = 100;
    writeFileSync(path.join(wrong, 'model.json'), JSON.stringify(card));
    copyFileSync(path.join(thresholdModel, 'model.onnx'), path.join(wrong, 'model.onnx'));
  });
  afterAll(() => tmp.cleanup());

  const cases: [string, () => string[], string, number][] = [
    ['missing file', () => [path.join(tmp.dir, 'nope.mp4')], 'SEGSTREAM_ERR_INPUT_NOT_FOUND', 1],
    ['a file that is not video', () => [path.join(tmp.dir, 'notes.mp4')], 'SEGSTREAM_ERR_INPUT_NOT_VIDEO', 1],
    ['a truncated mp4', () => [path.join(tmp.dir, 'truncated.mp4')], 'SEGSTREAM_ERR_INPUT_TRUNCATED', 1],
    ['a zero-frame video', () => [path.join(tmp.dir, 'zero.mp4')], 'SEGSTREAM_ERR_NO_FRAMES', 1],
    ['an odd-sized video for an H.264 overlay', () => [path.join(tmp.dir, 'odd.mkv')], 'SEGSTREAM_ERR_ODD_SIZE', 1],
    [
      'a missing model folder',
      () => [good, '--model', path.join(tmp.dir, 'no-model')],
      'SEGSTREAM_ERR_MODEL_NOT_FOUND',
      1,
    ],
    [
      'a malformed model card',
      () => [good, '--model', path.join(tmp.dir, 'broken-model')],
      'SEGSTREAM_ERR_MODEL_INVALID',
      1,
    ],
    [
      'a model whose network disagrees with its card',
      () => [good, '--model', path.join(tmp.dir, 'wrong-shape-model')],
      'SEGSTREAM_ERR_MODEL_INVALID',
      1,
    ],
    ['an unknown flag', () => [good, '--bogus'], 'SEGSTREAM_ERR_USAGE', 2],
    ['an unknown class name', () => [good, '--classes', 'road,unicorns'], 'SEGSTREAM_ERR_INVALID_OPTION', 2],
    [
      'CUDA where the engine has no CUDA build',
      () => [good, '--device', 'cuda'],
      'SEGSTREAM_ERR_DEVICE_UNAVAILABLE',
      1,
    ],
    ['a model without files for the engine', () => [good, '--engine', 'tfjs'], 'SEGSTREAM_ERR_ENGINE_UNAVAILABLE', 1],
    ['a bad number', () => [good, '--frames', 'ten'], 'SEGSTREAM_ERR_USAGE', 2],
    ['a smoothing strength out of range', () => [good, '--smooth', '1.5'], 'SEGSTREAM_ERR_USAGE', 2],
  ];

  for (const [name, args, code, exit] of cases) {
    it(name, async () => {
      const output = path.join(outDir, `${name.replace(/\W+/g, '-')}.mp4`);
      const argv = args();
      if (!argv.includes('--model')) argv.push('--model', thresholdModel);
      const r = await runCli([...argv, '-o', output], { timeoutMs: 30_000 });
      expect(r.code, r.stderr).toBe(exit);
      const lines = r.stderr.trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(new RegExp(`^seg-stream: ${code}: \\S`));
      expect(r.stderr).not.toMatch(/\n\s+at /);
      expect(r.stdout).toBe('');
      expect(existsSync(output)).toBe(false);
      expect(readdirSync(outDir)).toEqual([]);
      expect(strayProcesses(tmp.dir)).toEqual([]);
    });
  }

  it('an unwritable output path', async () => {
    const r = await runCli([good, '--model', thresholdModel, '-o', path.join(tmp.dir, 'missing-dir', 'o.mp4')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^seg-stream: SEGSTREAM_ERR_OUTPUT_UNWRITABLE: /);
    const ro = path.join(tmp.dir, 'readonly');
    mkdirSync(ro);
    chmodSync(ro, 0o500);
    const r2 = await runCli([good, '--model', thresholdModel, '--masks', path.join(ro, 'sub')]);
    // root ignores directory permissions; the missing-folder case above still holds.
    if (process.getuid?.() !== 0) expect(r2.code).toBe(1);
  });

  it('odd sizes are fine for masks, and --pad-even makes an even overlay', async () => {
    const masks = path.join(tmp.dir, 'odd-masks');
    const video = path.join(tmp.dir, 'odd-overlay.mp4');
    const r = await runCli([
      path.join(tmp.dir, 'odd.mkv'),
      '--model',
      thresholdModel,
      '--masks',
      masks,
      '-o',
      video,
      '--pad-even',
      '--json',
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(readdirSync(masks)).toHaveLength(4);
    expect(JSON.parse(r.stdout).frames).toBe(4);
  });

  it('--debug adds the stack trace', async () => {
    const r = await runCli([path.join(tmp.dir, 'nope.mp4'), '-o', path.join(outDir, 'x.mp4'), '--debug']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/\n\s+at /);
  });
});

describe('CLI basics', () => {
  it('--help and --version', async () => {
    const help = await runCli(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/Usage:/);
    const version = await runCli(['--version']);
    expect(version.code).toBe(0);
    expect(version.stdout).toMatch(/^seg-stream \d+\.\d+\.\d+/);
    expect(version.stdout).toMatch(/ffmpeg: \S+ \(/);
    expect(version.stdout).toMatch(/engine onnx: .*onnxruntime/);
    expect(version.stdout).toMatch(/engine tfjs: /);
  });

  it('--json prints exactly one JSON object on stdout', async () => {
    const tmp = tempDir();
    try {
      const input = path.join(tmp.dir, 'in.mp4');
      await makeIndexedVideo(input, { width: 160, height: 90, frames: 6, fps: '25', audio: false });
      const r = await runCli([input, '-o', path.join(tmp.dir, 'o.mp4'), '--model', tinyModelDir, '--json']);
      expect(r.code, r.stderr).toBe(0);
      const summary = JSON.parse(r.stdout);
      expect(r.stdout.trim().split('\n')).toHaveLength(1);
      expect(summary).toMatchObject({ frames: 6, engine: 'onnx', droppedFrames: 0 });
      for (const stage of ['decode', 'preprocess', 'infer', 'render', 'encode'])
        expect(typeof summary.stageMs[stage]).toBe('number');
      expect(summary.peakRssMB).toBeGreaterThan(0);
      expect(summary.fps).toBeGreaterThan(0);
      expect(summary.wallSeconds).toBeGreaterThan(0);
      expect(summary.backend).toMatch(/onnxruntime/);
    } finally {
      tmp.cleanup();
    }
  });
});
