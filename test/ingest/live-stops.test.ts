/**
 * Live streams that never answer: a silent server is reported as a timeout, a user's Ctrl-C while
 * still connecting is a stop (exit 0), and messages keep the URL's path even when it repeats the
 * user name. No RTSP server needed: a TCP socket that accepts and says nothing.
 */
import { spawn } from 'node:child_process';
import { createServer, type Server, type Socket } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SegStreamError } from '../../src/errors.js';
import { scrubber } from '../../src/ingest/live/args.js';
import { probeLiveStream } from '../../src/ingest/live/probe.js';
import { binPath } from '../helpers/cli.js';
import { bins, repoRoot, tempDir, tinyModelDir } from '../helpers/media.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let silent: Server;
let port = 0;
const sockets = new Set<Socket>();
let tmp: { dir: string; cleanup: () => void };

beforeAll(async () => {
  tmp = tempDir('segstream-live-stops-');
  // Accepts connections, reads the requests and never answers: a camera that hangs.
  silent = createServer((socket) => {
    sockets.add(socket);
    socket.on('data', () => {});
    socket.on('error', () => {});
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
  port = (silent.address() as { port: number }).port;
});
afterAll(async () => {
  for (const s of sockets) s.destroy();
  await new Promise((r) => silent.close(r));
  tmp.cleanup();
});

describe('live streams that do not answer', () => {
  it('a server that accepts but sends nothing is reported as a timeout', async () => {
    const err = await probeLiveStream(`rtsp://127.0.0.1:${port}/stream`, {
      ffprobe: bins.ffprobe.path,
      timeoutMs: 1500,
      connectRetries: 0,
    }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(SegStreamError);
    expect((err as SegStreamError).code).toBe('SEGSTREAM_ERR_STREAM_UNREACHABLE');
    expect((err as SegStreamError).message).toMatch(/timed out/);
    expect((err as SegStreamError).message).not.toMatch(/Invalid data/);
  });

  it('Ctrl-C while still connecting exits 0 with a stopped summary and writes nothing', async () => {
    const output = path.join(tmp.dir, 'never.mp4');
    const child = spawn(
      process.execPath,
      [
        binPath,
        `rtsp://viewer:pw-secret@127.0.0.1:${port}/stream`,
        '-o',
        output,
        '--model',
        tinyModelDir,
        '--timeout',
        '5',
        '--json',
      ],
      {
        cwd: repoRoot,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const closed = new Promise<number | null>((resolve) => child.on('close', resolve));
    // Wait until ffprobe is connected to the silent server, then stop.
    for (let i = 0; i < 200 && sockets.size === 0; i++) await sleep(50);
    expect(sockets.size).toBeGreaterThan(0);
    child.kill('SIGINT');
    const code = await closed;
    expect(code, stderr).toBe(0);
    expect(stderr).not.toContain('SEGSTREAM_ERR');
    const summary = JSON.parse(stdout);
    expect([summary.stopped, summary.frames, summary.outputs]).toEqual(['signal', 0, {}]);
    expect(stdout + stderr).not.toContain('pw-secret');
    const { existsSync } = await import('node:fs');
    expect(existsSync(output)).toBe(false);
  });

  it('a user name that also appears in the URL path leaves the path readable; the password never shows', () => {
    const scrub = scrubber('rtsp://cam:pw-1234@10.0.0.5:554/cam/main');
    expect(scrub('rtsp://cam:pw-1234@10.0.0.5:554/cam/main: 404 Not Found (password pw-1234)')).toBe(
      'rtsp://***@10.0.0.5:554/cam/main: 404 Not Found (password ***)',
    );
    // A user name the URL does not show elsewhere is still scrubbed wherever it appears.
    expect(scrubber('rtsp://admin:pw-1234@10.0.0.5/s')('tried admin')).toBe('tried ***');
  });
});
