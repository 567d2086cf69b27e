import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWorkerPool } from '../../src/workers/pool.js';
import { compiledModulePath } from '../../src/workers/module-path.js';
import { WORKER_ENTRY, createFramePool, type FramePool } from '../../src/runs/frame-pool.js';
import { preprocess, render } from '../../src/runs/worker-entry.js';
import { preprocessFrame, renderFrame } from '../../src/runs/video/frame-tasks.js';
import { transferableSymbol, valueSymbol } from 'piscina';
import { resizeI420ToTensor, resizeToTensor } from '../../src/pixels/tensor.js';
import { lumaOfInput } from '../../src/temporal/luma.js';
import { blendOverlay, blendOverlayI420 } from '../../src/render/overlay.js';
import { frameByteLength } from '../../src/pixels/yuv.js';
import { buildClassLut } from '../../src/render/palette.js';
import { encodePng } from '../../src/codecs/png-encode.js';
import { freeSpaceMask, upscaleClassMap } from '../../src/pixels/class-map.js';
import { isSegStreamError } from '../../src/errors.js';
import type { ClassInfo, InputSpec } from '../../src/infer/types.js';
import type { RenderTask } from '../../src/runs/video/frame-tasks.js';
import type { PixelFormat } from '../../src/types.js';
import { firstDifference, noise } from '../helpers/bytes.js';

// Worker threads load the compiled dist/runs/worker-entry.js (see compiledModulePath); `npm test` builds first.

const W = 320,
  H = 180,
  MW = 64,
  MH = 32;
const spec: InputSpec = {
  width: 128,
  height: 64,
  channelOrder: 'BGR',
  scale: 1 / 255,
  mean: [0.485, 0.456, 0.406],
  std: [0.229, 0.224, 0.225],
  resize: 'stretch',
};
const classes: ClassInfo[] = [
  { name: 'Sky', color: [128, 128, 128] },
  { name: 'Road', color: [128, 64, 128] },
  { name: 'Car', color: [64, 0, 128] },
];
const lut = buildClassLut(classes, [1, 2]);

const classMap = noise(MW * MH, 11, 3).map((v) => v % 3);

function expectSameBuffers(actual: unknown, expected: ArrayBufferLike[]): void {
  expect(Array.isArray(actual)).toBe(true);
  const list = actual as unknown[];
  expect(list.length).toBe(expected.length);
  expected.forEach((b, i) => expect(list[i]).toBe(b));
}

function renderTask(pixels: Uint8Array, format: PixelFormat = 'rgb24'): RenderTask {
  return {
    pixels,
    format,
    width: W,
    height: H,
    classMap,
    mapWidth: MW,
    mapHeight: MH,
    lut,
    alpha: 0.5,
    masks: true,
    freeSpaceIds: [1],
  };
}

describe('worker pool', () => {
  let pool: FramePool;
  beforeAll(() => {
    pool = createFramePool({ threads: 2 });
  });
  afterAll(() => pool.destroy());

  it('loads the compiled worker module, not the TypeScript source', () => {
    expect(compiledModulePath(WORKER_ENTRY)).toMatch(/[/\\]dist[/\\]runs[/\\]worker-entry\.js$/);
    expect(compiledModulePath(WORKER_ENTRY, 'file:///app/node_modules/seg-stream/dist/workers/module-path.js')).toBe(
      '/app/node_modules/seg-stream/dist/runs/worker-entry.js',
    );
    expect(pool.threads).toBe(2);
  });

  it('preprocess gives the main-thread bytes and moves the frame both ways', async () => {
    const original = noise(W * H * 3, 1);
    const sent = original.slice();
    const result = await pool.preprocess({ pixels: sent, format: 'rgb24', width: W, height: H, spec, layout: 'NCHW' });
    expect(sent.byteLength).toBe(0); // detached: moved to the worker, not copied
    expect(firstDifference(result.pixels, original)).toBe(-1);
    const expected = resizeToTensor(original, W, H, spec, 'NCHW');
    expect(firstDifference(result.input, expected)).toBe(-1);
    expect(result.input.length).toBe(3 * 128 * 64);
  });

  it('preprocess also gives the luma of its tensor when asked, the same bytes as the main thread would compute', async () => {
    const original = noise(W * H * 3, 3);
    const result = await pool.preprocess({
      pixels: original.slice(),
      format: 'rgb24',
      width: W,
      height: H,
      spec,
      layout: 'NCHW',
      luma: true,
    });
    expect(result.luma).toBeInstanceOf(Uint8Array);
    expect(firstDifference(result.luma!, lumaOfInput(resizeToTensor(original, W, H, spec, 'NCHW'), spec, 'NCHW'))).toBe(
      -1,
    );
    const plain = await pool.preprocess({
      pixels: original.slice(),
      format: 'rgb24',
      width: W,
      height: H,
      spec,
      layout: 'NCHW',
    });
    expect(plain.luma).toBeUndefined();
  });

  it('preprocess fills the tensor storage it is given (moved there and back) with the same values', async () => {
    const original = noise(W * H * 3, 4);
    const out = new Float32Array(3 * spec.width * spec.height).fill(7);
    const result = await pool.preprocess({
      pixels: original.slice(),
      format: 'rgb24',
      width: W,
      height: H,
      spec,
      layout: 'NCHW',
      out,
    });
    expect(out.length).toBe(0); // moved
    expect(firstDifference(result.input, resizeToTensor(original, W, H, spec, 'NCHW'))).toBe(-1);
  });

  it('render gives the main-thread overlay and PNG bytes', async () => {
    const original = noise(W * H * 3, 2);
    const sent = original.slice();
    const result = await pool.render(renderTask(sent));
    expect(sent.byteLength).toBe(0);

    const expectedRgb = original.slice();
    blendOverlay(expectedRgb, W, H, classMap, MW, MH, lut, 0.5);
    expect(firstDifference(result.pixels, expectedRgb)).toBe(-1);
    expect(firstDifference(result.pixels, original)).not.toBe(-1); // something was painted

    const full = upscaleClassMap(classMap, MW, MH, W, H);
    expect(firstDifference(result.maskPng!, encodePng(full, W, H, 'gray'))).toBe(-1);
    const free = upscaleClassMap(freeSpaceMask(classMap, [1]), MW, MH, W, H);
    expect(firstDifference(result.freeSpacePng!, encodePng(free, W, H, 'gray'))).toBe(-1);
  });

  it('render without a LUT or masks returns the frame untouched and no PNGs', async () => {
    const original = noise(W * H * 3, 3);
    const result = await pool.render({ ...renderTask(original.slice()), lut: null, masks: false, freeSpaceIds: null });
    expect(firstDifference(result.pixels, original)).toBe(-1);
    expect(result.maskPng).toBeUndefined();
    expect(result.freeSpacePng).toBeUndefined();
  });

  it('copies a frame that is a slice of a larger buffer instead of moving its neighbours', async () => {
    const backing = noise(W * H * 3 + 16, 4);
    const view = backing.subarray(8, 8 + W * H * 3);
    const result = await pool.preprocess({ pixels: view, format: 'rgb24', width: W, height: H, spec, layout: 'NHWC' });
    expect(backing.byteLength).toBe(W * H * 3 + 16); // not detached
    expect(firstDifference(result.input, resizeToTensor(view, W, H, spec, 'NHWC'))).toBe(-1);
  });

  it('shares a SharedArrayBuffer frame: the overlay lands in the caller memory', async () => {
    const original = noise(W * H * 3, 5);
    const shared = new Uint8Array(new SharedArrayBuffer(W * H * 3));
    shared.set(original);
    const result = await pool.render({ ...renderTask(shared), masks: false, freeSpaceIds: null });
    const expected = original.slice();
    blendOverlay(expected, W, H, classMap, MW, MH, lut, 0.5);
    expect(firstDifference(shared, expected)).toBe(-1);
    expect(result.pixels.buffer).toBeInstanceOf(SharedArrayBuffer);
  });

  it('rejects bad input on the calling thread with INVALID_OPTION; a coded error thrown in a worker keeps its code', async () => {
    const err1 = await pool
      .preprocess({ pixels: new Uint8Array(10), format: 'rgb24', width: W, height: H, spec, layout: 'NCHW' })
      .catch((e: unknown) => e);
    expect(isSegStreamError(err1, 'SEGSTREAM_ERR_INVALID_OPTION')).toBe(true);
    const bad = {
      pixels: noise(W * H * 3, 6),
      format: 'rgb24' as const,
      width: W,
      height: H,
      spec,
      layout: 'NCWH' as 'NCHW',
    };
    const err2 = await pool.preprocess(bad).catch((e: unknown) => e);
    expect(isSegStreamError(err2, 'SEGSTREAM_ERR_INVALID_OPTION')).toBe(true);
    expect((err2 as Error).message).toMatch(/^Expected NCHW or NHWC for layout/);
  });

  it('a task that fails without a code, or does not exist, rejects with WORKER_FAILED', async () => {
    const generic = createWorkerPool({ filename: compiledModulePath(WORKER_ENTRY), threads: 1 });
    try {
      const err = await generic.run('noSuchTask', {}).catch((e: unknown) => e);
      expect(isSegStreamError(err, 'SEGSTREAM_ERR_WORKER_FAILED')).toBe(true);
      expect((err as Error).message).toMatch(/noSuchTask/);
    } finally {
      await generic.destroy();
    }
  });

  it('an aborted signal rejects with ABORTED', async () => {
    const err = await pool
      .preprocess(
        { pixels: noise(W * H * 3, 12), format: 'rgb24', width: W, height: H, spec, layout: 'NCHW' },
        { signal: AbortSignal.abort() },
      )
      .catch((e: unknown) => e);
    expect(isSegStreamError(err, 'SEGSTREAM_ERR_ABORTED')).toBe(true);
  });

  it('the worker tasks hand every result buffer to piscina to move, not copy', async () => {
    const rgb = noise(W * H * 3, 8);
    const pre = (await preprocess({
      pixels: rgb,
      format: 'rgb24',
      width: W,
      height: H,
      spec,
      layout: 'NCHW',
    })) as unknown as Record<symbol, unknown>;
    const preValue = pre[valueSymbol] as { input: Float32Array; pixels: Uint8Array };
    expectSameBuffers(pre[transferableSymbol], [preValue.input.buffer, rgb.buffer]);
    const ren = (await render(renderTask(rgb))) as unknown as Record<symbol, unknown>;
    const renValue = ren[valueSymbol] as { pixels: Uint8Array; maskPng: Uint8Array; freeSpacePng: Uint8Array };
    expectSameBuffers(ren[transferableSymbol], [rgb.buffer, renValue.maskPng.buffer, renValue.freeSpacePng.buffer]);
  });

  it('the task functions give the same result on the main thread', () => {
    const original = noise(W * H * 3, 7);
    expect(
      firstDifference(
        preprocessFrame({ pixels: original, format: 'rgb24', width: W, height: H, spec, layout: 'NCHW' }).input,
        resizeToTensor(original, W, H, spec, 'NCHW'),
      ),
    ).toBe(-1);
    const r = renderFrame({ ...renderTask(original.slice()), masks: false });
    expect(r.freeSpacePng).toBeInstanceOf(Uint8Array);
  });
});

describe('worker pool with I420 (yuv420p) frames', () => {
  let pool: FramePool;
  beforeAll(() => {
    pool = createFramePool({ threads: 2 });
  });
  afterAll(() => pool.destroy());
  const bytes = frameByteLength('yuv420p', W, H);

  it('preprocess converts in the worker exactly like resizeI420ToTensor and moves the frame', async () => {
    const original = noise(bytes, 50);
    const sent = original.slice();
    const result = await pool.preprocess({
      pixels: sent,
      format: 'yuv420p',
      width: W,
      height: H,
      spec,
      layout: 'NCHW',
    });
    expect(sent.byteLength).toBe(0);
    expect(firstDifference(result.pixels, original)).toBe(-1);
    expect(firstDifference(result.input, resizeI420ToTensor(original, W, H, spec, 'NCHW'))).toBe(-1);
  });

  it('render blends in YUV like blendOverlayI420; masks do not depend on the format', async () => {
    const original = noise(bytes, 51);
    const result = await pool.render(renderTask(original.slice(), 'yuv420p'));
    const expected = original.slice();
    blendOverlayI420(expected, W, H, classMap, MW, MH, lut, 0.5);
    expect(result.pixels.length).toBe(bytes);
    expect(firstDifference(result.pixels, expected)).toBe(-1);
    const rgbResult = renderFrame(renderTask(noise(W * H * 3, 52)));
    expect(firstDifference(result.maskPng!, rgbResult.maskPng!)).toBe(-1);
  });

  it('checks the frame length against the format, and rejects an unknown format', async () => {
    const short = await pool
      .preprocess({ pixels: new Uint8Array(bytes - 1), format: 'yuv420p', width: W, height: H, spec, layout: 'NCHW' })
      .catch((e: unknown) => e);
    expect(isSegStreamError(short, 'SEGSTREAM_ERR_INVALID_OPTION')).toBe(true);
    const unknown = await pool
      .render({ ...renderTask(noise(bytes, 53)), format: 'nv12' as PixelFormat })
      .catch((e: unknown) => e);
    expect(isSegStreamError(unknown, 'SEGSTREAM_ERR_INVALID_OPTION')).toBe(true);
    expect((unknown as Error).message).toMatch(/rgb24 or yuv420p/);
  });
});

describe('worker pool shutdown', () => {
  it('close() finishes queued work, then no worker thread remains; calls after close are refused', async () => {
    const pool = createFramePool({ threads: 2, maxQueue: 8 });
    expect(pool.threadIds.length).toBe(2);
    const jobs = Array.from({ length: 8 }, (_, i) =>
      pool.preprocess({ pixels: noise(W * H * 3, 20 + i), format: 'rgb24', width: W, height: H, spec, layout: 'NCHW' }),
    );
    const closing = pool.close();
    expect(pool.close()).toBe(closing); // idempotent
    const results = await Promise.allSettled(jobs);
    expect(results.every((r) => r.status === 'fulfilled')).toBe(true);
    await closing;
    expect(pool.threadIds).toEqual([]);
    const late = await pool
      .preprocess({ pixels: noise(W * H * 3, 9), format: 'rgb24', width: W, height: H, spec, layout: 'NCHW' })
      .catch((e: unknown) => e);
    expect(isSegStreamError(late, 'SEGSTREAM_ERR_WORKER_FAILED')).toBe(true);
  });

  it('destroy() rejects pending work and ends every thread at once', async () => {
    const pool = createFramePool({ threads: 1, maxQueue: 8 });
    const jobs = Array.from({ length: 6 }, (_, i) => pool.render(renderTask(noise(W * H * 3, 30 + i))));
    await pool.destroy();
    await pool.destroy(); // idempotent
    const results = await Promise.allSettled(jobs);
    expect(results.some((r) => r.status === 'rejected')).toBe(true);
    for (const r of results)
      if (r.status === 'rejected') expect(isSegStreamError(r.reason, 'SEGSTREAM_ERR_WORKER_FAILED')).toBe(true);
    expect(pool.threadIds).toEqual([]);
    await pool.close(); // after destroy: resolves, no throw
  });

  it('rejects a task beyond the queue bound instead of buffering it', async () => {
    const pool = createFramePool({ threads: 1, maxQueue: 1 });
    try {
      const jobs = Array.from({ length: 4 }, (_, i) =>
        pool.preprocess({
          pixels: noise(W * H * 3, 40 + i),
          format: 'rgb24',
          width: W,
          height: H,
          spec,
          layout: 'NCHW',
        }),
      );
      const results = await Promise.allSettled(jobs);
      const rejected = results.filter((r) => r.status === 'rejected');
      expect(rejected.length).toBeGreaterThan(0);
      expect(isSegStreamError(rejected[0].reason, 'SEGSTREAM_ERR_WORKER_FAILED')).toBe(true);
    } finally {
      await pool.close();
    }
  });
});
