/**
 * Fleet mode with real parts: a real redis-server, real `seg-stream worker` processes, real
 * videos and frame folders. Workers use short locks (2 s) and stall checks (1 s) so takeovers
 * happen within seconds.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { makeIndexedVideo, probe, tempDir } from '../helpers/media.js';
import { redisAvailable, startRedis, startWorkerProcess, type RedisServer, type WorkerProcess } from '../helpers/redis.js';
import { fleetStatus, type FleetStatus } from '../../src/fleet/status.js';

const FAST = ['--lock-duration', '2', '--stalled-interval', '1'];
const haveRedis = redisAvailable();

/** Every file below `dir`, relative, sorted (hidden fleet folders included). */
function tree(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string, rel: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) walk(path.join(d, e.name), r);
      else out.push(r);
    }
  };
  walk(dir, '');
  return out.sort();
}

async function until(status: () => Promise<FleetStatus>, done: (s: FleetStatus) => boolean, timeoutMs = 240_000): Promise<FleetStatus> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const s = await status();
    if (done(s)) return s;
    if (Date.now() > end) throw new Error(`fleet did not settle: ${JSON.stringify(s.counts)} ${JSON.stringify(s.jobs.map((j) => [j.id, j.state, j.frames, j.error]))}`);
    await new Promise((r) => setTimeout(r, 300));
  }
}

describe.skipIf(!haveRedis)('fleet: queue add, workers, status', () => {
  let redis: RedisServer;
  let tmp: ReturnType<typeof tempDir>;
  const workers: WorkerProcess[] = [];
  beforeAll(async () => {
    redis = await startRedis();
    tmp = tempDir('segstream-fleet-');
  });
  afterAll(async () => {
    for (const w of workers) w.kill('SIGKILL');
    await Promise.all(workers.map((w) => w.exited));
    await redis?.stop();
    tmp?.cleanup();
  });

  it('runs every video exactly once across 3 workers, one SIGKILLed mid-job: outputs complete, equal to a local run, no staging left', async () => {
    const inDir = path.join(tmp.dir, 'in');
    const outDir = path.join(tmp.dir, 'out');
    execFileSync('mkdir', ['-p', inDir, outDir]);
    for (let i = 0; i < 4; i++) await makeIndexedVideo(path.join(inDir, `drive${i}.mp4`), { width: 160, height: 96, frames: 90, fps: '25/1', audio: i === 0 });
    const add = await runCli(['queue', 'add', path.join(inDir, '*.mp4'), '--redis', redis.url, '-o', path.join(outDir, '{stem}.mp4'), '--masks', path.join(outDir, '{stem}-masks'), '--json']);
    expect(add.stderr).toBe('');
    expect(add.code).toBe(0);
    const jobs = JSON.parse(add.stdout).jobs as { id: string; state: string; input: string }[];
    expect(jobs.map((j) => j.state)).toEqual(['added', 'added', 'added', 'added']);

    // The same work again adds nothing.
    const again = await runCli(['queue', 'add', path.join(inDir, '*.mp4'), '--redis', redis.url, '-o', path.join(outDir, '{stem}.mp4'), '--masks', path.join(outDir, '{stem}-masks'), '--json']);
    expect((JSON.parse(again.stdout).jobs as { state: string }[]).map((j) => j.state)).toEqual(['exists', 'exists', 'exists', 'exists']);

    for (let i = 0; i < 3; i++) workers.push(startWorkerProcess(redis.url, [...FAST, '--name', `w${i}`]));
    // Kill the first worker that has made progress on a job.
    const victim = await Promise.race(workers.map((w) => w.waitFor((e) => e.type === 'active').then(() => w)));
    const victimJob = victim.events.find((e) => e.type === 'active')!.jobId!;
    await until(() => fleetStatus({ redis: redis.url }), (s) => (s.jobs.find((j) => j.id === victimJob)?.frames ?? 0) > 5);
    victim.kill('SIGKILL');
    expect(await victim.exited).toBe('SIGKILL');

    const status = await until(() => fleetStatus({ redis: redis.url }), (s) => s.counts.completed + s.counts.failed === 4);
    expect(status.jobs.filter((j) => j.state === "failed").map((j) => j.error)).toEqual([]);
    expect(status.jobs.filter((j) => j.state === 'completed').map((j) => j.frames)).toEqual([90, 90, 90, 90]);

    // Exactly the outputs, once; no staging; one done marker per job.
    const files = tree(outDir);
    const visible = files.filter((f) => !f.startsWith('.seg-stream/'));
    for (let i = 0; i < 4; i++) {
      expect(visible).toContain(`drive${i}.mp4`);
      expect(visible.filter((f) => f.startsWith(`drive${i}-masks/`))).toHaveLength(90);
    }
    expect(visible).toHaveLength(4 * 91);
    expect(files.filter((f) => f.startsWith('.seg-stream/')).sort()).toEqual(jobs.map((j) => `.seg-stream/done/${j.id}.json`).sort());

    // The killed job's outputs equal a clean local run of the same file.
    const victimInput = jobs.find((j) => j.id === victimJob)!.input;
    const stem = path.basename(victimInput, '.mp4');
    const local = path.join(tmp.dir, 'local');
    execFileSync('mkdir', ['-p', local]);
    const run = await runCli([victimInput, '-o', path.join(local, 'o.mp4'), '--masks', path.join(local, 'masks'), '--threads', '1', '--workers', '1', '-q'], { timeoutMs: 120_000 });
    expect(run.stderr).toMatch(/^seg-stream: 90 frames/);
    expect(run.code).toBe(0);
    for (const name of readdirSync(path.join(local, 'masks'))) {
      expect(readFileSync(path.join(outDir, `${stem}-masks`, name)).equals(readFileSync(path.join(local, 'masks', name)))).toBe(true);
    }
    const fleetVideo = probe(path.join(outDir, `${stem}.mp4`)).video;
    const localVideo = probe(path.join(local, 'o.mp4')).video;
    expect(fleetVideo).toEqual(localVideo);
    // The takeover was logged by a surviving worker.
    expect(workers.filter((w) => w !== victim).some((w) => w.events.some((e) => e.type === 'active' && e.jobId === victimJob))).toBe(true);
  }, 400_000);
});
