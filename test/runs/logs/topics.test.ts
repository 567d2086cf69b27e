/**
 * `inspectLog` and `seg-stream topics`: camera topics with type, encoding, count, size, rate and
 * time span, other topics counted; through the index, and front to back for a bag without one.
 */
import path from 'node:path';
import { writeFileSync } from 'node:fs';
import { afterAll, describe, expect, test } from 'vitest';
import { inspectLog } from '../../../src/runs/logs/topics.js';
import { runCli } from '../../helpers/cli.js';
import { cleanupLogFixtures, expectedCameras, haveLogTools, logFixtures } from '../../helpers/logs.js';
import { tempDir } from '../../helpers/media.js';

const ok = haveLogTools();
const tmp = tempDir('segstream-topics-');
afterAll(() => {
  tmp.cleanup();
  cleanupLogFixtures();
});

/** First and last log time of a topic as the generator wrote them. */
function span(name: string, topic: string): [bigint, bigint] {
  const times = expectedCameras(logFixtures().manifest(name))
    .filter((m) => m.topic === topic)
    .map((m) => BigInt(m.logTimeNs));
  return [times[0], times[times.length - 1]];
}

describe.skipIf(!ok)('inspectLog', () => {
  test.each([
    ['ros2-zstd.mcap', 'ros2', 'sensor_msgs/msg/', '/status', 'std_msgs/msg/String', 4, true],
    ['ros1.mcap', 'ros1', 'sensor_msgs/', '/status', 'std_msgs/String', 4, true],
    ['drive-bz2.bag', 'ros1', 'sensor_msgs/', '/gps/fix', 'sensor_msgs/NavSatFix', 10, true],
    // torn.bag: the message written into the open (unfinished) chunk is salvaged too: 11 fixes
    ['torn.bag', 'ros1', 'sensor_msgs/', '/gps/fix', 'sensor_msgs/NavSatFix', 11, false],
  ] as const)(
    '%s: cameras, counts, sizes, rates, spans; other topics counted',
    async (name, family, ns, other, otherType, otherCount, indexed) => {
      const info = await inspectLog(logFixtures().log(name));
      expect(info).toMatchObject({ format: name.endsWith('.bag') ? 'bag' : 'mcap', profile: family, indexed });
      const [f0, f1] = span(name, '/cam_front/image_raw/compressed');
      const [l0, l1] = span(name, '/cam_left/image_raw');
      expect(info.cameras).toEqual([
        {
          topic: '/cam_front/image_raw/compressed',
          schemaName: `${ns}CompressedImage`,
          family,
          kind: 'compressed',
          encoding: 'jpeg',
          count: 4,
          width: 960,
          height: 540,
          firstLogTimeNs: f0,
          lastLogTimeNs: f1,
          rateHz: expect.closeTo(10, 9),
        },
        {
          topic: '/cam_left/image_raw',
          schemaName: `${ns}Image`,
          family,
          kind: 'raw',
          encoding: 'bgr8',
          count: 4,
          width: 480,
          height: 360,
          firstLogTimeNs: l0,
          lastLogTimeNs: l1,
          rateHz: expect.closeTo(10, 9),
        },
        expect.objectContaining({ topic: '/cam_left_rgb/image_raw', encoding: 'rgb8', count: 4 }),
      ]);
      expect(info.otherTopics).toEqual([{ topic: other, schemaName: otherType, count: otherCount }]);
    },
  );

  test('Foxglove schemas: CompressedVideo is a video camera, RawImage raw; an unknown encoding is still listed', async () => {
    const fx = logFixtures();
    const fox = await inspectLog(fx.log('foxglove-proto.mcap'));
    expect(fox.profile).toBe('');
    expect(fox.cameras.map((c) => [c.topic, c.schemaName, c.family, c.kind, c.encoding, c.count, c.width])).toEqual([
      ['/cam_front/image', 'foxglove.CompressedImage', 'foxglove', 'compressed', 'jpeg', 4, 960],
      ['/cam_front/video', 'foxglove.CompressedVideo', 'foxglove', 'video', 'h264', 4, undefined],
      ['/cam_left/image', 'foxglove.RawImage', 'foxglove', 'raw', 'bgr8', 4, 480],
    ]);
    const enc = await inspectLog(fx.log('encodings.bag'));
    expect(enc.cameras.find((c) => c.topic === '/enc/32FC1')).toMatchObject({
      encoding: '32FC1',
      count: 2,
      width: 480,
    });
  });
});

describe.skipIf(!ok)('seg-stream topics', () => {
  test('--json prints inspectLog with nanosecond times as strings; the text lists each camera', async () => {
    const file = logFixtures().log('ros2-lz4.mcap');
    const json = await runCli(['topics', file, '--json']);
    expect(json.code, json.stderr).toBe(0);
    const info = await inspectLog(file);
    expect(JSON.parse(json.stdout)).toEqual(
      JSON.parse(JSON.stringify(info, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v))),
    );
    expect(JSON.parse(json.stdout).cameras[0].firstLogTimeNs).toBe('1700000000000000000');
    const text = await runCli(['topics', file]);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/MCAP, profile ros2, indexed/);
    expect(text.stdout).toMatch(
      /\/cam_left\/image_raw {2}sensor_msgs\/msg\/Image {2}bgr8 {2}480x360 {2}4 msgs {2}10\.00 Hz {2}1700000000\.050000000 \.\. 1700000000\.350000000/,
    );
  });

  test('a file that is not a log: one coded line, exit 1', async () => {
    const notes = path.join(tmp.dir, 'notes.bag');
    writeFileSync(notes, 'not a bag\n');
    const r = await runCli(['topics', notes]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^seg-stream: SEGSTREAM_ERR_LOG_UNREADABLE: .*notes\.bag is not a driving log/);
  });
});
