/**
 * JPEG frames with an EXIF Orientation tag: masks and the overlay video follow the displayed
 * picture (what every viewer shows), not the stored pixels.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { imageSize } from '../../../src/codecs/header.js';
import { readImage } from '../../../src/codecs/image.js';
import { runCli } from '../../helpers/cli.js';
import { bins, probe, tempDir } from '../../helpers/media.js';
import { readPng, summaryOf, thresholdModel, twoColourFrame, writePng } from './fixtures.js';

let tmp: { dir: string; cleanup: () => void };
beforeAll(() => (tmp = tempDir('segstream-exif-')));
afterAll(() => tmp.cleanup());

/** An APP1 Exif segment holding only IFD0's Orientation tag, in big- (MM) or little-endian (II) TIFF. */
function exifSegment(orientation: number, order: 'MM' | 'II' = 'MM'): Buffer {
  const tiff = Buffer.alloc(26);
  const le = order === 'II';
  const u16 = (v: number, o: number) => (le ? tiff.writeUInt16LE(v, o) : tiff.writeUInt16BE(v, o));
  const u32 = (v: number, o: number) => (le ? tiff.writeUInt32LE(v, o) : tiff.writeUInt32BE(v, o));
  tiff.write(order, 0, 'latin1');
  u16(42, 2);
  u32(8, 4); // IFD0 right after the header
  u16(1, 8); // one entry
  u16(0x0112, 10); // Orientation
  u16(3, 12); // SHORT
  u32(1, 14); // one value
  u16(orientation, 18);
  u32(0, 22); // no next IFD
  const body = Buffer.concat([Buffer.from('Exif\0\0', 'latin1'), tiff]);
  const head = Buffer.from([0xff, 0xe1, 0, 0]);
  head.writeUInt16BE(body.length + 2, 2);
  return Buffer.concat([head, body]);
}

/** The JPEG with an Exif segment put right after its SOI marker. */
const withOrientation = (jpeg: Buffer, orientation: number, order: 'MM' | 'II' = 'MM') =>
  Buffer.concat([jpeg.subarray(0, 2), exifSegment(orientation, order), jpeg.subarray(2)]);

describe('EXIF orientation of JPEG frames', () => {
  it('reads the tag in both byte orders (size and pixels as displayed), and none', async () => {
    // Stored 48x32: the left half red, the right half blue.
    const png = path.join(tmp.dir, 'small.png');
    writePng(
      png,
      twoColourFrame(48, 32, (x) => x < 24),
      48,
      32,
    );
    const plain = path.join(tmp.dir, 'small.jpg');
    const made = spawnSync(bins.ffmpeg.path, ['-v', 'error', '-y', '-i', png, '-q:v', '2', plain]);
    expect(made.status, String(made.stderr)).toBe(0);
    const cases: [number | null, 'MM' | 'II', [number, number]][] = [
      [null, 'MM', [48, 32]],
      [6, 'MM', [32, 48]],
      [8, 'II', [32, 48]],
      [3, 'II', [48, 32]],
    ];
    for (const [orientation, order, size] of cases) {
      const file = path.join(tmp.dir, `small-${orientation}-${order}.jpg`);
      writeFileSync(file, orientation ? withOrientation(readFileSync(plain), orientation, order) : readFileSync(plain));
      expect(Object.values(await imageSize(file)), `${orientation} ${order}`).toEqual(size);
      const { png: img, decoder } = await readImage(file, bins.ffmpeg.path);
      expect([img.width, img.height, img.channels, decoder]).toEqual([...size, 3, 'sharp']);
      // Red (R high) where the stored left half lands: top for 6, bottom for 8, right for 3, left for none.
      const red = (x: number, y: number) => img.data[(y * img.width + x) * 3] > 128;
      const where = { null: [4, 16], 6: [16, 4], 8: [16, 44], 3: [44, 16] }[
        String(orientation) as 'null' | '6' | '8' | '3'
      ];
      expect(red(where[0], where[1]), `${orientation} ${order}`).toBe(true);
    }
  });

  it('Orientation=6: masks and overlay are 360x480 as displayed, the stored left half on top', async () => {
    const dir = path.join(tmp.dir, 'frames');
    // Stored 480x360: the left half red (the threshold model's free space), the right half blue.
    const png = path.join(tmp.dir, 'stored.png');
    writePng(
      png,
      twoColourFrame(480, 360, (x) => x < 240),
      480,
      360,
    );
    const plain = path.join(tmp.dir, 'plain.jpg');
    const made = spawnSync(bins.ffmpeg.path, ['-v', 'error', '-y', '-i', png, '-q:v', '2', plain]);
    expect(made.status, String(made.stderr)).toBe(0);
    const { mkdirSync } = await import('node:fs');
    mkdirSync(dir);
    writeFileSync(path.join(dir, 'photo.jpg'), withOrientation(readFileSync(plain), 6));
    const out = path.join(tmp.dir, 'out');
    const r = await runCli([
      dir,
      '--free-space',
      `${out}/fs`,
      '--masks',
      `${out}/masks`,
      '-o',
      `${out}/ov.mp4`,
      '-m',
      thresholdModel,
      '--json',
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(summaryOf(r.stdout).sequences[0].sizes).toEqual(['360x480']);
    const fs = readPng(path.join(out, 'fs', 'photo.png'));
    expect([fs.width, fs.height]).toEqual([360, 480]);
    const at = (x: number, y: number) => fs.data[y * fs.width + x];
    // Turned a quarter clockwise: the stored left half is the displayed top half.
    expect([at(180, 40), at(180, 200), at(20, 120), at(340, 120)]).toEqual([255, 255, 255, 255]);
    expect([at(180, 280), at(180, 440), at(20, 400), at(340, 400)]).toEqual([0, 0, 0, 0]);
    expect([
      readPng(path.join(out, 'masks', 'photo.png')).width,
      readPng(path.join(out, 'masks', 'photo.png')).height,
    ]).toEqual([360, 480]);
    const v = probe(path.join(out, 'ov.mp4')).video;
    expect([v.width, v.height]).toEqual([360, 480]);
  });
});
