import { readdirSync } from 'node:fs';
import path from 'node:path';
import { readImage } from '../../src/codecs/image.js';
import { toRgb24 } from '../../src/codecs/png-decode.js';
import type { Engine } from '../../src/infer/types.js';
import { resizeToTensor } from '../../src/pixels/tensor.js';
import { bins } from './media.js';

/**
 * Share of pixels on which two engines give the same class, over every `every`-th PNG frame of `dir`
 * in name order, each frame preprocessed by the runtime for each engine's own model card. Throws when the two class maps of a frame differ in size.
 */
export async function classMapAgreement(a: Engine, b: Engine, dir: string, every: number): Promise<number> {
  let same = 0;
  let total = 0;
  for (const frame of readdirSync(dir)
    .sort()
    .filter((_, i) => i % every === 0)) {
    const { png: header } = await readImage(path.join(dir, frame), bins.ffmpeg.path);
    const rgb = toRgb24(header);
    const run = async (e: Engine) =>
      (await e.run([resizeToTensor(rgb, header.width, header.height, e.model.card.input, e.inputLayout)]))[0].classMap;
    const x = await run(a);
    const y = await run(b);
    if (x.length !== y.length) throw new Error(`${frame}: class maps of ${x.length} and ${y.length} pixels`);
    for (let i = 0; i < x.length; i++) if (x[i] === y[i]) same++;
    total += x.length;
  }
  if (total === 0) throw new Error(`no frames in ${dir}`);
  return same / total;
}
