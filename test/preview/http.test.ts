/**
 * The preview over plain HTTP during real runs of the dashcam clip: `/stats`, the event stream
 * and the pictures report the run and end with its `--json` summary; clients that never read do
 * not hold the run up and are dropped; the port is free afterwards.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import { segmentVideo, type RunSummary } from '../../src/runs/video/segment-video.js';
import { PreviewServer } from '../../src/preview/server.js';
import { bins, haveShared, sharedDir, tempDir } from '../helpers/media.js';
import { get, portFree, readEvents, startPreviewRun, type PreviewEventData } from '../helpers/preview.js';

const clip = path.join(sharedDir, 'samples', 'solidWhiteRight.mp4');

/** Share of pixels whose channels differ by more than `tolerance` (0 for a grey picture). */
async function colourShare(jpeg: Buffer, tolerance = 24): Promise<number> {
  const { data, info } = await sharp(jpeg).raw().toBuffer({ resolveWithObject: true });
  let coloured = 0;
  for (let i = 0; i < data.length; i += info.channels) {
    const [r, g, b] = [data[i], data[i + 1], data[i + 2]];
    if (Math.max(r, g, b) - Math.min(r, g, b) > tolerance) coloured++;
  }
  return coloured / (info.width * info.height);
}

describe.runIf(haveShared())('preview over HTTP', () => {
  const tmp = tempDir();
  afterAll(() => tmp.cleanup());

  it('the event stream follows a CLI run and ends with its --json summary; pictures are JPEGs of the overlay', async () => {
    const run = startPreviewRun([
      clip,
      '-o',
      path.join(tmp.dir, 'overlay.mp4'),
      '--frames',
      '80',
      '--free-space',
      path.join(tmp.dir, 'free'),
      '--preview',
      '0',
      '--json',
      '-q',
    ]);
    const url = await run.url;
    expect(url.hostname).toBe('127.0.0.1');
    const events = readEvents(new URL('/events', url));
    const picture = await get(new URL('/frame.jpg?view=overlay&after=-1', url));
    const result = await run.done;
    expect(result.code, result.stderr).toBe(0);
    const summary = JSON.parse(result.stdout) as RunSummary;

    expect(picture.status).toBe(200);
    expect(picture.headers['content-type']).toBe('image/jpeg');
    const meta = await sharp(picture.body).metadata();
    expect([meta.width, meta.height]).toEqual([640, 360]);
    expect(Number(picture.headers['x-frame-index'])).toBeGreaterThanOrEqual(0);
    // The run computes free space: the boundary comes with the picture, one value per column.
    const boundary = String(picture.headers['x-free-space-boundary']).split(',');
    expect(boundary.length).toBeGreaterThan(32);
    expect(boundary.some((v) => v !== '' && Number(v) > 0.3 && Number(v) < 1)).toBe(true);

    const all = await events;
    const stats = all.filter((e) => e.event === 'stats').map((e) => e.data);
    const end = all.at(-1)!;
    expect(end.event).toBe('end');
    expect(end.data.state).toBe('finished');
    expect(end.data.summary).toEqual(summary);
    for (const key of ['frames', 'fps', 'latencyMs', 'droppedFrames', 'reconnects'] as const)
      expect(end.data[key]).toEqual(summary[key]);
    expect(end.data.total).toBe(80);
    expect(stats.length).toBeGreaterThan(0);
    for (let i = 1; i < stats.length; i++) expect(stats[i].frames).toBeGreaterThanOrEqual(stats[i - 1].frames);
    expect(stats.every((s) => s.frames <= summary.frames)).toBe(true);
    // The legend is the model card's; the shares are of a road scene.
    expect(end.data.legend.model).toBe(summary.model);
    expect(end.data.legend.classes.map((c: { name: string }) => c.name)).toContain('Road');
    expect(end.data.legend.boundary).toBe(true);
    expect(end.data.shares!.road).toBeGreaterThan(0.1);
    expect(end.data.shares!.road).toBeLessThan(1);
    expect(await portFree(Number(url.port))).toBe(true);
  });

  it('/stats after the run is the summary; a masks-only run gets its pictures painted by the preview', async () => {
    const preview = await new PreviewServer({ port: 0, input: clip }).start();
    try {
      const base = new URL(preview.url);
      const before = JSON.parse((await get(new URL('/stats', base))).body.toString()) as PreviewEventData;
      expect(before.state).toBe('starting');
      const run = preview.track(segmentVideo({ input: clip, masks: path.join(tmp.dir, 'masks'), frames: 40, preview }));
      const pictures = await Promise.all(
        (['overlay', 'classes', 'free-space'] as const).map((view) => get(new URL(`/frame.jpg?view=${view}`, base))),
      );
      const summary = await run;
      const after = JSON.parse((await get(new URL('/stats', base))).body.toString()) as PreviewEventData;
      expect(after.state).toBe('finished');
      expect(after.summary).toEqual(JSON.parse(JSON.stringify(summary)));
      for (const key of ['frames', 'fps', 'latencyMs', 'droppedFrames', 'reconnects'] as const)
        expect(after[key]).toEqual(summary[key]);
      expect(pictures.map((p) => p.status)).toEqual([200, 200, 200]);
      // Overlay and class colours are in colour, the free-space mask is black and white.
      const [overlay, classes, free] = await Promise.all(pictures.map((p) => colourShare(p.body)));
      expect(overlay).toBeGreaterThan(0.05);
      expect(classes).toBeGreaterThan(0.5);
      expect(free).toBeLessThan(0.01);
      // No boundary without a free-space output.
      expect(pictures[0].headers['x-free-space-boundary']).toBeUndefined();
    } finally {
      await preview.close();
    }
    expect(await portFree(preview.port)).toBe(true);
  });

  it('a batch run over two frame folders: pictures from both sequences, the events end with its summary', async () => {
    const root = path.join(tmp.dir, 'frames');
    for (const [seq, start] of [
      ['a', 0],
      ['b', 100],
    ] as const) {
      mkdirSync(path.join(root, seq), { recursive: true });
      const r = spawnSync(bins.ffmpeg.path, [
        '-v',
        'error',
        '-ss',
        String(start / 25),
        '-i',
        clip,
        '-frames:v',
        '20',
        path.join(root, seq, '%06d.png'),
      ]);
      expect(r.status, String(r.stderr)).toBe(0);
    }
    const run = startPreviewRun([
      'batch',
      root,
      '--masks',
      path.join(tmp.dir, 'batch-masks'),
      '--free-space-json',
      path.join(tmp.dir, 'fs.jsonl'),
      '--preview',
      '0',
      '--json',
      '-q',
    ]);
    const url = await run.url;
    const events = readEvents(new URL('/events', url));
    const frames: string[] = [];
    let after = -1;
    for (;;) {
      const p = await get(new URL(`/frame.jpg?view=classes&after=${after}`, url)).catch(() => undefined);
      if (p?.status !== 200) break;
      after = Number(p.headers['x-picture']);
      frames.push(String(p.headers['x-frame-index']));
      expect(p.headers['x-free-space-boundary']).toBeDefined();
    }
    const result = await run.done;
    expect(result.code, result.stderr).toBe(0);
    const summary = JSON.parse(result.stdout) as RunSummary;
    expect(summary.frames).toBe(40);
    expect(frames.length).toBeGreaterThan(1);
    const end = (await events).at(-1)!;
    expect(end.event).toBe('end');
    expect(end.data.summary).toEqual(summary);
    expect(end.data.total).toBe(40);
    expect(end.data.frames).toBe(40);
  });

  it('clients that never read are dropped; the run finishes every frame and frees the port', async () => {
    const run = startPreviewRun([
      clip,
      '--masks',
      path.join(tmp.dir, 'stall'),
      '--frames',
      '80',
      '--preview',
      '127.0.0.1:0',
      '--json',
      '-q',
    ]);
    const url = await run.url;
    const port = Number(url.port);
    const open = (request: string) => {
      const socket = net.connect({ host: '127.0.0.1', port });
      socket.pause();
      socket.on('error', () => {});
      socket.write(request);
      const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
      // Read at last (only then can the socket see that the server has closed it).
      return () => socket.resume() && closed;
    };
    const host = `Host: 127.0.0.1:${port}\r\n`;
    const closed = [
      open(`GET /events HTTP/1.1\r\n${host}\r\n`),
      open(`GET /frame.jpg?after=-1 HTTP/1.1\r\n${host}\r\n`.repeat(200)),
      open(''),
    ];
    const result = await run.done;
    expect(result.code, result.stderr).toBe(0);
    expect((JSON.parse(result.stdout) as RunSummary).frames).toBe(80);
    await Promise.all(closed.map((readAndClose) => readAndClose()));
    expect(await portFree(port)).toBe(true);
  });
});

describe('preview: bad input', () => {
  it('a token is required in the URL when set: missing or wrong is 403', async () => {
    const preview = await new PreviewServer({ port: 0, token: 'secret-token-1' }).start();
    try {
      const base = `http://127.0.0.1:${preview.port}`;
      expect(preview.url).toBe(`${base}/?token=secret-token-1`);
      for (const p of ['/', '/stats', '/events', '/frame.jpg']) {
        expect((await get(`${base}${p}`)).status).toBe(403);
        expect((await get(`${base}${p}?token=secret-token-2`)).status).toBe(403);
      }
      expect((await get(`${base}/stats?token=secret-token-1`)).status).toBe(200);
      const page = await get(preview.url);
      expect(page.status).toBe(200);
      expect(page.body.toString()).toContain('<canvas id="picture"');
    } finally {
      await preview.close();
    }
  });

  it("without a token, only this machine's names are served (no DNS rebinding)", async () => {
    const preview = await new PreviewServer({ port: 0 }).start();
    try {
      const base = `http://127.0.0.1:${preview.port}`;
      expect((await get(`${base}/stats`)).status).toBe(200);
      expect((await get(`${base}/stats`, { Host: `localhost:${preview.port}` })).status).toBe(200);
      expect((await get(`${base}/stats`, { Host: `attacker.example:${preview.port}` })).status).toBe(403);
    } finally {
      await preview.close();
    }
  });
});
