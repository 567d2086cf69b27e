/**
 * A frame-folder run that fails part-way (a damaged frame) keeps every frame it finished: their
 * masks, free-space masks and JSONL lines, listed in a manifest that says `stopped: "error"` and
 * why, so a second run resumes from them. An overlay video is only worth having whole: it is
 * dropped (its temporary removed, a video the user already had left as it was), never published
 * with part of a sequence.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { segmentFolder } from '../../../src/index.js';
import { tempDir } from '../../helpers/media.js';
import { filesIn, thresholdModel, writeFrames } from './fixtures.js';

let tmp: { dir: string; cleanup: () => void };
beforeAll(() => (tmp = tempDir('segstream-failure-')));
afterAll(() => tmp.cleanup());

const name = (i: number) => `${String(i).padStart(3, '0')}.png`;

describe('a frame-folder run that fails part-way', () => {
  it('keeps the finished frames and lists them in a manifest with the error; drops the overlay video; a rerun resumes', async () => {
    const frames = path.join(tmp.dir, 'frames');
    writeFrames(frames, 12, name);
    const bad = path.join(frames, name(8));
    const good = readFileSync(bad);
    writeFileSync(bad, good.subarray(0, 200));
    const masks = path.join(tmp.dir, 'masks');
    const free = path.join(tmp.dir, 'free');
    const jsonl = path.join(tmp.dir, 'fs.jsonl');
    const video = path.join(tmp.dir, 'ov.mp4');
    writeFileSync(video, 'the video of an earlier run');
    const options = {
      input: frames,
      masks,
      freeSpace: free,
      freeSpaceJson: jsonl,
      output: video,
      model: thresholdModel,
      workers: 1,
    };
    const err = await segmentFolder(options).then(
      () => undefined,
      (e: unknown) => e as { code: string; message: string },
    );
    expect(err?.code).toBe('SEGSTREAM_ERR_INPUT_CORRUPT');
    const manifestFile = path.join(masks, 'manifest.json');
    expect(err?.message).toContain(`are kept, listed in ${manifestFile}`);
    const manifest = JSON.parse(readFileSync(manifestFile, 'utf8')) as Record<string, any>;
    expect(manifest.stopped).toBe('error');
    expect(manifest.error.code).toBe('SEGSTREAM_ERR_INPUT_CORRUPT');
    expect(manifest.outputs.videos).toEqual([]);
    const lines = readFileSync(jsonl, 'utf8')
      .trim()
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => (JSON.parse(l) as { frame: string }).frame);
    // Every frame counted is complete: its masks in place and its line written; the damaged one is not.
    expect(lines.length).toBe(manifest.frames);
    expect(lines).not.toContain('008');
    for (const f of lines) {
      expect(existsSync(path.join(masks, `${f}.png`))).toBe(true);
      expect(existsSync(path.join(free, `${f}.png`))).toBe(true);
    }
    for (const dir of [masks, free, tmp.dir]) expect(filesIn(dir).filter((f) => f.startsWith('.'))).toEqual([]);
    expect(readFileSync(video, 'utf8')).toBe('the video of an earlier run');

    writeFileSync(bad, good);
    const again = await segmentFolder({ ...options, output: undefined });
    expect(again.stopped).toBe('end');
    expect(again.skipped).toBe(lines.length);
    expect(again.frames).toBe(12 - lines.length);
    expect(readFileSync(jsonl, 'utf8').trim().split('\n')).toHaveLength(12);
  });
});
