/**
 * A real RTSP server for tests: GStreamer's gst-rtsp-server driven by rtsp_server.py (python3-gi),
 * on a loopback port, serving an H.264 file looped in real time. The Debian packages it needs are
 * listed in rtsp-packages.txt (.ci/run installs them).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { bins } from './media.js';

const PYTHON = '/usr/bin/python3';
const SERVER_SCRIPT = path.join(import.meta.dirname, 'rtsp_server.py');
export const RTSP_PACKAGES = readFileSync(path.join(import.meta.dirname, 'rtsp-packages.txt'), 'utf8')
  .split('\n')
  .filter(Boolean);

let available: boolean | undefined;

/**
 * True when python3-gi and the GStreamer RTSP server with the elements rtsp_server.py uses are
 * installed. Absent: a skip with a message, or under CI=true an error (CI must run these tests).
 */
export function gstreamerAvailable(): boolean {
  if (available === undefined) {
    const check = [
      'import gi',
      "gi.require_version('Gst', '1.0')",
      "gi.require_version('GstRtspServer', '1.0')",
      'from gi.repository import Gst, GstRtspServer',
      'Gst.init(None)',
      "missing = [e for e in ('filesrc', 'qtdemux', 'h264parse', 'appsrc', 'appsink', 'rtph264pay') if Gst.ElementFactory.find(e) is None]",
      "assert not missing, 'missing GStreamer elements: ' + ', '.join(missing)",
    ].join('\n');
    const r = existsSync(PYTHON) ? spawnSync(PYTHON, ['-c', check], { encoding: 'utf8', timeout: 30_000 }) : undefined;
    available = r?.status === 0;
    if (!available) {
      const why = r ? r.stderr.trim().split('\n').pop() : `${PYTHON} is missing`;
      const message = `GStreamer's RTSP server is not usable (${why}); install: apt-get install -y ${RTSP_PACKAGES.join(' ')}`;
      if (process.env.CI === 'true') throw new Error(`required under CI=true: ${message}`);
      console.warn(`skipping RTSP tests: ${message}`);
    }
  }
  return available;
}

/** Options for {@link startRtspServer}. */
export interface RtspServerOptions {
  /** H.264 MP4 file to serve (looped forever). */
  file: string;
  /** TCP port on 127.0.0.1 (default: a free one). */
  port?: number;
  /** Mount path (default `/stream`). */
  path?: string;
  user?: string;
  password?: string;
}

/** A running server. */
export interface RtspServer {
  /** `rtsp://[user:password@]127.0.0.1:<port><path>`. */
  readonly url: string;
  readonly port: number;
  /** PID of the server process now (changes on restart), undefined while stopped. */
  readonly pid: number | undefined;
  /** SIGTERM, then SIGKILL after 2 s. Idempotent. */
  stop(): Promise<void>;
  /** Stops it (if running) and starts it again on the same port, serving `file` when given (a camera that switched modes). */
  restart(file?: string): Promise<void>;
  /** SIGSTOP / SIGCONT: the server keeps its connections open but sends nothing (a stall). */
  suspend(): void;
  resume(): void;
}

const running = new Set<ChildProcess>();
let exitHook = false;

function killAllOnExit(): void {
  if (exitHook) return;
  exitHook = true;
  process.once('exit', () => {
    for (const child of running) {
      child.kill('SIGCONT');
      child.kill('SIGKILL');
    }
  });
}

function launch(o: RtspServerOptions, port: number): Promise<{ child: ChildProcess; port: number }> {
  const args = [
    SERVER_SCRIPT,
    '--file',
    o.file,
    '--port',
    String(port),
    '--path',
    o.path ?? '/stream',
    '--exit-on-stdin-eof',
  ];
  if (o.user !== undefined) args.push('--user', o.user, '--password', o.password ?? '');
  // stdin is a pipe only so that the server exits when this process dies without cleaning up.
  const child = spawn(PYTHON, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  running.add(child);
  child.once('exit', () => running.delete(child));
  killAllOnExit();
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr = (stderr + d).slice(-4000)));
  return new Promise((resolve, reject) => {
    let stdout = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`RTSP server did not print READY within 30 s: ${stderr}`));
    }, 30_000);
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
      const m = /READY (\d+)/.exec(stdout);
      if (m) {
        clearTimeout(timer);
        resolve({ child, port: Number(m[1]) });
      }
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`RTSP server exited before READY (${signal ?? `exit code ${code}`}): ${stderr}`));
    });
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}

async function terminate(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGCONT');
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 2000);
  await exited;
  clearTimeout(timer);
}

/**
 * Starts the server and waits until it listens.
 *
 * @example
 * ```ts
 * const server = await startRtspServer({ file: 'clip.mp4' });
 * try { ... server.url ... } finally { await server.stop(); }
 * ```
 */
export async function startRtspServer(options: RtspServerOptions): Promise<RtspServer> {
  let o = options;
  let { child, port } = await launch(o, o.port ?? 0);
  let current: ChildProcess | undefined = child;
  const credentials =
    o.user !== undefined ? `${encodeURIComponent(o.user)}:${encodeURIComponent(o.password ?? '')}@` : '';
  const stop = async () => {
    const c = current;
    current = undefined;
    if (c) await terminate(c);
  };
  return {
    url: `rtsp://${credentials}127.0.0.1:${port}${o.path ?? '/stream'}`,
    port,
    get pid() {
      return current?.pid;
    },
    stop,
    async restart(file?: string) {
      if (file !== undefined) o = { ...o, file };
      await stop();
      // The port was just released; a second try covers a slow release on a loaded machine.
      for (let attempt = 0; ; attempt++) {
        try {
          ({ child, port } = await launch(o, port));
          current = child;
          return;
        } catch (err) {
          if (attempt >= 2) throw err;
          await new Promise((r) => setTimeout(r, 500));
        }
      }
    },
    suspend() {
      current?.kill('SIGSTOP');
    },
    resume() {
      current?.kill('SIGCONT');
    },
  };
}

/**
 * Encodes the clip the server plays: testsrc2 at `size` and 25 fps, a key frame every `gop`
 * frames, no B-frames (like a camera).
 */
export function makeLiveClip(file: string, o: { seconds?: number; size?: string; gop?: number } = {}): void {
  const r = spawnSync(
    bins.ffmpeg.path,
    [
      '-v',
      'error',
      '-y',
      '-f',
      'lavfi',
      '-i',
      `testsrc2=size=${o.size ?? '320x240'}:rate=25`,
      '-t',
      String(o.seconds ?? 10),
      '-c:v',
      'libx264',
      '-preset',
      'ultrafast',
      '-bf',
      '0',
      '-g',
      String(o.gop ?? 25),
      '-pix_fmt',
      'yuv420p',
      file,
    ],
    { encoding: 'utf8' },
  );
  if (r.status !== 0) throw new Error(`ffmpeg could not make ${file}: ${r.stderr}`);
}
