/**
 * The log writer, read back with independent readers: @mcap/core's indexed reader and the
 * family's own deserializers (rosmsg-serialization, rosmsg2-serialization, protobuf from the
 * file's own descriptor). Stamps and frame ids exact, log times the source's, the class table
 * as metadata and a latched message, and a file that is only published once complete.
 */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { McapLogWriter, CLASSES_TOPIC } from '../../../src/runs/logs/writers/mcap.js';
import type { LogFrameOutput } from '../../../src/runs/logs/log-frame.js';
import type { MessageFamily } from '../../../src/runs/logs/types.js';
import { tempDir } from '../../helpers/media.js';
import { readBack, stampOf } from './read-back.js';

const classes = {
  model: 'm',
  classes: [
    { id: 0, name: 'road', color: [128, 64, 128] as [number, number, number] },
    { id: 1, name: 'car', color: [0, 0, 142] as [number, number, number] },
  ],
  freeSpace: ['road'],
};

function output(family: MessageFamily, i: number): LogFrameOutput {
  const width = 5;
  const height = 3;
  const classIds = Uint8Array.from({ length: 15 }, (_, k) => (k + i) % 2);
  return {
    no: i,
    width,
    height,
    classIds,
    freeSpace: classIds.map((c) => (c === 0 ? 255 : 0)),
    overlayJpeg: Uint8Array.from([0xff, 0xd8, 0xff, 0xd9]),
    source: {
      topic: '/cam/image',
      family,
      seq: i,
      logTimeNs: 1_700_000_000_000_000_000n + BigInt(i) * 40_000_000n,
      publishTimeNs: 5n + BigInt(i),
      stampNs: 1_600_000_000_123_456_789n + BigInt(i),
      frameId: `cam_${i}`,
      encoding: 'jpeg',
    },
  };
}

describe('McapLogWriter', () => {
  const tmp = tempDir();
  afterAll(() => tmp.cleanup());

  for (const family of ['ros1', 'ros2', 'foxglove'] as const) {
    it(`writes ${family} class ids, free space and overlay with exact stamps, read back by independent readers`, async () => {
      const file = path.join(tmp.dir, `${family}.mcap`);
      const w = new McapLogWriter({ path: file, family, classes, overlay: true });
      await w.open();
      expect(readdirSync(tmp.dir)).not.toContain(`${family}.mcap`);
      for (let i = 0; i < 3; i++) await w.write(output(family, i));
      await w.finish();
      const { reader, messages, metadata } = await readBack(file);
      expect(reader.header.profile).toBe(family === 'foxglove' ? '' : family);
      expect(JSON.parse(metadata[0].metadata.get('classes')!)).toEqual(classes.classes);
      const ids = messages.filter((m) => m.topic === '/cam/image/seg/class_ids');
      expect(ids).toHaveLength(3);
      expect(messages.filter((m) => m.topic === '/cam/image/seg/free_space')).toHaveLength(3);
      expect(messages.filter((m) => m.topic === '/cam/image/seg/overlay')).toHaveLength(3);
      const table = messages.filter((m) => m.topic === CLASSES_TOPIC);
      expect(table).toHaveLength(1);
      expect(JSON.parse(table[0].value.data as string)).toEqual(classes);
      ids.forEach((m, i) => {
        const src = output(family, i);
        expect(m.logTime).toBe(src.source.logTimeNs);
        expect(m.publishTime).toBe(src.source.publishTimeNs);
        const v = m.value;
        expect(stampOf(v)).toEqual({ ns: src.source.stampNs, frameId: src.source.frameId });
        expect([v.width, v.height, v.encoding, v.step]).toEqual([5, 3, 'mono8', 5]);
        expect(Array.from(v.data as Uint8Array)).toEqual(Array.from(src.classIds!));
      });
      expect(readdirSync(tmp.dir).filter((f) => f.startsWith('.'))).toEqual([]);
    });
  }

  it('abort leaves nothing under the final name and no temporary', async () => {
    const file = path.join(tmp.dir, 'aborted.mcap');
    const w = new McapLogWriter({ path: file, family: 'ros2', classes, overlay: false });
    await w.open();
    await w.write(output('ros2', 0));
    await w.abort();
    expect(readdirSync(tmp.dir).filter((f) => f.includes('aborted'))).toEqual([]);
  });
});
