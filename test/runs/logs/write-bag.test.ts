/**
 * The ROS 1 bag writer, read back by ROS's own Python `rosbag` (through the bag's index, as
 * `rosbag info` does): counts, exact header stamps and frame ids, the bag's time = the source's
 * log time, class ids byte for byte, md5sums equal to ROS's own message classes, the latched class
 * table, several chunks, copied topics, and a file only published once complete.
 */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BagLogWriter } from '../../../src/runs/logs/writers/bag.js';
import { CLASSES_TOPIC } from '../../../src/runs/logs/writers/log-writer.js';
import type { LogFrameOutput } from '../../../src/runs/logs/log-frame.js';
import type { MessageFamily } from '../../../src/runs/logs/types.js';
import { haveLogTools, readBagWithRos, rosbagInfo } from '../../helpers/logs.js';
import { tempDir } from '../../helpers/media.js';

const classes = {
  model: 'm',
  classes: [
    { id: 0, name: 'road', color: [128, 64, 128] as [number, number, number] },
    { id: 1, name: 'car', color: [0, 0, 142] as [number, number, number] },
  ],
  freeSpace: ['road'],
};
// 1000x800 mono8, two images a frame: a chunk is written once past 4 MiB (3 frames), so 5 frames make 2 chunks.
const W = 1000;
const H = 800;

function output(family: MessageFamily, i: number): LogFrameOutput {
  const classIds = Uint8Array.from({ length: W * H }, (_, k) => (k * 7 + i) % 5);
  return {
    no: i,
    width: W,
    height: H,
    classIds,
    freeSpace: classIds.map((c) => (c === 0 ? 255 : 0)),
    overlayJpeg: Uint8Array.from([0xff, 0xd8, i, 0xff, 0xd9]),
    source: {
      topic: '/cam/image',
      family,
      seq: i,
      logTimeNs: 1_700_000_000_000_000_000n + BigInt(i) * 40_000_000n,
      publishTimeNs: 5n,
      stampNs: 1_600_000_000_123_456_789n + BigInt(i),
      frameId: `cam_${i}`,
      encoding: 'jpeg',
    },
  };
}

describe.skipIf(!haveLogTools())('BagLogWriter', () => {
  const tmp = tempDir();
  afterAll(() => tmp.cleanup());

  for (const family of ['ros1', 'ros2'] as const) {
    it(`writes a ${family} camera's class ids, free space and overlay as ROS 1 messages that ROS's rosbag reads through the index`, async () => {
      const file = path.join(tmp.dir, `${family}.bag`);
      const w = new BagLogWriter({ path: file, family, classes, overlay: true });
      await w.open();
      expect(readdirSync(tmp.dir)).not.toContain(`${family}.bag`);
      for (let i = 0; i < 5; i++) await w.write(output(family, i));
      const copied = new TextEncoder().encode('string data\n');
      await w.copy(
        '/note',
        { name: 'std_msgs/String', encoding: 'ros1msg', messageEncoding: 'ros1', data: copied },
        new Map([['md5sum', '992ce8a1687cec8c8bd883ec73ca41d1']]),
        1_700_000_000_010_000_000n,
        0n,
        Uint8Array.from([2, 0, 0, 0, 0x68, 0x69]),
      );
      await w.finish();
      expect(readdirSync(tmp.dir).filter((f) => f.startsWith('.'))).toEqual([]);

      expect(rosbagInfo(file)).toMatch(
        /compression: none \[2\/2 chunks\][\s\S]*\/cam\/image\/seg\/class_ids\s+5 msgs\s+: sensor_msgs\/Image/,
      );
      const bag = readBagWithRos(file);
      expect(bag.counts).toEqual({
        '/cam/image/seg/class_ids': 5,
        '/cam/image/seg/free_space': 5,
        '/cam/image/seg/overlay': 5,
        [CLASSES_TOPIC]: 1,
        '/note': 1,
      });
      for (const c of bag.connections) expect(c.md5sum).toBe(c.md5Expected);
      expect(bag.connections.find((c) => c.topic === CLASSES_TOPIC)?.latching).toBe(true);
      expect(JSON.parse(bag.messages.find((m) => m.topic === CLASSES_TOPIC)!.text!)).toEqual(classes);
      expect(bag.messages.find((m) => m.topic === '/note')?.text).toBe('hi');

      const ids = bag.messages.filter((m) => m.topic === '/cam/image/seg/class_ids');
      ids.forEach((m, i) => {
        const src = output(family, i);
        expect([m.timeNs, m.stampNs, m.frameId]).toEqual([
          String(src.source.logTimeNs),
          String(src.source.stampNs),
          src.source.frameId,
        ]);
        expect([m.width, m.height, m.encoding, m.step]).toEqual([W, H, 'mono8', W]);
        expect(Buffer.from(m.data!, 'base64').equals(Buffer.from(src.classIds!))).toBe(true);
      });
      const free = bag.messages.filter((m) => m.topic === '/cam/image/seg/free_space');
      expect(Buffer.from(free[3].data!, 'base64').equals(Buffer.from(output(family, 3).freeSpace!))).toBe(true);
      const overlay = bag.messages.filter((m) => m.topic === '/cam/image/seg/overlay');
      expect(overlay.map((m) => [m.format, m.stampNs])).toEqual(ids.map((m) => ['jpeg', m.stampNs]));
    });
  }

  it('abort leaves nothing under the final name and no temporary', async () => {
    const file = path.join(tmp.dir, 'aborted.bag');
    const w = new BagLogWriter({ path: file, family: 'ros1', classes, overlay: false });
    await w.open();
    await w.write(output('ros1', 0));
    await w.abort();
    expect(readdirSync(tmp.dir).filter((f) => f.includes('aborted'))).toEqual([]);
  });
});
