import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodePng } from '../../src/codecs/png-encode.js';
import { isSegStreamError } from '../../src/errors.js';
import { egoMaskFromBytes } from '../../src/pixels/ego-mask.js';
import { findEgoMask, readEgoMaskFile, writeEgoMaskPng } from '../../src/render/ego-mask-source.js';
import { makeBonnetClips, type BonnetClips } from '../helpers/bonnet.js';
import { bins, tempDir } from '../helpers/media.js';

const tmp = tempDir();
let clips: BonnetClips;
beforeAll(() => {
  clips = makeBonnetClips(tmp.dir);
});
afterAll(() => tmp.cleanup());

async function thrown(p: Promise<unknown>): Promise<Error & { code?: string; context?: { option?: string } }> {
  return p.then(
    () => {
      throw new Error('expected a rejection');
    },
    (e: Error) => e,
  );
}

describe('ego mask auto', () => {
  it('finds a bonnet drawn over the bottom of the clip', async () => {
    const ego = await findEgoMask({
      ffmpeg: bins.ffmpeg.path,
      input: clips.bonnet,
      width: clips.width,
      height: clips.height,
      fps: 25,
    });
    expect(ego).not.toBeNull();
    const rowsCovered = ego!.pixels / clips.width;
    expect(Math.abs(rowsCovered - (clips.height - clips.top))).toBeLessThanOrEqual(clips.margin);
    // Every row below the bonnet's top (with a margin for the downscaled search) is masked across the width.
    for (let y = clips.top + clips.margin; y < clips.height; y++) expect(ego!.rows[y + 1] - ego!.rows[y]).toBe(2);
  });

  it('finds nothing on the clip without one', async () => {
    expect(
      await findEgoMask({
        ffmpeg: bins.ffmpeg.path,
        input: clips.plain,
        width: clips.width,
        height: clips.height,
        fps: 25,
      }),
    ).toBeNull();
  });
});

describe('ego mask file', () => {
  const w = 8,
    h = 6;
  const bytes = new Uint8Array(w * h).fill(255, 4 * w);

  it('reads a 0/255 greyscale PNG at the source size', async () => {
    const file = path.join(tmp.dir, 'ok.png');
    writeFileSync(file, encodePng(bytes, w, h, 'gray'));
    expect((await readEgoMaskFile(file, w, h)).pixels).toBe(2 * w);
  });

  it.each([
    ['another size', () => encodePng(bytes, w, h, 'gray'), 'is 8x6 but the source is 8x7', 7],
    ['a colour PNG', () => encodePng(new Uint8Array(w * h * 3), w, h, 'rgb'), 'not an 8-bit greyscale PNG', h],
    ['grey levels', () => encodePng(new Uint8Array(w * h).fill(128), w, h, 'gray'), 'values other than 0 and 255', h],
    ['not an image', () => new Uint8Array([1, 2, 3]), 'not an 8-bit greyscale PNG', h],
  ])('refuses %s with INVALID_OPTION naming option egoMask', async (_, make, message, height) => {
    const file = path.join(tmp.dir, 'bad.png');
    writeFileSync(file, make());
    const err = await thrown(readEgoMaskFile(file, w, height));
    expect(isSegStreamError(err, 'SEGSTREAM_ERR_INVALID_OPTION')).toBe(true);
    expect(err.context?.option).toBe('egoMask');
    expect(err.message).toContain(message);
  });

  it('is written next to the first output and never over an existing file', async () => {
    const ego = egoMaskFromBytes(bytes, w, h);
    const out = path.join(tmp.dir, 'run.mp4');
    const first = await writeEgoMaskPng(ego, out);
    expect(first).toBe(path.join(tmp.dir, 'run.ego-mask.png'));
    writeFileSync(path.join(tmp.dir, 'masks.ego-mask.png'), 'user file');
    const second = await writeEgoMaskPng(ego, path.join(tmp.dir, 'masks') + '/');
    expect(second).toBe(path.join(tmp.dir, 'masks.ego-mask-2.png'));
    expect(readFileSync(path.join(tmp.dir, 'masks.ego-mask.png'), 'utf8')).toBe('user file');
    expect((await readEgoMaskFile(second, w, h)).pixels).toBe(2 * w);
    expect(existsSync(first)).toBe(true);
  });
});
