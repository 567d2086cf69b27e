import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULTS } from '../../src/defaults.js';
import { isSegStreamError } from '../../src/errors.js';
import { loadModel } from '../../src/infer/model-card.js';
import { blendOverlay } from '../../src/render/overlay.js';
import { classColours, overlayLut, resolvePalette } from '../../src/render/palettes.js';
import { withFlags } from '../../src/cli/option-flags.js';
import { legendOf } from '../../src/preview/run-stats.js';
import type { RunPreviewStart } from '../../src/runs/run-preview.js';
import { ciede2000, ciede2000Lab } from '../helpers/ciede2000.js';
import { bins, haveShared, sharedDir, tempDir } from '../helpers/media.js';

const model = await loadModel('camvid-default');
const road = model.roadIds[0];
const car = model.vehicleIds[0];

/** Mean RGB of the road just ahead of the car in the dashcam clip (frame at 2 s), or a mid asphalt grey without ../shared. */
function asphalt(): [number, number, number] {
  if (!haveShared()) return [90, 90, 100];
  const clip = path.join(sharedDir, 'samples', 'solidWhiteRight.mp4');
  const r = spawnSync(bins.ffmpeg.path, [
    '-v',
    'error',
    '-ss',
    '2',
    '-i',
    clip,
    '-frames:v',
    '1',
    '-vf',
    'crop=200:60:380:440',
    '-f',
    'rawvideo',
    '-pix_fmt',
    'rgb24',
    '-',
  ]);
  expect(r.status).toBe(0);
  const sum = [0, 0, 0];
  for (let i = 0; i < r.stdout.length; i++) sum[i % 3] += r.stdout[i];
  return sum.map((v) => Math.round(v / (r.stdout.length / 3))) as [number, number, number];
}

/** The overlay's own output for `class` painted over an asphalt frame at the default alpha. */
function blended(lut: Uint8Array, grey: [number, number, number], cls: number): [number, number, number] {
  const rgb = new Uint8Array(4 * 4 * 3).map((_, i) => grey[i % 3]);
  blendOverlay(rgb, 4, 4, new Uint8Array([cls]), 1, 1, lut, DEFAULTS.alpha);
  return [rgb[0], rgb[1], rgb[2]];
}

describe('CIEDE2000 helper', () => {
  it("matches Sharma, Wu and Dalal's test data", () => {
    expect(ciede2000Lab([50, 2.6772, -79.7751], [50, 0, -82.7485])).toBeCloseTo(2.0425, 3);
    expect(ciede2000Lab([50, 2.5, 0], [73, 25, -18])).toBeCloseTo(27.1492, 3);
    expect(ciede2000Lab([60.2574, -34.0099, 36.2677], [60.4626, -34.1751, 39.4387])).toBeCloseTo(1.2644, 3);
    expect(ciede2000([255, 255, 255], [255, 255, 255])).toBe(0);
  });
});

describe('overlay palette', () => {
  it('default (roles): road and vehicle blended over real asphalt at the default alpha differ by CIEDE2000 >= 30', () => {
    const grey = asphalt();
    const lut = overlayLut(model, undefined);
    const d = ciede2000(blended(lut, grey, road), blended(lut, grey, car));
    console.log(
      `road vs vehicle over asphalt rgb(${grey.join(',')}) at alpha ${DEFAULTS.alpha}: CIEDE2000 ${d.toFixed(1)}`,
    );
    expect(d).toBeGreaterThanOrEqual(30);
    // Both also stand out from the asphalt itself.
    expect(ciede2000(blended(lut, grey, road), grey)).toBeGreaterThanOrEqual(15);
    expect(ciede2000(blended(lut, grey, car), grey)).toBeGreaterThanOrEqual(15);
  });

  it('camvid keeps the card colours (road and car both purple: the separation the default fixes)', () => {
    const lut = overlayLut(model, undefined, 'camvid');
    expect([...lut.subarray(4 * road, 4 * road + 4)]).toEqual([...model.card.classes[road].color, 255]);
    expect(ciede2000(blended(lut, asphalt(), road), blended(lut, asphalt(), car))).toBeLessThan(30);
  });

  it('roles: every class of --classes all gets a colour, no two of the painted roles alike', () => {
    const colours = classColours(model, resolvePalette('roles'));
    expect(colours).toHaveLength(model.card.classes.length);
    const keys = colours.map((c) => c.join(','));
    // Vehicles share one colour; every other class has its own.
    expect(new Set(keys).size).toBe(model.card.classes.length - (model.vehicleIds.length - 1));
  });

  it('a JSON palette file sets colours by role and class name', () => {
    const t = tempDir();
    try {
      const file = path.join(t.dir, 'p.json');
      writeFileSync(file, JSON.stringify({ roles: { road: '#102030' }, classes: { car: [1, 2, 3] } }));
      const lut = overlayLut(model, 'all', resolvePalette(file));
      expect([...lut.subarray(4 * road, 4 * road + 3)]).toEqual([16, 32, 48]);
      expect([...lut.subarray(4 * car, 4 * car + 3)]).toEqual([1, 2, 3]);
    } finally {
      t.cleanup();
    }
  });

  it('a bad palette is one INVALID_OPTION error naming option palette (the CLI says --palette)', () => {
    const t = tempDir();
    try {
      const bad = path.join(t.dir, 'bad.json');
      for (const [content, pattern] of [
        ['{"roles": {"road": [1, 2]}}', /roles\.road/],
        ['{"roles": {"sky": "#000000"}}', /road, vehicle, free-space/],
        ['{"colours": {}}', /only "roles"/],
        ['not json', /not JSON/],
      ] as const) {
        writeFileSync(bad, content);
        let err: unknown;
        try {
          resolvePalette(bad);
        } catch (e) {
          err = e;
        }
        expect(isSegStreamError(err, 'SEGSTREAM_ERR_INVALID_OPTION')).toBe(true);
        expect((err as { context: { option: string } }).context.option).toBe('palette');
        expect((err as Error).message).toMatch(pattern);
      }
      let missing: unknown;
      try {
        resolvePalette(path.join(t.dir, 'nope.json'));
      } catch (e) {
        missing = e;
      }
      expect(withFlags(missing as never).message).toMatch(
        /^--palette ".*nope\.json" is neither roles nor camvid nor a readable JSON file/,
      );
    } finally {
      t.cleanup();
    }
  });

  it("the preview's legend shows the run's palette", () => {
    const run = { model, classes: undefined, alpha: 0.5, freeSpace: false } as unknown as RunPreviewStart;
    const legend = legendOf(run, overlayLut(model, undefined));
    expect(legend.classes[road].color).toEqual([0, 114, 178]);
    expect(legend.classes[car].color).toEqual([230, 159, 0]);
    expect(legend.classes[car].painted).toBe(true);
  });
});
