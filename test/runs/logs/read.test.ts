/**
 * Reading driving logs written by the formats' own writers (ROS's Python rosbag, @mcap/core's
 * McapWriter): every camera message back, in log-time order, with exact stamps and frame ids.
 */
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, test } from 'vitest';
import { readLogImages } from '../../../src/runs/logs/readers/index.js';
import type { LogDamage } from '../../../src/runs/logs/types.js';
import { cleanupLogFixtures, expectedCameras, haveLogTools, logFixtures, readAll } from '../../helpers/logs.js';

const ok = haveLogTools();
afterAll(cleanupLogFixtures);

const LOGS = [
  'drive-none.bag',
  'drive-bz2.bag',
  'drive-lz4.bag',
  'ros2-zstd.mcap',
  'ros2-lz4.mcap',
  'ros1.mcap',
  'foxglove-json.mcap',
  'foxglove-proto.mcap',
];

describe.skipIf(!ok)('readLogImages on logs written by rosbag and McapWriter', () => {
  test.each(LOGS)('%s: every camera message, in log-time order, exact stamps and frame ids', async (name) => {
    const fx = logFixtures();
    const want = expectedCameras(fx.manifest(name));
    const { messages, damage } = await readAll(fx.log(name));
    expect(messages.map((m) => [m.topic, String(m.logTimeNs), String(m.stampNs), m.frameId, m.encoding])).toEqual(
      want.map((m) => [m.topic, m.logTimeNs, m.stampNs, m.frameId, m.encoding]),
    );
    const seqs = new Map<string, number>();
    for (const [i, m] of messages.entries()) {
      const [set, k] = want[i].source!.split(':') as ['camvid' | 'dash', string];
      if (m.encoding === 'jpeg')
        expect(Buffer.from(m.data).equals(readFileSync(fx.frames[set][Number(k)].jpg))).toBe(true);
      if (m.encoding === 'rgb8') expect(Buffer.from(m.data).equals(Buffer.from(fx.rgbOf(want[i].source!)))).toBe(true);
      if (m.encoding === 'bgr8') expect([m.width, m.height, m.step]).toEqual([480, 360, 480 * 3]);
      expect(m.seq).toBe(seqs.get(m.topic) ?? 0);
      seqs.set(m.topic, m.seq + 1);
      expect(m.data.length).toBeGreaterThan(1000);
    }
    expect(damage).toMatchObject({
      truncated: false,
      corruptChunks: 0,
      messagesRead: want.length,
      messagesExpected: want.length,
      unsupported: [],
    });
  });

  test('an aborted signal or an early break ends the read quietly, onDamage called once', async () => {
    const fx = logFixtures();
    for (const name of ['ros2-zstd.mcap', 'drive-lz4.bag']) {
      const controller = new AbortController();
      const reports: LogDamage[] = [];
      const seen: string[] = [];
      for await (const m of readLogImages(fx.log(name), {
        signal: controller.signal,
        onDamage: (d) => reports.push(d),
      })) {
        seen.push(m.topic);
        if (seen.length === 2) controller.abort();
      }
      expect(seen).toHaveLength(2);
      expect(reports).toHaveLength(1);
      expect(reports[0].messagesRead).toBe(2);
      const early: LogDamage[] = [];
      for await (const _ of readLogImages(fx.log(name), { onDamage: (d) => early.push(d) })) break;
      expect(early.map((d) => d.messagesRead)).toEqual([1]);
    }
  });
});
