import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodePngBytes, toRgb24 } from '../../src/codecs/png-decode.js';
import { encodePng } from '../../src/codecs/png-encode.js';
import { bins, tempDir } from '../helpers/media.js';

describe('PNG decoder', () => {
  it('reads every row filter and colour type as ffmpeg does', () => {
    const { dir, cleanup } = tempDir();
    try {
      const W = 37;
      const H = 23;
      const rgb = new Uint8Array(W * H * 3).map((_, i) => (i * 37 + ((i / 97) | 0) * 11) & 0xff);
      const src = path.join(dir, 'src.png');
      writeFileSync(src, encodePng(rgb, W, H, 'rgb'));
      for (const [fmt, extra] of [
        ['rgb24', ['-pred', 'mixed']],
        ['rgba', ['-pred', 'paeth']],
        ['gray', ['-pred', 'avg']],
        ['ya8', ['-pred', 'sub']],
        ['pal8', []],
      ] as const) {
        const file = path.join(dir, `${fmt}.png`);
        const r = spawnSync(bins.ffmpeg.path, ['-v', 'error', '-y', '-i', src, '-pix_fmt', fmt, ...extra, file]);
        expect(r.status).toBe(0);
        const png = decodePngBytes(readFileSync(file), file)!;
        const want = spawnSync(
          bins.ffmpeg.path,
          ['-v', 'error', '-i', file, '-f', 'rawvideo', '-pix_fmt', 'rgb24', 'pipe:1'],
          { maxBuffer: 1 << 24 },
        ).stdout;
        expect([png.width, png.height]).toEqual([W, H]);
        expect(Buffer.from(toRgb24(png)).equals(want), fmt).toBe(true);
      }
    } finally {
      cleanup();
    }
  });

  it('leaves 16-bit PNGs to ffmpeg and rejects damaged ones with a code', () => {
    const gray = encodePng(new Uint8Array(64).fill(9), 8, 8, 'gray');
    const sixteen = Uint8Array.from(gray);
    sixteen[24] = 16; // IHDR bit depth (CRC not checked by the decoder)
    expect(decodePngBytes(sixteen)).toBeNull();
    expect(() => decodePngBytes(new TextEncoder().encode('not a png at all, just some text here'), 'x.png')).toThrow(
      expect.objectContaining({ code: 'SEGSTREAM_ERR_INPUT_CORRUPT' }),
    );
    expect(() => decodePngBytes(gray.subarray(0, gray.length - 20), 'cut.png')).toThrow(
      expect.objectContaining({ code: 'SEGSTREAM_ERR_INPUT_CORRUPT' }),
    );
  });
});
