/**
 * A finite file on an HTTP server (logs on a web server or object store, presigned URLs) is read
 * as a file: every frame, no drops or reconnects, and the run ends by itself.
 */
import { createServer, type Server } from 'node:http';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { makeIndexedVideo, probe, tempDir, tinyModelDir } from '../helpers/media.js';

/** Serves one file with Range support, like any static web server or object store. */
function serveFile(bytes: Buffer): Promise<Server> {
  const server = createServer((req, res) => {
    const range = /bytes=(\d+)-(\d*)/.exec(req.headers.range ?? '');
    const start = range ? Number(range[1]) : 0;
    const end = range && range[2] ? Number(range[2]) : bytes.length - 1;
    res.writeHead(range ? 206 : 200, {
      'content-type': 'video/mp4',
      'accept-ranges': 'bytes',
      'content-length': end - start + 1,
      ...(range ? { 'content-range': `bytes ${start}-${end}/${bytes.length}` } : {}),
    });
    res.end(req.method === 'HEAD' ? undefined : bytes.subarray(start, end + 1));
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

describe('http(s):// URL to a finite file', () => {
  const tmp = tempDir();
  let server: Server;
  let url = '';
  beforeAll(async () => {
    const file = path.join(tmp.dir, 'drive.mp4');
    await makeIndexedVideo(file, { width: 96, height: 64, frames: 40, fps: '25', audio: true });
    server = await serveFile(readFileSync(file));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/logs/drive.mp4?X-Amz-Signature=secret`;
  });
  afterAll(() => {
    server?.close();
    tmp.cleanup();
  });

  const common = ['-m', tinyModelDir, '-q', '--json', '--workers', '1', '--threads', '1'];

  it('is read as a file: every frame, audio kept, no drops, ends by itself', async () => {
    const out = path.join(tmp.dir, 'overlay.mp4');
    const r = await runCli([url, '-o', out, ...common], { timeoutMs: 60_000 });
    expect(r.code).toBe(0);
    const summary = JSON.parse(r.stdout) as {
      live: boolean;
      frames: number;
      droppedFrames: number;
      reconnects: number;
      stopped: string;
    };
    expect(summary).toMatchObject({ live: false, frames: 40, droppedFrames: 0, reconnects: 0, stopped: 'end' });
    const facts = probe(out);
    expect(facts.video.frames).toBe(40);
    expect(facts.audio).toHaveLength(1);
  }, 90_000);

  it('--live forces the live path; --live with --no-live is a usage error', async () => {
    const r = await runCli(
      [url, '--masks', path.join(tmp.dir, 'live-masks'), '--live', '--frames', '5', '--reconnect-max', '0', ...common],
      { timeoutMs: 60_000 },
    );
    // The live path: it either reaches --frames, or (newest frame wins, no reconnects allowed)
    // reports the stream's end as a lost stream; a file run would do neither.
    if (r.code === 0) expect(JSON.parse(r.stdout)).toMatchObject({ live: true });
    else expect(r.stderr).toMatch(/SEGSTREAM_ERR_STREAM_LOST/);
    const both = await runCli([url, '-o', path.join(tmp.dir, 'x.mp4'), '--live', '--no-live']);
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/SEGSTREAM_ERR_USAGE: --live and --no-live/);
  }, 90_000);
});
