/**
 * A camera whose size the log's index tells is decoded and preprocessed in one worker task (as a
 * frame folder's images are): no separate preprocess task runs, and the class ids are those of
 * the two-task path (segment-log.test.ts compares them with a frame-folder run).
 */
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { segmentLog } from '../../../src/runs/logs/segment-log.js';
import { cleanupLogFixtures, haveLogTools, logFixtures } from '../../helpers/logs.js';
import { tempDir, tinyModelDir } from '../../helpers/media.js';

afterAll(cleanupLogFixtures);

describe.skipIf(!haveLogTools())('log frames: decode and preprocess in one task', () => {
  const tmp = tempDir();
  afterAll(() => tmp.cleanup());

  it('runs no preprocess task for cameras of known size', async () => {
    const fx = logFixtures();
    const s = await segmentLog({
      input: fx.log('ros2-zstd.mcap'),
      masks: path.join(tmp.dir, 'masks', '{topic}'),
      model: tinyModelDir,
      workers: 2,
      threads: 1,
    });
    expect(s.frames).toBe(12);
    // The preprocess stage's clock only runs around a preprocess task: none ran.
    expect(s.stageMs.preprocess).toBe(0);
    expect(s.stageMs.decode).toBeGreaterThan(0);
  });
});
