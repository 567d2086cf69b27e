/**
 * The preview server: a page that shows a run as it happens, `/stats` (JSON), `/events`
 * (Server-Sent Events) and `/frame.jpg` (the newest picture), on node:http.
 *
 * It never slows the run or grows with it: pictures are made only for browsers that ask for one,
 * one at a time, at most at the source's frame rate, in a worker thread ({@link Pictures}); events
 * go only to clients that read them ({@link EventStream}); clients are bounded. This file wires
 * the parts: the routes (`routes.ts`), the event stream, the pictures and the run's numbers
 * (`run-stats.ts`).
 */
import http from 'node:http';
import { hostname } from 'node:os';
import { ErrorCodes, SegStreamError, toSegStreamError } from '../errors.js';
import { redact } from '../process/redact.js';
import type { RunPreview, RunPreviewFrame, RunPreviewStart } from '../runs/run-preview.js';
import { DEFAULT_PREVIEW_HOST, type PreviewAddress } from './address.js';
import { EventStream, type PreviewEvent } from './event-stream.js';
import { Pictures, paintStyleOf } from './pictures.js';
import { previewRoutes, sendJson } from './routes.js';
import { RunStats, legendOf, type PreviewLegend, type PreviewSnapshot } from './run-stats.js';

/** Options of {@link PreviewServer}. */
export interface PreviewServerOptions extends Partial<PreviewAddress> {
  /** The input, shown while the run sets up (credentials removed). */
  input?: string;
  /** A live stream: the state reads `connecting` until the run begins. */
  live?: boolean;
  /** Browsers (event streams) at once, and waiting picture requests at once (default 8 each). */
  maxClients?: number;
  /** Width of the pictures at most, in pixels (default 640; the page scales them to fit). */
  maxWidth?: number;
  /** JPEG quality 1..100 (default 70). */
  quality?: number;
  /** A client that has not taken its events for this long is dropped (default 10000 ms). */
  stallTimeoutMs?: number;
}

/** Defaults of {@link PreviewServerOptions}. */
export const DEFAULT_PREVIEW_OPTIONS = Object.freeze({
  host: DEFAULT_PREVIEW_HOST,
  maxClients: 8,
  maxWidth: 640,
  quality: 70,
  stallTimeoutMs: 10_000,
});

type ResolvedOptions = Required<Omit<PreviewServerOptions, 'token' | 'input' | 'live' | 'port'>> & PreviewServerOptions;

/** After `/stats` was asked for, the numbers are kept up to date (pixel shares) this long. */
const STATS_WATCH_MS = 5_000;

/**
 * Serves a live preview of a run; pass it to a run as `preview`, and let it {@link track} the
 * run so the page shows how it ended.
 *
 * @example
 * ```ts
 * const preview = await new PreviewServer({ port: 8080 }).start();
 * console.error(`preview at ${preview.url}`);
 * try { await preview.track(segmentVideo({ input: 'drive.mp4', output: 'o.mp4', preview })); }
 * finally { await preview.close(); }
 * ```
 */
export class PreviewServer implements RunPreview {
  readonly #o: ResolvedOptions;
  readonly #stats = new RunStats();
  readonly #server: http.Server;
  readonly #events: EventStream;
  readonly #pictures: Pictures;
  #legend: PreviewLegend | undefined;
  #statsAskedAt = -Infinity;
  #port = 0;
  #ended = false;
  #closing: Promise<void> | undefined;

  constructor(options: PreviewServerOptions = {}) {
    this.#o = {
      ...DEFAULT_PREVIEW_OPTIONS,
      ...Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)),
    };
    this.#stats.input = redact(options.input ?? '');
    this.#stats.live = options.live === true;
    if (this.#stats.live) this.#stats.state = 'connecting';
    this.#events = new EventStream(this.#o, (event) => this.#eventData(event));
    this.#pictures = new Pictures(this.#o, {
      shares: (shares) => (this.#stats.shares = shares),
      numbersWatched: (now) => this.#events.size > 0 || now - this.#statsAskedAt <= STATS_WATCH_MS,
    });
    const routes = previewRoutes(this.#o, {
      stats: (res) => {
        this.#statsAskedAt = performance.now();
        sendJson(res, { ...this.#stats.snapshot(), legend: this.#legend });
      },
      events: (req, res) => this.#events.open(req, res),
      frame: (url, res) => this.#pictures.request(url, res),
    });
    this.#server = http.createServer(
      { requestTimeout: 10_000, headersTimeout: 5_000, keepAliveTimeout: 5_000, connectionsCheckingInterval: 1_000 },
      routes,
    );
    this.#server.maxConnections = this.#o.maxClients * 4;
  }

  /**
   * Listens on the host and port.
   *
   * @throws {SegStreamError} `SEGSTREAM_ERR_PREVIEW_UNAVAILABLE` when the port is in use or the
   *   host is not an address of this machine
   */
  async start(): Promise<this> {
    const { host, port = 0 } = this.#o;
    await new Promise<void>((resolve, reject) => {
      const onError = (err: NodeJS.ErrnoException) => reject(listenError(err, host, port));
      this.#server.once('error', onError);
      this.#server.listen({ host, port }, () => {
        this.#server.off('error', onError);
        resolve();
      });
    });
    this.#port = (this.#server.address() as { port: number }).port;
    return this;
  }

  /** The page's address (with the token, when one is required). */
  get url(): string {
    let host = this.#o.host;
    if (host === '0.0.0.0' || host === '::') host = hostname();
    if (host.includes(':')) host = `[${host}]`;
    return `http://${host}:${this.#port}/${this.#o.token ? `?token=${encodeURIComponent(this.#o.token)}` : ''}`;
  }

  /** The port listened on. */
  get port(): number {
    return this.#port;
  }

  /** The numbers now (what `/stats` returns). */
  snapshot(): PreviewSnapshot {
    return this.#stats.snapshot();
  }

  begin(run: RunPreviewStart): void {
    const style = paintStyleOf(run);
    this.#legend = legendOf(run, style.lut);
    this.#pictures.begin(style, run.freeSpace, run.fps);
    this.#stats.start(run);
  }

  connection(state: 'reconnecting' | 'running'): void {
    if (!this.#ended) this.#stats.state = state;
  }

  frameDone(latencyMs?: number): void {
    this.#stats.frameDone(latencyMs);
  }

  /** True while a browser or script is waiting for a picture or watching the numbers. */
  get watched(): boolean {
    return this.#pictures.waiting > 0 || this.#events.size > 0;
  }

  offerFrame(frame: RunPreviewFrame): void {
    if (!this.#ended) this.#pictures.offer(frame);
  }

  /** The run ended: the page shows `summary` (what `--json` prints). */
  finish(summary: unknown): void {
    if (this.#ended) return;
    this.#stats.summary = summary;
    this.#stats.end('finished');
    this.#end();
  }

  /** The run failed: the page shows the error's code and message. */
  fail(err: unknown): void {
    if (this.#ended) return;
    const e = toSegStreamError(err);
    this.#stats.error = { code: e.code, message: redact(e.message) };
    this.#stats.end('failed');
    this.#end();
  }

  /** Reports how `run` ends ({@link finish} or {@link fail}) and passes its result on. */
  async track<T>(run: Promise<T>): Promise<T> {
    try {
      const result = await run;
      this.finish(result);
      return result;
    } catch (err) {
      this.fail(err);
      throw err;
    }
  }

  #end(): void {
    this.#ended = true;
    this.#events.end();
    this.#pictures.end();
  }

  /** Ends every connection and the worker thread, and frees the port. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      if (!this.#ended)
        this.fail(new SegStreamError(ErrorCodes.ABORTED, 'the preview was closed before the run ended'));
      // Let the last events leave before the sockets go (a stalled client is not waited for long).
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, 300);
        this.#server.close(() => {
          clearTimeout(t);
          resolve();
        });
        this.#server.closeIdleConnections();
      });
      this.#server.closeAllConnections();
      await new Promise<void>((resolve) => (this.#server.listening ? this.#server.close(() => resolve()) : resolve()));
      await this.#pictures.close();
    })();
    return this.#closing;
  }

  /** Same as {@link close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  #eventData(event: PreviewEvent): string {
    return `event: ${event}\ndata: ${JSON.stringify({ ...this.#stats.snapshot(), legend: this.#legend })}\n\n`;
  }
}

function listenError(err: NodeJS.ErrnoException, host: string, port: number): SegStreamError {
  const where = `${host.includes(':') ? `[${host}]` : host}:${port}`;
  const why =
    err.code === 'EADDRINUSE'
      ? `port ${port} on ${host} is in use; choose another with --preview [HOST:]PORT (0 picks a free port)`
      : err.code === 'EACCES'
        ? `not allowed to listen on ${where} (ports below 1024 need privileges); choose a port above 1023`
        : err.code === 'EADDRNOTAVAIL' || err.code === 'ENOTFOUND' || err.code === 'EAI_AGAIN'
          ? `${host} is not an address of this machine; give one of its addresses, 0.0.0.0 for all, or leave the host out for 127.0.0.1`
          : `cannot listen on ${where} (${err.message})`;
  return new SegStreamError(ErrorCodes.PREVIEW_UNAVAILABLE, `the preview cannot start: ${why}`, { cause: err });
}
