import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lastValueFrom, take, tap, toArray } from 'rxjs';
import { FrameBuffers } from '../../src/ingest/frame-buffers.js';
import { InFlightGate } from '../../src/ingest/gate.js';
import { probeVideo } from '../../src/ingest/probe.js';
import { decodeFrames } from '../../src/ingest/video-decoder.js';
import type { ManagedChild } from '../../src/process/child.js';
import { bins, makeIndexedVideo, tempDir } from '../helpers/media.js';

const direct = process.platform !== 'win32';
const sockets = () => readdirSync(tmpdir()).filter((n) => n.startsWith(`seg-stream-${process.pid}-`));

describe('decodeFrames reads ffmpeg straight into the frame buffers', () => {
  const tmp = tempDir();
  const file = path.join(tmp.dir, 'indexed.mp4');
  const [width, height, frames] = [66, 46, 30];
  const frameBytes = width * height + 2 * 33 * 23;
  beforeAll(() => makeIndexedVideo(file, { width, height, frames, fps: '25/1' }));
  afterAll(() => tmp.cleanup());

  it.runIf(direct)(
    'through a socket, not a pipe: the same bytes as ffmpeg writes, in pooled buffers, no socket file left',
    async () => {
      const info = await probeVideo(file, { ffprobe: bins.ffprobe.path });
      const gate = new InFlightGate(2);
      const buffers = new FrameBuffers(frameBytes, 2);
      let child: ManagedChild | undefined;
      const seen: Uint8Array[] = [];
      await lastValueFrom(
        decodeFrames({ ffmpeg: bins.ffmpeg.path, info, gate, buffers, onSpawn: (c) => (child = c) }).pipe(
          tap((frame) => {
            seen.push(frame.pixels.slice());
            buffers.give(frame.pixels);
            gate.release();
          }),
        ),
      );
      expect(child!.process.stdout).toBeNull(); // ffmpeg's stdout is the socket
      const want = execFileSync(bins.ffmpeg.path, [
        ...['-v', 'error', '-i', file, '-map', '0:v:0', '-vsync', 'passthrough'],
        ...['-f', 'rawvideo', '-pix_fmt', 'yuv420p', 'pipe:1'],
      ]);
      expect(Buffer.concat(seen)).toEqual(want);
      expect(seen.length).toBe(frames);
      expect(buffers.allocated).toBeLessThanOrEqual(2);
      expect(sockets()).toEqual([]);
    },
  );

  it('a consumer that stops early ends ffmpeg and leaves no socket behind', async () => {
    const info = await probeVideo(file, { ffprobe: bins.ffprobe.path });
    const gate = new InFlightGate(1);
    let child: ManagedChild | undefined;
    const got = await lastValueFrom(
      decodeFrames({ ffmpeg: bins.ffmpeg.path, info, gate, onSpawn: (c) => (child = c) }).pipe(
        tap(() => gate.release()),
        take(3),
        toArray(),
      ),
    );
    expect(got.map((f) => f.index)).toEqual([0, 1, 2]);
    await child!.exited;
    expect(sockets()).toEqual([]);
  });
});
