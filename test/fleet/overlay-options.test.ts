/**
 * `queue add --palette`, `--legend` and `--ego-mask` with real parts: a real redis-server, a real
 * `seg-stream worker`, the dashcam sample. A job's overlay equals a local run's with the same
 * flags; files are checked (and made absolute) when the work is added.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodePng } from '../../src/codecs/png-encode.js';
import { fleetStatus } from '../../src/fleet/status.js';
import { runCli } from '../helpers/cli.js';
import { bins, decodeAll, haveShared, sharedDir, tempDir } from '../helpers/media.js';
import {
  redisAvailable,
  startRedis,
  startWorkerProcess,
  type RedisServer,
  type WorkerProcess,
} from '../helpers/redis.js';

const W = 480;
const H = 270;
const EGO_TOP = 230;

/** Mean absolute difference of two RGB frames over rows [y0, y1). */
function meanDiff(a: Uint8Array, b: Uint8Array, y0: number, y1: number): number {
  let sum = 0;
  for (let i = y0 * W * 3; i < y1 * W * 3; i++) sum += Math.abs(a[i] - b[i]);
  return sum / ((y1 - y0) * W * 3);
}

describe.skipIf(!redisAvailable() || !haveShared())('fleet: --palette and --ego-mask reach the jobs', () => {
  let redis: RedisServer;
  let tmp: ReturnType<typeof tempDir>;
  let worker: WorkerProcess | undefined;
  let clip: string;
  beforeAll(async () => {
    redis = await startRedis();
    tmp = tempDir('segstream-fleet-overlay-');
    clip = path.join(tmp.dir, 'in', 'dash.mp4');
    mkdirSync(path.dirname(clip));
    const cut = spawnSync(bins.ffmpeg.path, [
      ...['-v', 'error', '-i', path.join(sharedDir, 'samples', 'solidWhiteRight.mp4'), '-ss', '2', '-frames:v', '8'],
      ...['-an', '-vf', `scale=${W}:${H}`, '-c:v', 'libx264', '-preset', 'veryfast', '-pix_fmt', 'yuv420p', clip],
    ]);
    expect(cut.status, cut.stderr.toString()).toBe(0);
    const ego = new Uint8Array(W * H);
    ego.fill(255, EGO_TOP * W);
    writeFileSync(path.join(tmp.dir, 'ego.png'), encodePng(ego, W, H, 'gray'));
    writeFileSync(path.join(tmp.dir, 'colour.png'), encodePng(new Uint8Array(W * H * 3), W, H, 'rgb'));
  });
  afterAll(async () => {
    worker?.kill('SIGKILL');
    await worker?.exited;
    await redis?.stop();
    tmp?.cleanup();
  });

  it('jobs added with --palette camvid --legend and --ego-mask FILE (relative) give the overlays of local runs', async () => {
    const out = path.join(tmp.dir, 'out');
    // Relative to the directory `queue add` runs in: the job carries absolute paths.
    const add = await runCli(
      ['queue', 'add', 'in/dash.mp4', '--redis', redis.url, '-o', 'out/{stem}.mp4', '--palette', 'camvid', '--legend'],
      { cwd: tmp.dir },
    );
    expect(add.code, add.stderr).toBe(0);
    const withEgo = await runCli(
      [...['queue', 'add', 'in/dash.mp4', '--redis', redis.url, '-o', 'out/{stem}-ego.mp4'], '--ego-mask', 'ego.png'],
      { cwd: tmp.dir },
    );
    expect(withEgo.code, withEgo.stderr).toBe(0);
    worker = startWorkerProcess(redis.url, ['--name', 'w-overlay']);
    const end = Date.now() + 240_000;
    for (;;) {
      const s = await fleetStatus({ redis: redis.url });
      if (s.counts.completed + s.counts.failed === 2) {
        expect(s.jobs.map((j) => j.error).filter(Boolean)).toEqual([]);
        break;
      }
      if (Date.now() > end) throw new Error(`jobs did not finish: ${JSON.stringify(s.counts)}`);
      await new Promise((r) => setTimeout(r, 300));
    }

    const local = async (name: string, flags: string[]) => {
      const file = path.join(tmp.dir, `${name}.mp4`);
      const r = await runCli([clip, '-o', file, '--threads', '1', '--workers', '1', '-q', ...flags], {
        timeoutMs: 120_000,
      });
      expect(r.code, r.stderr).toBe(0);
      return decodeAll(file, W, H);
    };
    const fleetCamvid = decodeAll(path.join(out, 'dash.mp4'), W, H);
    const fleetEgo = decodeAll(path.join(out, 'dash-ego.mp4'), W, H);
    const localCamvid = await local('camvid', ['--palette', 'camvid', '--legend']);
    const localEgo = await local('ego', ['--ego-mask', path.join(tmp.dir, 'ego.png')]);
    const localRoles = await local('roles', []);
    expect(fleetCamvid).toHaveLength(8);
    expect(fleetEgo).toHaveLength(8);
    for (let i = 0; i < 8; i++) {
      expect(meanDiff(fleetCamvid[i], localCamvid[i], 0, H)).toBeLessThan(0.5);
      expect(meanDiff(fleetEgo[i], localEgo[i], 0, H)).toBeLessThan(0.5);
      // The options change the picture: camvid's purples against roles' blue and orange; no paint on the bonnet rows.
      expect(meanDiff(fleetCamvid[i], localRoles[i], 0, EGO_TOP)).toBeGreaterThan(2);
      expect(meanDiff(fleetEgo[i], localRoles[i], EGO_TOP, H)).toBeGreaterThan(2);
    }
  }, 400_000);

  it('refuses a missing palette file, a colour ego mask and --ego-mask auto at add time, naming the flag', async () => {
    const o = ['--redis', redis.url, '-o', path.join(tmp.dir, 'refused', '{stem}.mp4')];
    const missing = await runCli(['queue', 'add', clip, ...o, '--palette', 'nope.json'], { cwd: tmp.dir });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/^seg-stream: SEGSTREAM_ERR_INVALID_OPTION: --palette "nope\.json" is neither/);
    const colour = await runCli(['queue', 'add', clip, ...o, '--ego-mask', 'colour.png'], { cwd: tmp.dir });
    expect(colour.code).toBe(2);
    expect(colour.stderr).toMatch(/^seg-stream: SEGSTREAM_ERR_INVALID_OPTION: --ego-mask colour\.png is not an 8-bit/);
    const auto = await runCli(['queue', 'add', clip, ...o, '--ego-mask', 'auto']);
    expect(auto.code).toBe(2);
    expect(auto.stderr).toMatch(/^seg-stream: SEGSTREAM_ERR_INVALID_OPTION: --ego-mask auto is for local runs/);
    const s = await fleetStatus({ redis: redis.url });
    expect(s.jobs).toHaveLength(2);
  }, 120_000);
});
