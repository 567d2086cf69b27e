/**
 * Several cameras of different aspects in one log run, with a card that sizes the network from
 * the source's aspect (camvid-default): each camera gets the network size of its own aspect, its
 * own per-topic files (`{topic}` in masks, stats and freeSpaceJson), and the same masks and
 * free-space boundaries as a frame-folder run of that camera's frames alone.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { segmentFolder } from '../../../src/runs/folders/segment-folder.js';
import { segmentLog } from '../../../src/runs/logs/segment-log.js';
import { cleanupLogFixtures, haveLogTools, logFixtures } from '../../helpers/logs.js';
import { readGrayPng, tempDir } from '../../helpers/media.js';

const run = { workers: 1, threads: 1 } as const;
const FRONT = '/cam_front/image_raw/compressed';
const LEFT = '/cam_left/image_raw';

afterAll(cleanupLogFixtures);

const jsonl = (file: string) =>
  readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);

/** Share of equal pixels of two masks of the same size. */
function agreement(a: Uint8Array, b: Uint8Array): number {
  expect(a.length).toBe(b.length);
  let same = 0;
  for (let i = 0; i < a.length; i++) if (a[i] === b[i]) same++;
  return same / a.length;
}

describe.skipIf(!haveLogTools())('a log with cameras of different aspects', () => {
  const tmp = tempDir();
  afterAll(() => tmp.cleanup());
  const fx = logFixtures();

  it("each camera runs at its own aspect's network size, with per-topic masks, stats and free-space JSONL equal to a frame-folder run of its frames", async () => {
    const out = (p: string) => path.join(tmp.dir, 'log', p);
    const s = await segmentLog({
      input: fx.log('drive-none.bag'),
      topics: [FRONT, LEFT],
      masks: out('{topic}'),
      stats: out('{topic}.json'),
      freeSpaceJson: out('{topic}-free.json'),
      ...run,
    });
    const manifest = fx.manifest('drive-none.bag');
    const cameras = [
      {
        topic: FRONT,
        name: 'cam_front_image_raw_compressed',
        size: [960, 540],
        frames: manifest
          .filter((m) => m.topic === FRONT)
          .map((m) => fx.frames.dash[Number(m.source!.split(':')[1])].jpg),
      },
      {
        topic: LEFT,
        name: 'cam_left_image_raw',
        size: [480, 360],
        frames: manifest
          .filter((m) => m.topic === LEFT)
          .map((m) => fx.frames.camvid[Number(m.source!.split(':')[1])].png!),
      },
    ];
    const sizes = new Set(s.topics.map((t) => `${t.networkInput?.width}x${t.networkInput?.height}`));
    expect(sizes.size).toBe(2);

    for (const cam of cameras) {
      const topic = s.topics.find((t) => t.topic === cam.topic)!;
      expect(topic.frames).toBe(cam.frames.length);
      const folder = await segmentFolder({
        input: cam.frames,
        masks: path.join(tmp.dir, cam.name, 'masks'),
        freeSpaceJson: path.join(tmp.dir, cam.name, 'free.jsonl'),
        ...run,
      });
      expect(topic.networkInput).toEqual({ width: folder.networkInput!.width, height: folder.networkInput!.height });

      const frames = jsonl(out(path.join(cam.name, 'frames.jsonl')));
      const stats = jsonl(out(`${cam.name}.json`));
      const free = jsonl(out(`${cam.name}-free.json`));
      const folderFree = jsonl(path.join(tmp.dir, cam.name, 'free.jsonl'));
      expect([frames.length, stats.length, free.length]).toEqual(Array(3).fill(cam.frames.length));
      cam.frames.forEach((file, i) => {
        expect(stats[i]).toMatchObject({ topic: cam.topic, index: i, width: cam.size[0], height: cam.size[1] });
        expect(free[i]).toMatchObject({ topic: cam.topic, index: i, width: cam.size[0], height: cam.size[1] });
        const mask = readGrayPng(out(path.join(cam.name, frames[i].mask as string)));
        const folderMask = readGrayPng(path.join(tmp.dir, cam.name, 'masks', `${path.parse(file).name}.png`));
        expect([mask.width, mask.height]).toEqual(cam.size);
        expect(agreement(mask.data, folderMask.data)).toBeGreaterThan(0.999);
        const b = free[i].boundary as (number | null)[];
        const fb = folderFree[i].boundary as (number | null)[];
        expect(b).toHaveLength(cam.size[0]);
        expect(b.filter((v, k) => v === fb[k]).length / b.length).toBeGreaterThan(0.99);
      });
    }
  });
});
