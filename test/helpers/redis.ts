/**
 * A real Redis for fleet tests: Debian's `redis-server` on a free loopback port, no persistence,
 * and real `seg-stream worker` processes that report their events as JSON lines.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { binPath } from './cli.js';
import { repoRoot } from './media.js';

const REDIS_SERVER = '/usr/bin/redis-server';

/** True when redis-server is installed; absent: a skip with a message, or under CI=true an error. */
export function redisAvailable(): boolean {
  if (existsSync(REDIS_SERVER)) return true;
  const message = `${REDIS_SERVER} is missing; install it: apt-get install -y redis-server`;
  if (process.env.CI === 'true') throw new Error(`required under CI=true: ${message}`);
  console.warn(`skipping fleet tests: ${message}`);
  return false;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const c of running) c.kill('SIGKILL');
});

/** A running redis-server. */
export interface RedisServer {
  url: string;
  port: number;
  stop(): Promise<void>;
}

/** Starts redis-server on a free (or the given) loopback port (no RDB/AOF files) and waits until it accepts connections. */
export async function startRedis(port?: number): Promise<RedisServer> {
  port ??= await freePort();
  const child = spawn(
    REDIS_SERVER,
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
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  running.add(child);
  child.once('exit', () => running.delete(child));
  await new Promise<void>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`redis-server did not start: ${out}`)), 20_000);
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      if (/Ready to accept connections/.test(out)) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`redis-server exited (${code}): ${out}`));
    });
  });
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGKILL');
      await exited;
    },
  };
}

/** A worker event as printed by `seg-stream worker --json`. */
export interface WorkerEventLine {
  type: string;
  jobId?: string;
  [key: string]: unknown;
}

/** A real `seg-stream worker` process. */
export interface WorkerProcess {
  child: ChildProcess;
  events: WorkerEventLine[];
  stderr(): string;
  /** Resolves with the first event (past or future) that matches. */
  waitFor(match: (e: WorkerEventLine) => boolean, timeoutMs?: number): Promise<WorkerEventLine>;
  /** Resolves with the exit code (or signal name). */
  exited: Promise<number | string>;
  kill(signal?: NodeJS.Signals): void;
}

/** Starts `seg-stream worker --json --redis URL ...args` (one inference thread and one worker thread: tests share two cores). */
export function startWorkerProcess(redisUrl: string, args: string[] = [], env: NodeJS.ProcessEnv = {}): WorkerProcess {
  const child = spawn(
    process.execPath,
    [binPath, 'worker', '--json', '--redis', redisUrl, '--threads', '1', '--workers', '1', ...args],
    { cwd: repoRoot, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  running.add(child);
  const events: WorkerEventLine[] = [];
  const waiters: { match: (e: WorkerEventLine) => boolean; resolve: (e: WorkerEventLine) => void }[] = [];
  let stderr = '';
  let partial = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr = (stderr + d).slice(-20000)));
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    const lines = (partial + d).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) {
      if (!line.trim()) continue;
      let e: WorkerEventLine;
      try {
        e = JSON.parse(line) as WorkerEventLine;
      } catch {
        continue;
      }
      events.push(e);
      for (const w of [...waiters]) {
        if (w.match(e)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(e);
        }
      }
    }
  });
  const exited = new Promise<number | string>((resolve) =>
    child.once('exit', (code, signal) => {
      running.delete(child);
      resolve(code ?? signal ?? -1);
    }),
  );
  return {
    child,
    events,
    stderr: () => stderr,
    exited,
    kill: (signal = 'SIGTERM') => void child.kill(signal),
    waitFor(match, timeoutMs = 120_000) {
      const seen = events.find(match);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () =>
            reject(
              new Error(
                `worker event not seen in ${timeoutMs} ms; events: ${JSON.stringify(events)}; stderr: ${stderr}`,
              ),
            ),
          timeoutMs,
        );
        waiters.push({
          match,
          resolve: (e) => {
            clearTimeout(timer);
            resolve(e);
          },
        });
      });
    },
  };
}
