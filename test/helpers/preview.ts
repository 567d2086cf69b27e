/**
 * A `seg-stream … --preview` run as a user starts it: the real binary, its preview address read
 * from stderr, its JSON summary from stdout; and HTTP clients of the preview.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import net from 'node:net';
import type { PreviewLegend, PreviewSnapshot } from '../../src/preview/run-stats.js';
import { binPath } from './cli.js';
import { repoRoot } from './media.js';

/** A running CLI with a preview. */
export interface PreviewRun {
  child: ChildProcess;
  /** The page's URL, once the CLI has printed it. */
  url: Promise<URL>;
  /** Exit code, stdout and stderr when the run has ended. */
  done: Promise<{ code: number | null; stdout: string; stderr: string }>;
}

/** Starts `seg-stream <args>` (add `--preview …` yourself); killed after `timeoutMs`. */
export function startPreviewRun(args: string[], timeoutMs = 150_000): PreviewRun {
  const child = spawn(process.execPath, [binPath, ...args], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  let gotUrl!: (u: URL) => void;
  let noUrl!: (e: Error) => void;
  const url = new Promise<URL>((resolve, reject) => ((gotUrl = resolve), (noUrl = reject)));
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => {
    stderr += d;
    const m = /preview at (http:\/\/\S+)/.exec(stderr);
    if (m) gotUrl(new URL(m[1]));
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const done = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) =>
    child.on('close', (code) => {
      clearTimeout(timer);
      noUrl(new Error(`the run ended without a preview address: ${stderr}`));
      resolve({ code, stdout, stderr });
    }),
  );
  return { child, url, done };
}

/** GET `url`: status, headers and body. */
export function get(
  url: URL | string,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
        res.on('error', reject);
      })
      .on('error', reject);
  });
}

/** What `/stats` answers and each event of `/events` carries. */
export type PreviewEventData = PreviewSnapshot & { legend: PreviewLegend };

/** One event of `/events`: its name and parsed data. */
export interface PreviewEvent {
  event: string;
  data: PreviewEventData;
}

/** Server-Sent Events from `url` until the stream ends: each event's name and parsed data (also passed to `onEvent` as they come). */
export function readEvents(url: URL | string, onEvent?: (e: PreviewEvent) => void): Promise<PreviewEvent[]> {
  return new Promise((resolve, reject) => {
    http
      .get(url, (res) => {
        const events: PreviewEvent[] = [];
        let buf = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => {
          buf += d;
          let i;
          while ((i = buf.indexOf('\n\n')) >= 0) {
            const block = buf.slice(0, i);
            buf = buf.slice(i + 2);
            const event = /^event: (.*)$/m.exec(block)?.[1];
            const data = /^data: (.*)$/m.exec(block)?.[1];
            if (event && data) {
              events.push({ event, data: JSON.parse(data) as PreviewEventData });
              onEvent?.(events.at(-1)!);
            }
          }
        });
        res.on('end', () => resolve(events));
        res.on('error', reject);
      })
      .on('error', reject);
  });
}

/** True when nothing listens on `port` of 127.0.0.1 (a server can bind it). */
export function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(false));
    s.listen({ host: '127.0.0.1', port }, () => s.close(() => resolve(true)));
  });
}
