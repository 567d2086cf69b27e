/**
 * The overlay's key (`--legend`): its lines follow the run's palette and classes (as the preview's
 * legend does), it scales with the frame height, and it changes its corner of the frame only —
 * in the finish step (RGB24 and I420) and in a real run's video (lossless, so compared exactly).
 */
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadModel } from '../../src/infer/model-card.js';
import { frameByteLength } from '../../src/pixels/yuv.js';
import { legendOf } from '../../src/preview/run-stats.js';
import { paintStyleOf } from '../../src/preview/pictures.js';
import { legendEntries, makeLegendStamp, stampLegend, type LegendStamp } from '../../src/render/legend.js';
import { overlayLut } from '../../src/render/palettes.js';
import { finishConstants, finishFrame } from '../../src/runs/core/finish.js';
import type { RunPreviewStart } from '../../src/runs/run-preview.js';
import type { PixelFormat } from '../../src/types.js';
import { runCli } from '../helpers/cli.js';
import { decodeAll, makeIndexedVideo, tempDir } from '../helpers/media.js';

const model = await loadModel('camvid-default');
const names = (lut: Uint8Array) => legendEntries(model, lut).map((e) => e.label);

/** Pixels (x, y) of a `w x h` frame in `format` whose samples differ between `a` and `b`; chroma marks its 2x2 block. */
function changed(a: Uint8Array, b: Uint8Array, format: PixelFormat, w: number, h: number): Set<string> {
  const out = new Set<string>();
  const mark = (x: number, y: number) => out.add(`${x},${y}`);
  if (format === 'rgb24') {
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) mark(((i / 3) | 0) % w, (i / 3 / w) | 0);
    return out;
  }
  for (let i = 0; i < w * h; i++) if (a[i] !== b[i]) mark(i % w, (i / w) | 0);
  const cw = (w + 1) >> 1,
    ch = (h + 1) >> 1;
  for (let i = w * h; i < a.length; i++)
    if (a[i] !== b[i]) {
      const c = (i - w * h) % (cw * ch);
      mark(2 * (c % cw), 2 * ((c / cw) | 0));
    }
  return out;
}

const inBox = (key: string, s: LegendStamp) => {
  const [x, y] = key.split(',').map(Number);
  return x >= s.margin && x < s.margin + s.width && y >= s.margin && y < s.margin + s.height;
};

describe('legend', () => {
  const tmp = tempDir('segstream-legend-');
  afterAll(() => tmp.cleanup());

  it('names roles in the roles palette, classes otherwise, every class with classes all; the preview shows the same colours', () => {
    expect(names(overlayLut(model, undefined, 'roles'))).toEqual(['road', 'vehicle']);
    expect(names(overlayLut(model, undefined, 'camvid'))).toEqual(['road', 'Car', 'Bicyclist']);
    const all = legendEntries(model, overlayLut(model, 'all', 'roles'));
    expect(all.map((e) => e.label)).toEqual(expect.arrayContaining(['road', 'vehicle', 'Sky', 'Pedestrian']));
    expect(all).toHaveLength(model.card.classes.length - 1); // Car and Bicyclist share the vehicle colour
    for (const palette of ['roles', 'camvid'] as const)
      for (const classes of [undefined, 'all']) {
        const run = { model, classes, palette, alpha: 0.5, freeSpace: false } as unknown as RunPreviewStart;
        const lut = paintStyleOf(run).lut;
        const preview = legendOf(run, lut).classes.filter((c) => c.painted);
        const key = (c: number[]) => c.join(',');
        expect(new Set(preview.map((c) => key(c.color)))).toEqual(
          new Set(legendEntries(model, overlayLut(model, classes, palette)).map((e) => key(e.color))),
        );
      }
  });

  it('scales with the frame height, draws its names and swatches', async () => {
    const entries = legendEntries(model, overlayLut(model, undefined, 'roles'));
    const small = await makeLegendStamp(entries, 540);
    const big = await makeLegendStamp(entries, 1080);
    expect(big.height / small.height).toBeGreaterThan(1.8);
    expect(big.height / small.height).toBeLessThan(2.2);
    expect(big.width / small.width).toBeGreaterThan(1.6);
    // Readable at 540 rows: at least 12-pixel swatches and text, white text pixels present.
    expect(small.height).toBeGreaterThanOrEqual(2 * 18);
    let white = 0;
    for (let p = 0; p < small.rgba.length; p += 4) if (small.rgba[p] > 200 && small.rgba[p + 1] > 200) white++;
    expect(white).toBeGreaterThan(50);
    const swatch = (s: LegendStamp, colour: number[]) => {
      let n = 0;
      for (let p = 0; p < s.rgba.length; p += 4)
        if (
          s.rgba[p] === colour[0] &&
          s.rgba[p + 1] === colour[1] &&
          s.rgba[p + 2] === colour[2] &&
          s.rgba[p + 3] === 255
        )
          n++;
      return n;
    };
    expect(swatch(small, [0, 114, 178])).toBeGreaterThanOrEqual(12 * 12);
    expect(swatch(small, [230, 159, 0])).toBeGreaterThanOrEqual(12 * 12);
  });

  it('in the finish step: the key changes its box and nothing else (RGB24 and I420)', async () => {
    const w = 320,
      h = 180;
    const stamp = await makeLegendStamp(legendEntries(model, overlayLut(model, 'all', 'camvid')), h);
    const lut = overlayLut(model, 'all', 'camvid');
    const mapW = 40,
      mapH = 24;
    const classMap = new Uint8Array(mapW * mapH).map((_, i) => i % model.card.classes.length);
    for (const format of ['rgb24', 'yuv420p'] as const) {
      const frame = new Uint8Array(frameByteLength(format, w, h)).map((_, i) => (i * 7) % 251);
      const run = (legend: LegendStamp | null) =>
        finishFrame(
          { pixels: frame.slice(), format, width: w, height: h, classMap, mapWidth: mapW, mapHeight: mapH },
          finishConstants({ lut, alpha: 0.5, masks: false, freeSpaceIds: null, legend }),
        ).pixels!;
      const diff = changed(run(null), run(stamp), format, w, h);
      expect(diff.size).toBeGreaterThan((stamp.width * stamp.height) / 2);
      expect([...diff].filter((k) => !inBox(k, stamp))).toEqual([]);
    }
  });

  it('a frame smaller than the key gets the part that fits', async () => {
    const stamp = await makeLegendStamp(legendEntries(model, overlayLut(model, 'all', 'roles')), 1080);
    const frame = new Uint8Array(frameByteLength('yuv420p', 64, 48));
    stampLegend(frame, 'yuv420p', 64, 48, stamp);
    expect(frame.some((v) => v !== 0)).toBe(true);
    const rgb = new Uint8Array(64 * 48 * 3);
    stampLegend(rgb, 'rgb24', 64, 48, stamp);
    expect(rgb.some((v) => v !== 0)).toBe(true);
  });

  it("a run with --legend differs from one without in the key's box only (lossless video)", async () => {
    const w = 320,
      h = 180;
    const input = path.join(tmp.dir, 'in.mp4');
    await makeIndexedVideo(input, { width: w, height: h, frames: 4, fps: '25/1' });
    const run = async (name: string, extra: string[]) => {
      const out = path.join(tmp.dir, name);
      const r = await runCli([input, '-o', out, '--crf', '0', '--threads', '1', '--workers', '1', '-q', ...extra], {
        timeoutMs: 120_000,
      });
      expect(r.code, r.stderr).toBe(0);
      return decodeAll(out, w, h);
    };
    const plain = await run('plain.mp4', []);
    const keyed = await run('keyed.mp4', ['--legend']);
    const stamp = await makeLegendStamp(legendEntries(model, overlayLut(model, undefined, 'roles')), h);
    expect(keyed).toHaveLength(4);
    for (let i = 0; i < 4; i++) {
      const diff = changed(plain[i], keyed[i], 'rgb24', w, h);
      // The frame's index blocks are black there: a dark box over black changes nothing.
      expect(diff.size).toBeGreaterThan((stamp.width * stamp.height) / 5);
      // Decoding to RGB spreads a chroma change over its 2x2 block: allow one pixel around the box.
      const grown = { ...stamp, margin: stamp.margin - 1, width: stamp.width + 2, height: stamp.height + 2 };
      expect([...diff].filter((k) => !inBox(k, grown))).toEqual([]);
    }
  }, 240_000);
});
