import { describe, expect, it } from 'vitest';
import { CAMVID_CLASSES } from '../../../src/datasets/label-maps.js';
import { runCli } from '../../helpers/cli.js';
import { tinyModelDir } from '../../helpers/media.js';
import { camvidDir, haveCamvid } from './fixtures.js';

describe.runIf(haveCamvid())('seg-stream eval on the shared CamVid val split', () => {
  it('gives a sane mIoU over the 11 CamVid classes for the tiny fixture model (ONNX)', async () => {
    const r = await runCli(['eval', camvidDir, '--split', 'val', '--frames', '10', '--model', tinyModelDir, '--json'], {
      timeoutMs: 120_000,
    });
    expect(r.code, r.stderr).toBe(0);
    const result = JSON.parse(r.stdout);
    expect(result).toMatchObject({
      frames: 10,
      engine: 'onnx',
      format: 'camvid',
      labelSpace: 'camvid-11',
      split: 'val',
    });
    expect(Object.keys(result.perClass)).toEqual([...CAMVID_CLASSES]);
    expect(result.miou).toBeGreaterThan(20);
    expect(result.miou).toBeLessThanOrEqual(100);
    expect(result.pixelAccuracy).toBeGreaterThan(50);
    expect(result.pixels).toBeGreaterThan(10 * 480 * 360 * 0.8);
  });
});
