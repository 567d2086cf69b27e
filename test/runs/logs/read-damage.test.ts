/**
 * Damaged logs: each has its documented outcome, never an uncaught exception or a hang.
 * - an MCAP cut mid-chunk (no summary): every message of the complete chunks, `truncated`;
 * - an MCAP with a corrupt chunk in the middle: that chunk skipped and counted, the rest read
 *   (through the index, and front to back when the file is also cut);
 * - a bag with a corrupt chunk: skipped and counted, the rest read;
 * - a bag whose recorder died (no index): every complete message salvaged, `truncated`;
 * - a file that is not a log: SEGSTREAM_ERR_LOG_UNREADABLE; a log without camera: SEGSTREAM_ERR_LOG_NO_IMAGES.
 */
import { copyFileSync, openSync, readFileSync, writeFileSync, writeSync, closeSync, truncateSync } from 'node:fs';
import { open } from 'node:fs/promises';
import path from 'node:path';
import { Bag } from '@foxglove/rosbag';
import { FileReader } from '@foxglove/rosbag/node.js';
import { McapIndexedReader, type McapTypes } from '@mcap/core';
import { FileHandleReadable } from '@mcap/nodejs';
import { loadDecompressHandlers } from '@mcap/support';
import { afterAll, describe, expect, test } from 'vitest';
import { isSegStreamError } from '../../../src/errors.js';
import {
  cleanupLogFixtures,
  expectedCameras,
  haveLogTools,
  logFixtures,
  readAll,
  type ManifestMessage,
} from '../../helpers/logs.js';
import { tempDir } from '../../helpers/media.js';

const ok = haveLogTools();
const tmp = tempDir('segstream-logdamage-');
afterAll(() => {
  tmp.cleanup();
  cleanupLogFixtures();
});

async function chunkIndexes(file: string): Promise<McapTypes.ChunkIndex[]> {
  const handle = await open(file, 'r');
  try {
    const reader = await McapIndexedReader.Initialize({
      readable: new FileHandleReadable(handle),
      decompressHandlers: await loadDecompressHandlers(),
    });
    return [...reader.chunkIndexes].sort((a, b) => (a.chunkStartOffset < b.chunkStartOffset ? -1 : 1));
  } finally {
    await handle.close();
  }
}

const row = (m: { topic: string; logTimeNs: bigint | string; stampNs?: bigint | string; frameId: string }) => [
  m.topic,
  String(m.logTimeNs),
  String(m.stampNs),
  m.frameId,
];
const inChunk = (m: ManifestMessage, c: McapTypes.ChunkIndex) =>
  BigInt(m.logTimeNs) >= c.messageStartTime && BigInt(m.logTimeNs) <= c.messageEndTime;

function corrupt(file: string, chunk: McapTypes.ChunkIndex): void {
  const fd = openSync(file, 'r+');
  const at = Number(chunk.chunkStartOffset + chunk.chunkLength / 2n);
  writeSync(fd, Buffer.alloc(64, 0xa5), 0, 64, at);
  closeSync(fd);
}

describe.skipIf(!ok)('damaged logs', () => {
  test('an MCAP cut mid-chunk: the messages of every complete chunk, flagged truncated', async () => {
    const fx = logFixtures();
    const src = fx.log('ros2-zstd.mcap');
    const chunks = await chunkIndexes(src);
    expect(chunks.length).toBeGreaterThanOrEqual(4);
    const k = Math.floor(chunks.length / 2);
    const cut = path.join(tmp.dir, 'cut.mcap');
    copyFileSync(src, cut);
    truncateSync(cut, Number(chunks[k].chunkStartOffset + chunks[k].chunkLength / 2n));
    const want = expectedCameras(fx.manifest('ros2-zstd.mcap')).filter(
      (m) => BigInt(m.logTimeNs) <= chunks[k - 1].messageEndTime,
    );
    const { messages, damage } = await readAll(cut);
    expect(messages.map(row)).toEqual(want.map(row));
    expect(want.length).toBeGreaterThan(0);
    expect(damage).toMatchObject({ truncated: true, corruptChunks: 0, messagesRead: want.length });
    expect(damage.messagesExpected).toBeUndefined();
  });

  test('an MCAP with a corrupt chunk in the middle: the chunk is skipped and counted, the others read', async () => {
    const fx = logFixtures();
    const src = fx.log('ros2-zstd.mcap');
    const chunks = await chunkIndexes(src);
    const k = Math.floor(chunks.length / 2);
    const bad = path.join(tmp.dir, 'bad-chunk.mcap');
    copyFileSync(src, bad);
    corrupt(bad, chunks[k]);
    const all = expectedCameras(fx.manifest('ros2-zstd.mcap'));
    const want = all.filter((m) => !inChunk(m, chunks[k]));
    expect(want.length).toBeLessThan(all.length);
    const { messages, damage } = await readAll(bad);
    expect(messages.map(row)).toEqual(want.map(row));
    expect(damage).toMatchObject({
      truncated: false,
      corruptChunks: 1,
      messagesRead: want.length,
      messagesExpected: all.length,
    });

    // The same file also cut short (no summary): read front to back, the corrupt chunk passed over.
    const cutBad = path.join(tmp.dir, 'bad-chunk-cut.mcap');
    copyFileSync(bad, cutBad);
    const last = chunks[chunks.length - 1];
    truncateSync(cutBad, Number(last.chunkStartOffset + 10n));
    const before = want.filter((m) => BigInt(m.logTimeNs) < last.messageStartTime);
    const salvaged = await readAll(cutBad);
    expect(salvaged.messages.map(row)).toEqual(before.map(row));
    expect(salvaged.damage).toMatchObject({ truncated: true, corruptChunks: 1 });
  });

  test('a bag with a corrupt bz2 chunk in the middle: the chunk is skipped and counted, the others read in time order', async () => {
    const fx = logFixtures();
    const src = fx.log('drive-bz2.bag');
    const file = new FileReader(src);
    const bag = new Bag(file);
    await bag.open();
    await file.close();
    const chunks = [...bag.chunkInfos].sort((a, b) => a.chunkPosition - b.chunkPosition);
    expect(chunks.length).toBeGreaterThanOrEqual(4);
    const k = Math.floor(chunks.length / 2);
    const bad = path.join(tmp.dir, 'bad-chunk.bag');
    copyFileSync(src, bad);
    const fd = openSync(bad, 'r+');
    writeSync(fd, Buffer.alloc(64, 0xa5), 0, 64, chunks[k].chunkPosition + 200);
    closeSync(fd);
    const ns = (t: { sec: number; nsec: number }) => BigInt(t.sec) * 1_000_000_000n + BigInt(t.nsec);
    const all = expectedCameras(fx.manifest('drive-bz2.bag'));
    const lost = (m: ManifestMessage) =>
      BigInt(m.logTimeNs) >= ns(chunks[k].startTime) && BigInt(m.logTimeNs) <= ns(chunks[k].endTime);
    const want = all.filter((m) => !lost(m));
    expect(want.length).toBeLessThan(all.length);
    const { messages, damage } = await readAll(bad);
    expect(messages.map(row)).toEqual(want.map(row));
    expect(damage).toMatchObject({
      truncated: false,
      corruptChunks: 1,
      messagesRead: want.length,
      messagesExpected: all.length,
    });
  });

  test('a bag whose recorder died (no index): every message of the complete chunks, and of the open one, salvaged', async () => {
    const fx = logFixtures();
    const want = expectedCameras(fx.manifest('torn.bag'));
    const { messages, damage } = await readAll(fx.log('torn.bag'));
    expect(messages.map(row)).toEqual(want.map(row));
    expect(messages.map((m) => m.seq)).toEqual(
      want.map((m) =>
        want
          .filter((w) => w.topic === m.topic)
          .indexOf(want.find((w) => w.topic === m.topic && w.logTimeNs === String(m.logTimeNs))!),
      ),
    );
    expect(damage).toMatchObject({ truncated: true, corruptChunks: 0, messagesRead: want.length });
    const one = await readAll(fx.log('torn.bag'), { topics: ['/cam_left/image_raw'] });
    expect(one.messages.map(row)).toEqual(want.filter((m) => m.topic === '/cam_left/image_raw').map(row));
  });

  test('a file that is not a log, a ROS 1 bag cut inside its header, a missing file: one coded error each', async () => {
    const fx = logFixtures();
    const text = path.join(tmp.dir, 'notes.mcap');
    writeFileSync(text, 'these are not the frames you are looking for\n');
    const cases: [string, string][] = [
      [text, 'SEGSTREAM_ERR_LOG_UNREADABLE'],
      [fx.frames.camvid[0].png!, 'SEGSTREAM_ERR_LOG_UNREADABLE'],
      [path.join(tmp.dir, 'missing.bag'), 'SEGSTREAM_ERR_INPUT_NOT_FOUND'],
    ];
    const stub = path.join(tmp.dir, 'stub.bag');
    writeFileSync(stub, readFileSync(fx.log('drive-none.bag')).subarray(0, 40));
    cases.push([stub, 'SEGSTREAM_ERR_LOG_UNREADABLE']);
    const garbage = path.join(tmp.dir, 'garbage.mcap');
    writeFileSync(garbage, Buffer.concat([readFileSync(fx.log('ros1.mcap')).subarray(0, 8), Buffer.alloc(5000, 0x37)]));
    cases.push([garbage, 'SEGSTREAM_ERR_LOG_NO_IMAGES']);
    for (const [file, code] of cases) {
      await expect(readAll(file), file).rejects.toSatisfy(
        (e) => isSegStreamError(e, code as never) && e.message.includes(file),
      );
    }
  });

  test('a log with no camera topic: SEGSTREAM_ERR_LOG_NO_IMAGES naming its topics; a topic that is no camera: INVALID_OPTION', async () => {
    const fx = logFixtures();
    await expect(readAll(fx.log('no-images.mcap'))).rejects.toSatisfy(
      (e) => isSegStreamError(e, 'SEGSTREAM_ERR_LOG_NO_IMAGES') && e.message.includes('/status (std_msgs/msg/String)'),
    );
    await expect(readAll(fx.log('drive-bz2.bag'), { topics: ['/gps/fix'] })).rejects.toSatisfy(
      (e) =>
        isSegStreamError(e, 'SEGSTREAM_ERR_INVALID_OPTION') &&
        /topics/.test(e.message) &&
        e.message.includes('/cam_left/image_raw'),
    );
  });
});
