/**
 * The preview of a live stream (a real RTSP server) that is lost and comes back: the event
 * stream says `reconnecting`, then `running` again with frames still counted and pictures still
 * coming; the stream's password never reaches the page's data.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { segmentVideo } from '../../src/runs/video/segment-video.js';
import { PreviewServer } from '../../src/preview/server.js';
import { tempDir, tinyModelDir } from '../helpers/media.js';
import { get, readEvents } from '../helpers/preview.js';
import { gstreamerAvailable, makeLiveClip, startRtspServer, type RtspServer } from '../helpers/rtsp.js';

describe.runIf(gstreamerAvailable())('preview of a live stream', () => {
  const tmp = tempDir('segstream-preview-live-');
  const clip = path.join(tmp.dir, 'camera.mp4');
  let server: RtspServer;
  beforeAll(async () => {
    makeLiveClip(clip, { seconds: 10, size: '320x240', gop: 25 });
    server = await startRtspServer({ file: clip, user: 'viewer', password: 's3cret-pw' });
  });
  afterAll(async () => {
    await server?.stop();
    tmp.cleanup();
  });

  it('keeps working across a reconnect, and never shows the password', async () => {
    const preview = await new PreviewServer({ port: 0, input: server.url, live: true }).start();
    try {
      const base = new URL(preview.url);
      const states: string[] = [];
      let framesAtLoss = -1;
      let framesBack = -1;
      let lost = false;
      let restarted: Promise<void> | undefined;
      const events = readEvents(new URL('/events', base), ({ data }) => {
        if (states.at(-1) !== data.state) states.push(data.state);
        // Take the server away once frames flow; bring it back once the run has noticed.
        if (!lost && data.state === 'running' && data.frames > 10) {
          lost = true;
          framesAtLoss = data.frames;
          void server.stop();
        }
        if (lost && !restarted && data.state === 'reconnecting') restarted = server.restart();
        if (restarted && data.state === 'running' && framesBack < 0 && data.frames > framesAtLoss)
          framesBack = data.frames;
      });
      const run = preview.track(
        segmentVideo({
          input: server.url,
          output: path.join(tmp.dir, 'live.mp4'),
          model: tinyModelDir,
          duration: 12,
          reconnectDelayMs: 200,
          timeoutMs: 2000,
          preview,
        }),
      );
      // Pictures keep coming after the reconnect: wait for one made after the stream is back.
      let picturesAfterReturn = 0;
      let after = -1;
      // Once the run has ended no picture comes: stop asking (the assertions below then say what failed).
      let runEnded = false;
      run.then(
        () => (runEnded = true),
        () => (runEnded = true),
      );
      while (picturesAfterReturn === 0) {
        const p = await get(new URL(`/frame.jpg?after=${after}`, base));
        if (p.status !== 200) {
          if (runEnded) break;
          continue;
        }
        after = Number(p.headers['x-picture']);
        if (framesBack > 0) picturesAfterReturn++;
      }
      const summary = await run;
      const all = await events;
      expect(states).toContain('reconnecting');
      expect(states.slice(states.indexOf('reconnecting'))).toContain('running');
      expect(states.at(-1)).toBe('finished');
      expect(framesBack).toBeGreaterThan(framesAtLoss);
      expect(picturesAfterReturn).toBeGreaterThan(0);
      expect(summary.reconnects).toBeGreaterThanOrEqual(1);
      expect(all.at(-1)!.data.reconnects).toBe(summary.reconnects);
      expect(JSON.stringify(all)).not.toContain('s3cret-pw');
      expect(all.at(-1)!.data.input).toContain('***@');
    } finally {
      await preview.close();
    }
  });
});
