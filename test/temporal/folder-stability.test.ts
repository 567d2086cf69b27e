import { rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { segmentFolder } from '../../src/runs/folders/segment-folder.js';
import { thresholdModel, writePng } from '../runs/folders/fixtures.js';
import { tempDir } from '../helpers/media.js';

describe('stability of a frame-folder sequence', () => {
  const tmp = tempDir();
  afterAll(() => tmp.cleanup());

  const W = 64;
  const H = 36;
  const N = 6;
  const frames = path.join(tmp.dir, 'seq');
  const masks = path.join(tmp.dir, 'masks');

  it('is measured in frame order and reported per sequence in the summary', async () => {
    for (let t = 0; t < N; t++) {
      // Left half: red channel just above / below the threshold model's 0.5 on alternate frames
      // (its label flips, the picture barely changes); right half: steady blue.
      const rgb = new Uint8Array(W * H * 3);
      for (let y = 0; y < H; y++)
        for (let x = 0; x < W; x++) rgb.set(x < W / 2 ? [t % 2 ? 122 : 134, 0, 0] : [20, 90, 200], (y * W + x) * 3);
      writePng(path.join(frames, `${String(t).padStart(4, '0')}.png`), rgb, W, H);
    }
    const s = await segmentFolder({ input: frames, masks, model: thresholdModel });
    expect(s.frames).toBe(N);
    const st = s.sequences[0].stability!;
    expect(st.pairs).toBe(N - 1);
    expect(st.staticShare).toBe(100);
    // Half of the pixels (the left half) change class on every frame pair.
    expect(st.flicker).toBeCloseTo(50, 0);
    expect(st.perClass.red).toBe(100);
  });

  it('compares only frames that follow each other: a resumed run does not pair across the frames it skipped', async () => {
    // Frames 0, 1, 4 and 5 lose their masks; 2 and 3 are complete and skipped.
    for (const t of [0, 1, 4, 5]) rmSync(path.join(masks, `${String(t).padStart(4, '0')}.png`));
    const s = await segmentFolder({ input: frames, masks, model: thresholdModel });
    expect(s.frames).toBe(4);
    expect(s.skipped).toBe(2);
    // Pairs 0-1 and 4-5; never 1-4.
    expect(s.sequences[0].stability!.pairs).toBe(2);
  });
});
