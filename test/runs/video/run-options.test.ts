import { describe, expect, it } from 'vitest';
import { resolveFolderOptions } from '../../../src/runs/folders/options.js';
import { resolveVideoOptions } from '../../../src/runs/video/options.js';
import { DEFAULT_RUN_OPTIONS } from '../../../src/runs/options.js';

const video = (extra: object) => () => resolveVideoOptions({ input: 'a.mp4', output: 'o.mp4', ...extra });
const folder = (extra: object) => () => resolveFolderOptions({ input: 'frames/', masks: 'm/', ...extra });

describe('options shared by video and frame-folder runs', () => {
  const bad: [string, object][] = [
    ['engine', { engine: 'trt' }],
    ['engine', { engine: { name: 'not an engine' } }],
    ['device', { device: 'tpu' }],
    ['batch', { batch: 0 }],
    ['workers', { workers: 1.5 }],
    ['threads', { threads: -1 }],
    ['frames', { frames: 0 }],
    ['alpha', { alpha: 2 }],
    ['crf', { crf: 52 }],
    ['preset', { preset: 'warp' }],
    ['classes', { classes: ' ' }],
    ['maxInFlight', { maxInFlight: 5000 }],
  ];
  for (const [field, value] of bad) {
    it(`both modes reject a bad ${field} (${JSON.stringify(value)}) with one coded error naming it`, () => {
      for (const resolve of [video(value), folder(value)]) {
        expect(resolve).toThrow(
          expect.objectContaining({
            code: 'SEGSTREAM_ERR_INVALID_OPTION',
            message: expect.stringContaining(` for ${field} `),
          }),
        );
      }
    });
  }

  it('applies the shared defaults and each mode its own parallelism and in-flight bound', () => {
    const v = video({})();
    const f = folder({})();
    for (const [k, d] of Object.entries(DEFAULT_RUN_OPTIONS)) {
      expect(v[k as keyof typeof v]).toBe(d);
      expect(f[k as keyof typeof f]).toBe(d);
    }
    expect(v.threads).toBe(Math.max(1, f.threads - 1));
    expect(v.maxInFlight).toBe(4 + 2 * v.workers + 2 * v.batch);
    expect(resolveVideoOptions({ input: 'rtsp://cam/s', output: 'o.mp4', batch: 2 }, true).maxInFlight).toBe(3);
    expect(f.maxInFlight).toBe(4 + 2 * f.workers + 2 * f.batch);
  });

  it('keeps explicit values and ignores undefined ones', () => {
    const v = video({ crf: 18, preset: 'slow', threads: undefined })();
    expect([v.crf, v.preset, v.threads]).toEqual([
      18,
      'slow',
      resolveVideoOptions({ input: 'a', output: 'o' }).threads,
    ]);
  });
});
