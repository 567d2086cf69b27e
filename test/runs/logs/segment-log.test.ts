/**
 * The log run end to end on logs written by the formats' own writers (ROS's Python rosbag,
 * @mcap/core), outputs read back by independent readers: message counts, exact stamps (the left
 * camera's header stamps differ from its log times), frame ids, sizes, class ids equal to a
 * frame-folder run of the same frames, and bgr8 / rgb8 cameras of the same frames giving the
 * same masks.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { segmentFolder } from '../../../src/runs/folders/segment-folder.js';
import { segmentLog } from '../../../src/runs/logs/segment-log.js';
import {
  cleanupLogFixtures,
  haveLogTools,
  logFixtures,
  readBagWithRos,
  rosbagInfo,
  type ManifestMessage,
} from '../../helpers/logs.js';
import { bins, childFfmpegPids, readGrayPng, tempDir, tinyModelDir } from '../../helpers/media.js';
import { readBack, stampOf } from './read-back.js';

const run = { model: tinyModelDir, workers: 2, threads: 1 } as const;
const CAMERAS = ['/cam_front/image_raw/compressed', '/cam_left/image_raw', '/cam_left_rgb/image_raw'];

afterAll(cleanupLogFixtures);

describe.skipIf(!haveLogTools())('segmentLog', () => {
  const tmp = tempDir();
  afterAll(() => tmp.cleanup());
  const fx = logFixtures();
  const camerasOf = (name: string) =>
    fx.manifest(name).filter((m) => CAMERAS.includes(m.topic) || m.topic.startsWith('/cam'));

  /** Checks the written log against the input's manifest: counts, stamps, frame ids, log times, sizes. */
  async function checkWritten(file: string, manifest: ManifestMessage[], family: 'ros1' | 'ros2' | 'foxglove') {
    const { reader, messages, metadata } = await readBack(file);
    expect(reader.header.profile).toBe(family === 'foxglove' ? '' : family);
    expect(JSON.parse(metadata[0].metadata.get('classes')!).length).toBeGreaterThan(1);
    expect(messages.filter((m) => m.topic === '/seg_stream/classes')).toHaveLength(1);
    const topics = [...new Set(manifest.map((m) => m.topic))];
    for (const topic of topics) {
      const src = manifest.filter((m) => m.topic === topic);
      for (const kind of ['class_ids', 'free_space']) {
        const out = messages.filter((m) => m.topic === `${topic}/seg/${kind}`);
        expect(out.map((m) => m.logTime)).toEqual(src.map((m) => BigInt(m.logTimeNs)));
        expect(out.map((m) => stampOf(m.value))).toEqual(
          src.map((m) => ({ ns: BigInt(m.stampNs!), frameId: m.frameId })),
        );
        const size = src[0].source!.startsWith('dash') ? [960, 540] : [480, 360];
        for (const m of out) expect([m.value.width, m.value.height, m.value.encoding]).toEqual([...size, 'mono8']);
      }
    }
    return messages;
  }

  it('segments every camera of a ROS 2 MCAP into a log with exact stamps, per-topic masks named by stamp, and class ids of a frame-folder run', async () => {
    const out = path.join(tmp.dir, 'ros2.seg.mcap');
    const masks = path.join(tmp.dir, 'ros2-masks', '{topic}');
    const s = await segmentLog({ input: fx.log('ros2-zstd.mcap'), logOut: out, masks, ...run });
    const manifest = camerasOf('ros2-zstd.mcap');
    expect(s.frames).toBe(manifest.length);
    expect(Object.fromEntries(s.topics.map((t) => [t.topic, t.frames]))).toEqual(
      Object.fromEntries(CAMERAS.map((t) => [t, manifest.filter((m) => m.topic === t).length])),
    );
    const messages = await checkWritten(out, manifest, 'ros2');

    // Masks per topic, named by header stamp, with frames.jsonl; equal to the class ids in the log.
    const left = path.join(tmp.dir, 'ros2-masks', 'cam_left_image_raw');
    const lines = readFileSync(path.join(left, 'frames.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { index: number; stampNs: string; logTimeNs: string; mask: string });
    const leftSrc = manifest.filter((m) => m.topic === '/cam_left/image_raw');
    expect(lines.map((l) => [l.index, l.stampNs, l.logTimeNs, l.mask])).toEqual(
      leftSrc.map((m, i) => [i, m.stampNs, m.logTimeNs, `${m.stampNs}.png`]),
    );
    const ids = messages.filter((m) => m.topic === '/cam_left/image_raw/seg/class_ids');
    lines.forEach((l, i) =>
      expect(Array.from(readGrayPng(path.join(left, l.mask)).data)).toEqual(
        Array.from(ids[i].value.data as Uint8Array),
      ),
    );

    // The same frames as PNG files through a frame-folder run: the same class ids.
    const folderMasks = path.join(tmp.dir, 'folder-masks');
    const pngs = leftSrc.map((m) => fx.frames.camvid[Number(m.source!.split(':')[1])].png!);
    await segmentFolder({ input: pngs, masks: folderMasks, ...run });
    pngs.forEach((png, i) => {
      const folder = readGrayPng(path.join(folderMasks, path.basename(png))).data;
      expect(Array.from(ids[i].value.data as Uint8Array)).toEqual(Array.from(folder));
    });

    // bgr8 and rgb8 cameras of the same frames: the same masks.
    const rgbDir = path.join(tmp.dir, 'ros2-masks', 'cam_left_rgb_image_raw');
    for (const l of lines)
      expect(readGrayPng(path.join(rgbDir, l.mask)).data).toEqual(readGrayPng(path.join(left, l.mask)).data);
  });

  it('reads a ROS 1 bag and writes the ros1 profile, read back through its own message definitions', async () => {
    const out = path.join(tmp.dir, 'bag.seg.mcap');
    const s = await segmentLog({ input: fx.log('drive-bz2.bag'), logOut: out, logOverlay: true, ...run });
    const manifest = fx.manifest('drive-bz2.bag').filter((m) => CAMERAS.includes(m.topic));
    expect(s.format).toBe('bag');
    expect(s.frames).toBe(manifest.length);
    const messages = await checkWritten(out, manifest, 'ros1');
    const overlay = messages.filter((m) => m.topic === '/cam_front/image_raw/compressed/seg/overlay');
    expect(overlay).toHaveLength(manifest.filter((m) => m.topic === '/cam_front/image_raw/compressed').length);
    expect(overlay[0].value.format).toBe('jpeg');
    expect(Array.from((overlay[0].value.data as Uint8Array).subarray(0, 2))).toEqual([0xff, 0xd8]);
    expect(messages.some((m) => m.topic === '/gps/fix')).toBe(false);
  });

  it('writes Foxglove RawImage for a Foxglove-schema log (H.264 topic included), and copies the other topics with logCopyAll', async () => {
    const out = path.join(tmp.dir, 'fox.seg.mcap');
    const s = await segmentLog({ input: fx.log('foxglove-proto.mcap'), logOut: out, logCopyAll: true, ...run });
    const all = fx.manifest('foxglove-proto.mcap');
    const cameras = all.filter((m) => s.topics.some((t) => t.topic === m.topic));
    // The H.264 topic too, frame for frame, in a pass of its own.
    expect(s.topics.find((t) => t.topic === '/cam_front/video')?.frames).toBe(
      all.filter((m) => m.topic === '/cam_front/video').length,
    );
    const messages = await checkWritten(out, cameras, 'foxglove');
    const others = all.filter((m) => !s.topics.some((t) => t.topic === m.topic));
    expect(s.copied).toBe(others.length);
    expect(childFfmpegPids()).toEqual([]);
    for (const o of new Set(others.map((m) => m.topic)))
      expect(messages.filter((m) => m.topic === o)).toHaveLength(others.filter((m) => m.topic === o).length);
  });

  it('stops after `frames`, leaving a finished, readable log; `topics` chooses cameras', async () => {
    const out = path.join(tmp.dir, 'two.seg.mcap');
    const s = await segmentLog({
      input: fx.log('ros1.mcap'),
      logOut: out,
      topics: ['/cam_left/image_raw'],
      frames: 2,
      ...run,
    });
    expect(s.frames).toBe(2);
    expect(s.stopped).toBe('frames');
    const { messages } = await readBack(out);
    expect(messages.filter((m) => m.topic === '/cam_left/image_raw/seg/class_ids')).toHaveLength(2);
    expect(messages.some((m) => m.topic.startsWith('/cam_front'))).toBe(false);
    expect(readdirSync(tmp.dir).filter((f) => f.startsWith('.'))).toEqual([]);
  });

  it('a stop signal finishes the outputs: the log is complete and readable, nothing left behind', async () => {
    const out = path.join(tmp.dir, 'stopped.seg.mcap');
    const stop = new AbortController();
    const s = await segmentLog({
      input: fx.log('foxglove-proto.mcap'),
      logOut: out,
      output: path.join(tmp.dir, 'stopped-{topic}.mp4'),
      signal: stop.signal,
      onProgress: (p) => p.frames >= 2 && stop.abort(),
      ...run,
    });
    expect(s.stopped).toBe('signal');
    expect(s.frames).toBeGreaterThanOrEqual(2);
    const { messages } = await readBack(out);
    const written = messages.filter((m) => m.topic.endsWith('/seg/class_ids')).length;
    expect(written).toBe(s.frames);
    for (const f of Object.values(s.outputs.videos ?? {})) expect(existsSync(f)).toBe(true);
    expect(readdirSync(tmp.dir).filter((f) => f.startsWith('.'))).toEqual([]);
    expect(childFfmpegPids()).toEqual([]);
  });

  it('an overlay video per camera keeps the log timing', async () => {
    const video = path.join(tmp.dir, 'v', '{topic}.mp4');
    const s = await segmentLog({
      input: fx.log('ros2-zstd.mcap'),
      output: video,
      topics: ['/cam_front/image_raw/compressed'],
      ...run,
    });
    const file = s.outputs.videos!['/cam_front/image_raw/compressed'];
    expect(existsSync(file)).toBe(true);
    expect(path.basename(file)).toBe('cam_front_image_raw_compressed.mp4');
    // Each frame at its log time from the topic's first (the fixture's camera: 10 Hz, 0.1 s apart).
    const logTimes = fx
      .manifest('ros2-zstd.mcap')
      .filter((m) => m.topic === '/cam_front/image_raw/compressed')
      .map((m) => BigInt(m.logTimeNs));
    const pts = spawnSync(
      bins.ffprobe.path,
      ['-v', 'error', '-select_streams', 'v', '-show_entries', 'frame=pts_time', '-of', 'csv=p=0', file],
      { encoding: 'utf8' },
    )
      .stdout.split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => parseFloat(l));
    expect(pts).toEqual(logTimes.map((t) => Number(t - logTimes[0]) / 1e9));
  });

  it("writes a ROS 1 bag back from a bag: ROS's rosbag reads it through its index, stamps exact, class ids of a frame-folder run, other topics copied", async () => {
    const out = path.join(tmp.dir, 'drive.seg.bag');
    const s = await segmentLog({
      input: fx.log('drive-lz4.bag'),
      logOut: out,
      logOverlay: true,
      logCopyAll: true,
      ...run,
    });
    const all = fx.manifest('drive-lz4.bag');
    const manifest = all.filter((m) => CAMERAS.includes(m.topic));
    expect(s.frames).toBe(manifest.length);
    expect(rosbagInfo(out)).toMatch(/\/cam_left\/image_raw\/seg\/class_ids\s+4 msgs\s+: sensor_msgs\/Image/);
    const bag = readBagWithRos(out);
    for (const c of bag.connections) if (c.md5Expected) expect(c.md5sum).toBe(c.md5Expected);
    expect(bag.counts['/gps/fix']).toBe(all.filter((m) => m.topic === '/gps/fix').length);
    for (const topic of CAMERAS) {
      const src = manifest.filter((m) => m.topic === topic);
      for (const kind of ['class_ids', 'free_space', 'overlay']) {
        const got = bag.messages.filter((m) => m.topic === `${topic}/seg/${kind}`);
        expect(got.map((m) => [m.timeNs, m.stampNs, m.frameId])).toEqual(
          src.map((m) => [m.logTimeNs, m.stampNs, m.frameId]),
        );
      }
    }
    // The left camera's header stamps differ from its log times; both kept.
    const left = manifest.filter((m) => m.topic === '/cam_left/image_raw');
    expect(left.some((m) => m.stampNs !== m.logTimeNs)).toBe(true);
    const ids = bag.messages.filter((m) => m.topic === '/cam_left/image_raw/seg/class_ids');
    for (const m of ids) expect([m.width, m.height, m.encoding]).toEqual([480, 360, 'mono8']);
    const folderMasks = path.join(tmp.dir, 'bag-folder-masks');
    const pngs = left.map((m) => fx.frames.camvid[Number(m.source!.split(':')[1])].png!);
    await segmentFolder({ input: pngs, masks: folderMasks, ...run });
    pngs.forEach((png, i) =>
      expect(
        Buffer.from(ids[i].data!, 'base64').equals(
          Buffer.from(readGrayPng(path.join(folderMasks, path.basename(png))).data),
        ),
      ).toBe(true),
    );
    expect(readdirSync(tmp.dir).filter((f) => f.startsWith('.'))).toEqual([]);
  });

  it('writes a ROS 2 camera into a bag as ROS 1 messages; refuses copying its other topics into one, and an unknown topic, naming the option', async () => {
    const out = path.join(tmp.dir, 'ros2.seg.bag');
    await segmentLog({ input: fx.log('ros2-zstd.mcap'), logOut: out, topics: ['/cam_left/image_raw'], ...run });
    const src = fx.manifest('ros2-zstd.mcap').filter((m) => m.topic === '/cam_left/image_raw');
    const ids = readBagWithRos(out).messages.filter((m) => m.topic === '/cam_left/image_raw/seg/class_ids');
    expect(ids.map((m) => [m.type, m.timeNs, m.stampNs, m.frameId])).toEqual(
      src.map((m) => ['sensor_msgs/Image', m.logTimeNs, m.stampNs, m.frameId]),
    );
    await expect(
      segmentLog({ input: fx.log('ros2-zstd.mcap'), logOut: path.join(tmp.dir, 'x.bag'), logCopyAll: true, ...run }),
    ).rejects.toMatchObject({ code: 'SEGSTREAM_ERR_INVALID_OPTION', message: expect.stringContaining('logCopyAll') });
    await expect(
      segmentLog({ input: fx.log('ros1.mcap'), logOut: path.join(tmp.dir, 'x.txt'), ...run }),
    ).rejects.toMatchObject({ code: 'SEGSTREAM_ERR_INVALID_OPTION', message: expect.stringContaining('logOut') });
    await expect(
      segmentLog({ input: fx.log('ros1.mcap'), logOut: path.join(tmp.dir, 'y.mcap'), topics: ['/nope'], ...run }),
    ).rejects.toMatchObject({ code: 'SEGSTREAM_ERR_INVALID_OPTION', message: expect.stringContaining('topics') });
    for (const f of ['x.bag', 'x.txt', 'y.mcap']) expect(existsSync(path.join(tmp.dir, f))).toBe(false);
  });
});
