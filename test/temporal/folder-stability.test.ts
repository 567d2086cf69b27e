import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { segmentFolder } from '../../src/batch/segment-folder.js';
import { thresholdModel, writePng } from '../batch/fixtures.js';
import { tempDir } from '../helpers/media.js';

describe('stability of a frame-folder sequence', () => {
  const tmp = tempDir();
  afterAll(() => tmp.cleanup());

  it('is measured in frame order and reported per sequence in the summary', async () => {
    const W = 64;
    const H = 36;
    const N = 6;
    const frames = path.join(tmp.dir, 'seq');
    for (let t = 0; t < N; t++) {
      // Left half: red channel just above / below the threshold model's 0.5 on alternate frames
      // (its label flips, the picture barely changes); right half: steady blue.
      const rgb = new Uint8Array(W * H * 3);
      for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) rgb.set(x < W / 2 ? [t % 2 ? 122 : 134, 0, 0] : [20, 90, 200], (y * W + x) * 3);
      writePng(path.join(frames, `${String(t).padStart(4, '0')}.png`), rgb, W, H);
    }
    const s = await segmentFolder({ input: frames, masks: path.join(tmp.dir, 'masks'), model: thresholdModel });
    expect(s.frames).toBe(N);
    const st = s.sequences[0]!.stability!;
    expect(st.pairs).toBe(N - 1);
    expect(st.staticShare).toBe(100);
    // Half of the pixels (the left half) change class on every frame pair.
    expect(st.flicker).toBeCloseTo(50, 0);
    expect(st.perClass.red).toBe(100);
  });
});
