/**
 * foxglove.CompressedVideo topics: H.264 access units read from an MCAP and decoded by one ffmpeg
 * child per topic give the frames they were encoded from, each paired with its message; no child is
 * left behind, also when the decoder is destroyed mid-stream or fed garbage.
 */
import { afterAll, describe, expect, test } from 'vitest';
import { liveChildCount } from '../../../src/process/child.js';
import { openVideoTopic, type VideoFrame } from '../../../src/runs/logs/video-topic.js';
import type { LogImageMessage } from '../../../src/runs/logs/types.js';
import { isSegStreamError } from '../../../src/errors.js';
import { cleanupLogFixtures, haveLogTools, logFixtures, readAll } from '../../helpers/logs.js';
import { bins } from '../../helpers/media.js';

const ok = haveLogTools();
afterAll(cleanupLogFixtures);

async function decodeAll(messages: LogImageMessage[]): Promise<{ frames: VideoFrame[]; undecoded: number }> {
  const video = openVideoTopic('/cam_front/video', 'h264', { ffmpeg: bins.ffmpeg.path });
  const frames: VideoFrame[] = [];
  const consumer = (async () => {
    for await (const f of video.frames()) frames.push(f);
  })();
  for (const m of messages) await video.push(m);
  video.end();
  await consumer;
  return { frames, undecoded: video.undecoded };
}

describe.skipIf(!ok)('video topics', () => {
  test('H.264 access units decode to their frames, in message order', async () => {
    const fx = logFixtures();
    const { messages } = await readAll(fx.log('foxglove-proto.mcap'), { topics: ['/cam_front/video'] });
    expect(messages.map((m) => m.encoding)).toEqual(['h264', 'h264', 'h264', 'h264']);
    const { frames, undecoded } = await decodeAll(messages);
    expect(undecoded).toBe(0);
    expect(frames.map((f) => f.message.seq)).toEqual([0, 1, 2, 3]);
    for (const f of frames) {
      expect([f.width, f.height]).toEqual([960, 540]);
      const src = fx.rgbOf(`dash:${f.message.seq}`);
      let diff = 0;
      for (let i = 0; i < src.length; i++) diff += Math.abs(src[i] - f.rgb[i]);
      expect(diff / src.length).toBeLessThan(6);
    }
    expect(liveChildCount()).toBe(0);
  });

  test('garbage instead of H.264: a coded error or no frame, never a hang; destroy leaves no child', async () => {
    const junk = (seq: number): LogImageMessage => ({
      topic: '/cam_front/video',
      family: 'foxglove',
      seq,
      logTimeNs: 0n,
      publishTimeNs: 0n,
      stampNs: 0n,
      frameId: '',
      encoding: 'h264',
      data: new Uint8Array(4096).fill(seq + 7),
    });
    try {
      const { frames } = await decodeAll([junk(0), junk(1)]);
      expect(frames).toHaveLength(0);
    } catch (e) {
      expect(isSegStreamError(e, 'SEGSTREAM_ERR_DECODE_FAILED')).toBe(true);
    }
    const video = openVideoTopic('/v', 'h264', { ffmpeg: bins.ffmpeg.path });
    await video.push(junk(0));
    await video.destroy();
    await video.destroy();
    expect(liveChildCount()).toBe(0);
  });
});
