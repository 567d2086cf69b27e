/**
 * A driving log on the command line: detected by its first bytes, flags mapped to the log run,
 * `--json` with per-topic counts, a damaged log warned about once with exit 0, and errors that
 * name the flags the user typed.
 */
import { copyFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../../helpers/cli.js';
import { cleanupLogFixtures, haveLogTools, logFixtures, readBagWithRos } from '../../helpers/logs.js';
import { tempDir, tinyModelDir } from '../../helpers/media.js';

const common = ['-m', tinyModelDir, '--workers', '2', '--threads', '1'];

afterAll(cleanupLogFixtures);

describe.skipIf(!haveLogTools())('seg-stream <log>', () => {
  const tmp = tempDir();
  afterAll(() => tmp.cleanup());
  const fx = logFixtures();

  it('runs a bag named without extension (by its magic bytes) into a bag, and prints per-topic counts', async () => {
    const input = path.join(tmp.dir, 'recording');
    copyFileSync(fx.log('drive-lz4.bag'), input);
    const out = path.join(tmp.dir, 'out.bag');
    const r = await runCli(
      [input, '--log-out', out, '--topics', '/cam_left/image_raw,/cam_front/image_raw/compressed', '--json', ...common],
      { timeoutMs: 120_000 },
    );
    expect(r.code, r.stderr).toBe(0);
    const s = JSON.parse(r.stdout) as {
      format: string;
      topics: { topic: string; frames: number }[];
      outputs: { logTopics: Record<string, number> };
    };
    expect(s.format).toBe('bag');
    const manifest = fx.manifest('drive-lz4.bag');
    for (const t of s.topics) expect(t.frames).toBe(manifest.filter((m) => m.topic === t.topic).length);
    expect(s.topics.map((t) => t.topic).sort()).toEqual(['/cam_front/image_raw/compressed', '/cam_left/image_raw']);
    expect(s.outputs.logTopics['/cam_left/image_raw/seg/class_ids']).toBe(
      manifest.filter((m) => m.topic === '/cam_left/image_raw').length,
    );
    expect(readBagWithRos(out).counts['/cam_left/image_raw/seg/class_ids']).toBe(
      manifest.filter((m) => m.topic === '/cam_left/image_raw').length,
    );
  });

  it('a damaged bag: salvaged, one warning, exit 0', async () => {
    const r = await runCli([fx.log('torn.bag'), '--masks', path.join(tmp.dir, 'torn'), ...common], {
      timeoutMs: 120_000,
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr.match(/warning/g)).toHaveLength(1);
    expect(r.stderr).toMatch(/truncated log/);
  });

  it('a .bag that is not a log is LOG_UNREADABLE, not a video', async () => {
    const fake = path.join(tmp.dir, 'fake.bag');
    writeFileSync(fake, Buffer.alloc(4096, 0xff));
    const r = await runCli([fake, '--masks', path.join(tmp.dir, 'm')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/SEGSTREAM_ERR_LOG_UNREADABLE/);
  });

  it('errors name the flags: --log-out with another extension, an unknown --topics entry', async () => {
    const a = await runCli([fx.log('ros1.mcap'), '--log-out', path.join(tmp.dir, 'x.tiff'), ...common]);
    expect(a.code).toBe(2);
    expect(a.stderr).toMatch(/--log-out/);
    const b = await runCli([
      fx.log('ros1.mcap'),
      '--log-out',
      path.join(tmp.dir, 'y.mcap'),
      '--topics',
      '/nope',
      ...common,
    ]);
    expect(b.code).toBe(2);
    expect(b.stderr).toMatch(/--topics/);
  });
});
