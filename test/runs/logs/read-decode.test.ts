/**
 * Camera messages to pixels: every raw encoding of a real CamVid frame (written by ROS's rosbag)
 * decodes to that frame; bgr8 and rgb8 of the same frame give the same pixels; JPEG and PNG through
 * sharp; an unknown encoding is reported and its topic skipped while the others are read.
 */
import { afterAll, describe, expect, test } from 'vitest';
import { decodeLogImage } from '../../../src/runs/logs/decode.js';
import { isSegStreamError } from '../../../src/errors.js';
import { cleanupLogFixtures, haveLogTools, logFixtures, readAll } from '../../helpers/logs.js';

const ok = haveLogTools();
afterAll(cleanupLogFixtures);

function meanAbsDiff(a: Uint8Array, b: Uint8Array): number {
  expect(a.length).toBe(b.length);
  let s = 0;
  for (let i = 0; i < a.length; i++) s += Math.abs(a[i] - b[i]);
  return s / a.length;
}

function grey(rgb: Uint8Array): Uint8Array {
  const out = new Uint8Array(rgb.length);
  for (let i = 0; i < rgb.length; i += 3) {
    const g = Math.min(255, Math.round(rgb[i] * 0.299 + rgb[i + 1] * 0.587 + rgb[i + 2] * 0.114));
    out[i] = out[i + 1] = out[i + 2] = g;
  }
  return out;
}

/** Mean absolute difference allowed per encoding against the source frame (0: exact). */
const TOLERANCE: Record<string, number> = {
  rgba8: 0,
  bgra8: 0,
  png: 0,
  mono8: 0.01,
  mono16: 0.01,
  yuv422: 2.5,
  uyvy: 2.5,
  yuv422_yuy2: 2.5,
  yuyv: 2.5,
  bayer_rggb8: 8,
  bayer_bggr8: 8,
  bayer_gbrg8: 8,
  bayer_grbg8: 8,
};

describe.skipIf(!ok)('decodeLogImage', () => {
  test('bgr8 and rgb8 cameras of the same frames give identical rgb, equal to the source frame', async () => {
    const fx = logFixtures();
    for (const name of ['drive-none.bag', 'ros2-zstd.mcap', 'foxglove-proto.mcap']) {
      const { messages } = await readAll(fx.log(name));
      const raw = messages.filter((m) => m.encoding === 'bgr8' || m.encoding === 'rgb8');
      expect(raw.length).toBeGreaterThanOrEqual(4);
      for (const m of raw) {
        const { width, height, rgb } = await decodeLogImage(m);
        expect([width, height]).toEqual([480, 360]);
        expect(Buffer.from(rgb).equals(Buffer.from(fx.rgbOf(`camvid:${m.seq}`)))).toBe(true);
      }
    }
  });

  test('every raw encoding and PNG of encodings.bag decodes to its frame; 32FC1 is reported, the rest read', async () => {
    const fx = logFixtures();
    const { messages, damage } = await readAll(fx.log('encodings.bag'));
    expect(damage.unsupported).toEqual([expect.objectContaining({ topic: '/enc/32FC1', encoding: '32FC1' })]);
    expect(damage.unsupported[0].message).toMatch(
      /^SEGSTREAM_ERR_LOG_ENCODING_UNSUPPORTED: topic \/enc\/32FC1: encoding "32FC1"/,
    );
    expect(new Set(messages.map((m) => m.encoding))).toEqual(new Set(Object.keys(TOLERANCE)));
    expect(messages).toHaveLength(2 * Object.keys(TOLERANCE).length);
    for (const m of messages) {
      const { width, height, rgb } = await decodeLogImage(m);
      expect([width, height]).toEqual([480, 360]);
      const src = fx.rgbOf(`camvid:${m.seq}`);
      const want = m.encoding.startsWith('mono') ? grey(src) : src;
      const diff = meanAbsDiff(rgb, want);
      expect(diff, m.encoding).toBeLessThanOrEqual(TOLERANCE[m.encoding]);
    }
  });

  test('JPEG cameras decode to the frame they were made from', async () => {
    const fx = logFixtures();
    const { messages } = await readAll(fx.log('drive-lz4.bag'), { topics: ['/cam_front/image_raw/compressed'] });
    expect(messages).toHaveLength(4);
    for (const m of messages) {
      const { width, height, rgb } = await decodeLogImage(m);
      expect([width, height]).toEqual([960, 540]);
      expect(meanAbsDiff(rgb, fx.rgbOf(`dash:${m.seq}`))).toBeLessThan(4);
    }
  });

  test('damaged bytes and sizes that disagree with the data are coded errors naming the topic', async () => {
    const bad = { topic: '/cam', encoding: 'jpeg', data: new Uint8Array([0xff, 0xd8, 0xff, 0, 1, 2]) };
    await expect(decodeLogImage(bad)).rejects.toSatisfy(
      (e) => isSegStreamError(e, 'SEGSTREAM_ERR_DECODE_FAILED') && /topic \/cam/.test(e.message),
    );
    const short = { topic: '/cam', encoding: 'rgb8', width: 4, height: 4, step: 12, data: new Uint8Array(40) };
    await expect(decodeLogImage(short)).rejects.toSatisfy((e) => isSegStreamError(e, 'SEGSTREAM_ERR_DECODE_FAILED'));
    const odd = { topic: '/cam', encoding: '64FC1', width: 1, height: 1, step: 8, data: new Uint8Array(8) };
    await expect(decodeLogImage(odd)).rejects.toSatisfy(
      (e) => isSegStreamError(e, 'SEGSTREAM_ERR_LOG_ENCODING_UNSUPPORTED') && /\/cam.*64FC1/.test(e.message),
    );
  });
});
