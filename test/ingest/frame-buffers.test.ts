import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lastValueFrom, tap } from 'rxjs';
import { FrameBuffers } from '../../src/ingest/frame-buffers.js';
import { InFlightGate } from '../../src/ingest/gate.js';
import { probeVideo } from '../../src/ingest/probe.js';
import { decodeFrames } from '../../src/ingest/video-decoder.js';
import { bins, makeIndexedVideo, tempDir } from '../helpers/media.js';

describe('FrameBuffers', () => {
  it('hands given-back buffers out again and makes new ones only when none is free', () => {
    const pool = new FrameBuffers(16, 2);
    const a = pool.take();
    const b = pool.take();
    expect(pool.allocated).toBe(2);
    pool.give(a);
    expect(pool.take()).toBe(a);
    pool.give(b);
    pool.give(b);
    expect(pool.free).toBe(1);
    expect(pool.allocated).toBe(2);
  });

  it('keeps at most `max` buffers and ignores views it could not hand out whole', () => {
    const pool = new FrameBuffers(16, 2);
    for (let i = 0; i < 5; i++) pool.give(new Uint8Array(16));
    expect(pool.free).toBe(2);
    pool.clear();
    pool.give(new Uint8Array(32).subarray(0, 16));
    pool.give(new Uint8Array(8));
    pool.give(new Uint8Array(new SharedArrayBuffer(16)));
    const moved = new Uint8Array(16);
    structuredClone(moved.buffer, { transfer: [moved.buffer] });
    pool.give(moved);
    expect(pool.free).toBe(0);
  });
});

describe('decodeFrames with a FrameBuffers pool', () => {
  const tmp = tempDir();
  const file = path.join(tmp.dir, 'indexed.mp4');
  const [width, height, frames] = [64, 48, 40];
  beforeAll(() => makeIndexedVideo(file, { width, height, frames, fps: '25/1' }));
  afterAll(() => tmp.cleanup());

  /** Decodes the whole file; each frame's bytes are copied, its buffer given back and its slot released. */
  async function decodeAllFrames(buffers?: FrameBuffers): Promise<Uint8Array[]> {
    const info = await probeVideo(file, { ffprobe: bins.ffprobe.path });
    const gate = new InFlightGate(3);
    const seen: Uint8Array[] = [];
    await lastValueFrom(
      decodeFrames({ ffmpeg: bins.ffmpeg.path, info, gate, buffers }).pipe(
        tap((frame) => {
          seen.push(frame.pixels.slice());
          buffers?.give(frame.pixels);
          gate.release();
        }),
      ),
    );
    return seen;
  }

  it('decodes into reused buffers (no more than the frames in flight) with the same bytes as fresh ones', async () => {
    const info = await probeVideo(file, { ffprobe: bins.ffprobe.path });
    const buffers = new FrameBuffers((info.width * info.height * 3) / 2, 3);
    const pooled = await decodeAllFrames(buffers);
    const fresh = await decodeAllFrames();
    expect(pooled.length).toBe(frames);
    expect(pooled).toEqual(fresh);
    expect(buffers.allocated).toBeLessThanOrEqual(2);
  });
});
