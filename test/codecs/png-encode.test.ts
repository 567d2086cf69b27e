import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as zlib from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { crc32, encodePng } from '../../src/codecs/png-encode.js';
import { upscaleClassMap } from '../../src/pixels/class-map.js';
import { firstDifference, noise } from '../helpers/bytes.js';

const FFMPEG = join(process.cwd(), 'node_modules/@ffmpeg-installer/linux-x64/ffmpeg');
const dir = mkdtempSync(join(tmpdir(), 'seg-stream-png-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Decodes a PNG with ffmpeg to raw pixels of `pixFmt` (gray | rgb24). */
function ffmpegDecode(png: Uint8Array, pixFmt: 'gray' | 'rgb24'): Buffer {
  const file = join(dir, `t-${Math.random().toString(36).slice(2)}.png`);
  writeFileSync(file, png);
  const r = spawnSync(FFMPEG, ['-v', 'error', '-i', file, '-f', 'rawvideo', '-pix_fmt', pixFmt, '-'], {
    maxBuffer: 1 << 26,
  });
  expect(r.stderr.toString()).toBe('');
  expect(r.status).toBe(0);
  return r.stdout;
}

/** Splits a PNG into chunks, checking every CRC against node:zlib's independent crc32 when present. */
function chunks(png: Uint8Array): { type: string; data: Uint8Array }[] {
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  const out = [];
  for (let p = 8; p < png.length;) {
    const len = view.getUint32(p);
    const type = String.fromCharCode(...png.subarray(p + 4, p + 8));
    const crc = view.getUint32(p + 8 + len);
    expect(crc).toBe(crc32(png, p + 4, p + 8 + len));
    const zcrc = (zlib as { crc32?: (d: Uint8Array) => number }).crc32;
    if (zcrc) expect(crc).toBe(zcrc(png.subarray(p + 4, p + 8 + len)));
    out.push({ type, data: png.subarray(p + 8, p + 8 + len) });
    p += 12 + len;
  }
  return out;
}

describe('crc32', () => {
  it('gives the standard check value', () => {
    expect(crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926);
    expect(crc32(new Uint8Array(0))).toBe(0);
  });
});

describe('encodePng', () => {
  it('writes greyscale that ffmpeg decodes to the same bytes, with either filter', () => {
    const w = 641,
      h = 361;
    const mask = upscaleClassMap(noise(64 * 32, 3, 15), 64, 32, w, h); // class ids 0..15
    for (const filter of ['none', 'up'] as const) {
      const png = encodePng(mask, w, h, 'gray', { filter });
      expect([...png.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
      expect(chunks(png).map((c) => c.type)).toEqual(['IHDR', 'IDAT', 'IEND']);
      expect(firstDifference(ffmpegDecode(png, 'gray'), mask)).toBe(-1);
    }
  });

  it('writes RGB that ffmpeg decodes to the same bytes', () => {
    const w = 33,
      h = 17;
    const rgb = noise(w * h * 3, 9);
    const png = encodePng(rgb, w, h, 'rgb', { level: 3 });
    const ihdr = chunks(png)[0].data;
    expect([...ihdr.subarray(8)]).toEqual([8, 2, 0, 0, 0]);
    expect(firstDifference(ffmpegDecode(png, 'rgb24'), rgb)).toBe(-1);
  });

  it('returns a buffer it owns entirely (safe to transfer between threads)', () => {
    const png = encodePng(new Uint8Array(4), 2, 2, 'gray');
    expect(png.byteOffset).toBe(0);
    expect(png.byteLength).toBe(png.buffer.byteLength);
    // IDAT inflates back to filter bytes + rows
    const raw = zlib.inflateSync(chunks(png)[1].data);
    expect([...raw]).toEqual([2, 0, 0, 2, 0, 0]);
  });

  it('rejects short pixel buffers and bad options', () => {
    expect(() => encodePng(new Uint8Array(3), 2, 2, 'gray')).toThrow(/pixels/);
    expect(() => encodePng(new Uint8Array(4), 2, 2, 'gray', { level: 12 })).toThrow(/level/);
  });
});
