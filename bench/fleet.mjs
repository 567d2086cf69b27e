// Fleet mode against one machine, in the same run (rounds interleaved, best round kept):
//   local      one `seg-stream <file> -o …` process per file, one after another (the baseline)
//   queue×1    the same files through `queue add` and one `seg-stream worker` (queue overhead)
//   queue×2    the same with two workers on this machine
//   chunked    one long video through the queue with --chunk and two workers, against the same
//              video as one job on two workers (and a local run)
// Then the queue's own costs on this machine (no video work): jobs added per second, empty jobs
// run per second by one worker, progress reports per second — the figures the README's scaling
// estimate uses. Every contender starts a fresh redis-server; workers are started before the add
// (they are daemons), and their start is reported apart.
// Usage: node bench/fleet.mjs [--rounds 2] [--files 4] [--frames 300]
import { spawn } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { fleetStatus } from '../dist/index.js';
import { makeClip, root, round, work } from './lib.mjs';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '2' },
    files: { type: 'string', default: '4' },
    frames: { type: 'string', default: '300' },
  },
});
const ROUNDS = Number(values.rounds);
const FILES = Number(values.files);
const FRAMES = Number(values.frames);
const bin = path.join(root, 'bin', 'seg-stream.js');
const dir = path.join(work, 'fleet');

function run(args) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('close', (code) =>
      code === 0 ? resolve(out) : reject(new Error(`seg-stream ${args.join(' ')}: ${code}: ${err}`)),
    );
  });
}

async function freePort() {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = /** @type {import('node:net').AddressInfo} */ (s.address());
      s.close(() => resolve(port));
    });
  });
}

async function startRedis() {
  const port = await freePort();
  const child = spawn(
    'redis-server',
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      '--maxmemory-policy',
      'noeviction',
    ],
    { stdio: ['ignore', 'pipe', 'ignore'] },
  );
  await new Promise(
    /** @param {(v?: unknown) => void} resolve */ (resolve) => {
      let out = '';
      child.stdout.on('data', (d) => {
        out += d;
        if (/Ready to accept/.test(out)) resolve();
      });
    },
  );
  return {
    url: `redis://127.0.0.1:${port}`,
    stop: () => new Promise((r) => (child.once('exit', r), child.kill('SIGKILL'))),
  };
}

function startWorker(url) {
  const child = spawn(process.execPath, [bin, 'worker', '--redis', url, '--json'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const ready = new Promise(
    /** @param {(v?: unknown) => void} resolve */ (resolve) => {
      let out = '';
      child.stdout.on('data', (d) => {
        out += d;
        if (out.includes('"ready"')) resolve();
      });
    },
  );
  return { ready, stop: () => new Promise((r) => (child.once('exit', r), child.kill('SIGTERM'))) };
}

async function waitAll(url, n) {
  for (;;) {
    const s = await fleetStatus({ redis: url });
    if (s.counts.failed > 0)
      throw new Error(`a job failed: ${JSON.stringify(s.jobs.find((j) => j.state === 'failed'))}`);
    if (s.counts.completed >= n) return s;
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function viaQueue(files, workers, extra = [], expectJobs = files.length) {
  const redis = await startRedis();
  const out = path.join(dir, `q${workers}-${Date.now()}`);
  mkdirSync(out, { recursive: true });
  const t0 = performance.now();
  const ws = Array.from({ length: workers }, () => startWorker(redis.url));
  await Promise.all(ws.map((w) => w.ready));
  const started = performance.now();
  await run(['queue', 'add', ...files, '--redis', redis.url, '-o', path.join(out, '{stem}.mp4'), ...extra]);
  await waitAll(redis.url, expectJobs);
  const done = performance.now();
  await Promise.all(ws.map((w) => w.stop()));
  await redis.stop();
  rmSync(out, { recursive: true, force: true });
  return { seconds: (done - started) / 1000, workerStartSeconds: (started - t0) / 1000 };
}

async function local(files) {
  const out = path.join(dir, `local-${Date.now()}`);
  mkdirSync(out, { recursive: true });
  const t0 = performance.now();
  for (const f of files) await run([f, '-o', path.join(out, path.basename(f)), '-q']);
  const seconds = (performance.now() - t0) / 1000;
  rmSync(out, { recursive: true, force: true });
  return { seconds };
}

mkdirSync(dir, { recursive: true });
const files = Array.from({ length: FILES }, (_, i) =>
  makeClip(`fleet-${i}-${FRAMES}.mp4`, { size: '960x540', fps: 25 + i, frames: FRAMES }),
);
/** @type {Record<string, { seconds: number, workerStartSeconds?: number }>} */
const best = {};
const keep = (name, r) => {
  if (!best[name] || r.seconds < best[name].seconds) best[name] = r;
};
for (let r = 0; r < ROUNDS; r++) {
  keep('local', await local(files));
  keep('queue1', await viaQueue(files, 1));
  keep('queue2', await viaQueue(files, 2));
  console.log(`round ${r + 1}: ${JSON.stringify(best)}`);
}

// A long video: chunked across two workers vs one job.
const longFrames = FRAMES * FILES;
const long = makeClip(`fleet-long-${longFrames}.mp4`, { size: '960x540', fps: 25, frames: longFrames });
const chunkSeconds = Math.max(1, Math.round(longFrames / 25 / 4));
/** @type {any} */
let chunked;
let whole;
let chunkJobs;
try {
  for (let r = 0; r < ROUNDS; r++) {
    const w = await viaQueue([long], 2);
    if (!whole || w.seconds < whole.seconds) whole = w;
    // Chunks + the join: completed jobs counted once the join is done (the join finishes last).
    const redisProbe = await startRedis();
    const added = JSON.parse(
      await run([
        'queue',
        'add',
        long,
        '--redis',
        redisProbe.url,
        '-o',
        path.join(dir, 'probe-{stem}.mp4'),
        '--chunk',
        `${chunkSeconds}s`,
        '--json',
      ]),
    );
    await redisProbe.stop();
    chunkJobs = added.jobs.length + (added.jobs[0]?.children ?? 0);
    const c = await viaQueue([long], 2, ['--chunk', `${chunkSeconds}s`], chunkJobs);
    if (!chunked || c.seconds < chunked.seconds) chunked = c;
  }
} catch (err) {
  chunked = { error: String(/** @type {Error} */ (err).message ?? err) };
}

// The queue's own costs: empty jobs.
async function queueCosts() {
  const redis = await startRedis();
  const connection = new Redis(redis.url, { maxRetriesPerRequest: null });
  const queue = new Queue('bench', { connection, prefix: 'bench' });
  const N = 2000;
  let t0 = performance.now();
  for (let i = 0; i < N; i++)
    await queue.add(
      'j',
      { input: `/data/file-${i}.mp4`, outputs: { output: `/out/file-${i}.mp4` } },
      { jobId: `j-${i}` },
    );
  const addPerSecond = N / ((performance.now() - t0) / 1000);
  let done = 0;
  t0 = performance.now();
  let allDone;
  const finished = new Promise((resolve) => (allDone = resolve));
  const worker = new Worker(
    'bench',
    async () => {
      if (++done === N) setImmediate(allDone);
    },
    { connection: new Redis(redis.url, { maxRetriesPerRequest: null }), prefix: 'bench', concurrency: 1 },
  );
  await finished;
  await worker.close();
  const runPerSecond = N / ((performance.now() - t0) / 1000);
  const job = /** @type {import('bullmq').Job} */ (await queue.getJob('j-0'));
  t0 = performance.now();
  for (let i = 0; i < N; i++)
    await job.updateProgress({ frames: i, total: N, fps: 25, dropped: 0, at: Date.now(), worker: 'bench' });
  const progressPerSecond = N / ((performance.now() - t0) / 1000);
  await queue.close();
  connection.disconnect();
  await redis.stop();
  return {
    addPerSecond: round(addPerSecond, 0),
    emptyJobsPerSecondOneWorker: round(runPerSecond, 0),
    progressReportsPerSecond: round(progressPerSecond, 0),
  };
}
const costs = await queueCosts();

const result = {
  machine: '2 cores, no GPU; every process shares them',
  files: FILES,
  framesPerFile: FRAMES,
  size: '960x540',
  rounds: ROUNDS,
  seconds: { local: round(best.local.seconds), queue1: round(best.queue1.seconds), queue2: round(best.queue2.seconds) },
  workerStartSeconds: round(best.queue1.workerStartSeconds),
  throughputVsLocal: {
    queue1: round(best.local.seconds / best.queue1.seconds, 3),
    queue2: round(best.local.seconds / best.queue2.seconds, 3),
  },
  longVideo: {
    frames: longFrames,
    chunkSeconds,
    jobs: chunkJobs,
    wholeOnTwoWorkers: whole && round(whole.seconds),
    chunkedOnTwoWorkers: chunked?.seconds && round(chunked.seconds),
    speedup: chunked?.seconds && whole ? round(whole.seconds / chunked.seconds, 3) : undefined,
    error: chunked?.error,
  },
  queueCosts: costs,
};
console.log(JSON.stringify(result, null, 2));
writeFileSync(path.join(root, 'bench', 'results', 'fleet.json'), `${JSON.stringify(result, null, 2)}\n`);
process.exit(0);
