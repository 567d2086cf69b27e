/**
 * The preview server: a page that shows a run as it happens, `/stats` (JSON), `/events`
 * (Server-Sent Events) and `/frame.jpg` (the newest picture), on node:http.
 *
 * It never slows the run or grows with it: pictures are made only for browsers that ask for one
 * (the page asks for the next picture once it has drawn the last), one at a time, at most at the
 * source's frame rate, in a worker thread; a busy worker or a slow browser means frames are
 * skipped, never queued. Events are written to a client only when its last one has left the
 * buffer; a client that stops reading is dropped. Clients are bounded.
 */
import { timingSafeEqual } from 'node:crypto';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import { hostname } from 'node:os';
import { ErrorCodes, SegStreamError, toSegStreamError } from '../errors.js';
import { redact } from '../process/redact.js';
import { buildClassLut, resolveClassSelection } from '../render/palette.js';
import type { RunPreview, RunPreviewFrame, RunPreviewStart } from '../runs/run-preview.js';
import { compiledModulePath } from '../workers/module-path.js';
import { createWorkerPool, type WorkerPool } from '../workers/pool.js';
import { DEFAULT_PREVIEW_HOST, isLoopbackHost, type PreviewAddress } from './address.js';
import type { PreviewTask, PreviewTaskResult } from './picture-worker.js';
import { PAGE_HTML } from './page.js';
import { PREVIEW_VIEWS, pixelShares, type PaintStyle, type PreviewView } from './paint.js';
import { RunStats, type PreviewSnapshot } from './run-stats.js';

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
export const DEFAULT_PREVIEW_OPTIONS = Object.freeze({ host: DEFAULT_PREVIEW_HOST, maxClients: 8, maxWidth: 640, quality: 70, stallTimeoutMs: 10_000 });

type ResolvedOptions = Required<Omit<PreviewServerOptions, 'token' | 'input' | 'live' | 'port'>> & PreviewServerOptions;

const EVENT_INTERVAL_MS = 500;
const POLL_TIMEOUT_MS = 15_000;
const SHARES_INTERVAL_MS = 500;
/** Pictures are spaced at least this many times the time one takes: the worker is busy at most 1/8 of the time. */
const BUSY_SHARE = 8;

interface Waiter {
  res: ServerResponse;
  view: PreviewView;
  after: number;
  timer: NodeJS.Timeout;
}

interface Picture {
  /** Counts the pictures made (frame indices restart with each sequence of a folder run). */
  serial: number;
  /** The frame's index in its source. */
  index: number;
  jpeg: Uint8Array;
  boundary?: (number | null)[];
}

/** The compiled worker module that paints and encodes the pictures. */
const PICTURE_WORKER = 'preview/picture-worker.js';
/** The picture thread ends after this long without a picture asked for (a new browser starts it again). */
const WORKER_IDLE_MS = 30_000;

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
  readonly #events = new Map<ServerResponse, number>();
  readonly #waiters = new Set<Waiter>();
  readonly #pictures = new Map<PreviewView, Picture>();
  #pool: WorkerPool | undefined;
  /** A pool ended for idleness, until its thread has exited. */
  #retiring: Promise<void> | undefined;
  #busy = false;
  #lastCapture = -Infinity;
  #lastShares = -Infinity;
  #statsAskedAt = -Infinity;
  #minIntervalMs = 0;
  #style: PaintStyle | undefined;
  #boundary = false;
  #ticker: NodeJS.Timeout | undefined;
  #port = 0;
  #ended = false;
  #closing: Promise<void> | undefined;
  #workerError: string | undefined;
  #serial = 0;
  /** Moving average of the milliseconds one picture takes in the worker. */
  #taskMs = 0;
  // The copies handed to the worker: shared memory, allocated once (per frame size), reused.
  #shared: { pixels: Uint8Array; classMap: Uint8Array } | undefined;

  constructor(options: PreviewServerOptions = {}) {
    this.#o = { ...DEFAULT_PREVIEW_OPTIONS, ...Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) } as ResolvedOptions;
    this.#stats.input = redact(options.input ?? '');
    this.#stats.live = options.live === true;
    if (this.#stats.live) this.#stats.state = 'connecting';
    this.#server = http.createServer({ requestTimeout: 10_000, headersTimeout: 5_000, keepAliveTimeout: 5_000, connectionsCheckingInterval: 1_000 }, (req, res) => this.#handle(req, res));
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
    const { model } = run;
    const ids = (list: number[]) => {
      const t = new Uint8Array(256);
      for (const id of list) t[id] = 1;
      return t;
    };
    this.#style = {
      lut: buildClassLut(model.card.classes, resolveClassSelection(run.classes, model)),
      alpha: run.alpha,
      isFree: ids(model.freeSpaceIds),
      isRoad: ids(model.roadIds),
      isVehicle: ids(model.vehicleIds),
    };
    this.#legend = {
      model: model.card.name,
      classes: model.card.classes.map((c, id) => ({ id, name: c.name, color: c.color, painted: this.#style!.lut[4 * id + 3]! > 0 })),
      roles: { road: model.roadIds, vehicle: model.vehicleIds, freeSpace: model.freeSpaceIds },
      boundary: run.freeSpace,
    };
    this.#boundary = run.freeSpace;
    this.#minIntervalMs = run.fps > 0 ? 1000 / run.fps : 0;
    this.#stats.input = redact(run.input);
    this.#stats.live = run.live;
    this.#stats.total = run.total;
    this.#stats.counters = run.counters;
    this.#stats.begin();
  }

  #legend: unknown;

  connection(state: 'reconnecting' | 'running'): void {
    if (!this.#ended) this.#stats.state = state;
  }

  frameDone(latencyMs?: number): void {
    this.#stats.frameDone(latencyMs);
  }

  /** True while a browser or script is waiting for a picture or watching the numbers. */
  get watched(): boolean {
    return this.#waiters.size > 0 || this.#events.size > 0;
  }

  offerFrame(frame: RunPreviewFrame): void {
    if (this.#busy || this.#ended || !this.#style || !frame.segmentation || this.#workerError) return;
    const now = performance.now();
    if (this.#pool && this.#waiters.size === 0 && now - this.#lastCapture > WORKER_IDLE_MS) {
      this.#retiring = this.#pool.close();
      this.#pool = undefined;
    }
    if (this.#waiters.size === 0 && this.#events.size === 0 && now - this.#statsAskedAt > 5_000) return;
    const seg = frame.segmentation;
    const views = [...new Set([...this.#waiters].map((w) => w.view))];
    if (views.length === 0) {
      // Numbers only (a dashboard on /events or /stats): one pass over the small class map, twice a second, no thread.
      if (now - this.#lastShares >= SHARES_INTERVAL_MS) {
        this.#lastShares = now;
        this.#stats.shares = { ...pixelShares(seg.classMap, this.#style), frame: frame.index };
      }
      return;
    }
    if (now - this.#lastCapture < Math.max(this.#minIntervalMs, this.#taskMs * BUSY_SHARE)) return;
    this.#lastCapture = now;
    this.#lastShares = now;
    // The frame's own buffers go on down the run: the preview copies them into shared memory the
    // worker reads (allocated once; one task at a time uses it).
    if (this.#shared?.pixels.length !== frame.pixels.length || this.#shared.classMap.length !== seg.classMap.length) {
      this.#shared = { pixels: new Uint8Array(new SharedArrayBuffer(frame.pixels.length)), classMap: new Uint8Array(new SharedArrayBuffer(seg.classMap.length)) };
    }
    const { pixels, classMap } = this.#shared;
    pixels.set(frame.pixels);
    classMap.set(seg.classMap);
    const task: PreviewTask = {
      frame: { index: frame.index, width: frame.width, height: frame.height, format: frame.format, pixels, classMap, mapWidth: seg.width, mapHeight: seg.height, overlaid: frame.overlaid === true },
      views,
      style: this.#style,
      maxWidth: this.#o.maxWidth,
      quality: this.#o.quality,
      boundary: this.#boundary,
    };
    this.#busy = true;
    const t0 = now;
    let pool: WorkerPool;
    try {
      pool = this.#pool ??= createWorkerPool({ filename: compiledModulePath(PICTURE_WORKER), threads: 1, maxQueue: 1 });
    } catch (err) {
      this.#pictureFailed(err);
      this.#busy = false;
      return;
    }
    pool
      .run<PreviewTaskResult>('picture', task)
      .then(
        (r: PreviewTaskResult) => {
          // The first picture also starts the thread: not a measure of a picture's cost.
          if (this.#serial > 0) this.#taskMs = this.#taskMs === 0 ? performance.now() - t0 : 0.8 * this.#taskMs + 0.2 * (performance.now() - t0);
          this.#pictureReady(r);
        },
        (err: unknown) => this.#pictureFailed(err),
      )
      .finally(() => (this.#busy = false));
  }

  /** Pictures cannot be made: every waiting and later picture request gets the reason (the numbers go on). */
  #pictureFailed(err: unknown): void {
    this.#workerError = `the preview could not make a picture: ${(err as Error)?.message ?? err}`;
    for (const w of this.#waiters) this.#answer(w, 500);
  }

  #pictureReady(r: PreviewTaskResult): void {
    this.#stats.shares = { ...r.shares, frame: r.index };
    const serial = ++this.#serial;
    for (const [view, jpeg] of Object.entries(r.images) as [PreviewView, Uint8Array][]) this.#pictures.set(view, { serial, index: r.index, jpeg, boundary: r.boundary });
    for (const w of this.#waiters) {
      const p = this.#pictures.get(w.view);
      if (p && p.serial > w.after) this.#answer(w, 200, p);
    }
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
    const data = this.#eventData('end');
    for (const res of this.#events.keys()) res.end(data);
    this.#events.clear();
    this.#stopTicker();
    for (const w of this.#waiters) this.#answer(w, 204);
  }

  /** Ends every connection and the worker thread, and frees the port. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      if (!this.#ended) this.fail(new SegStreamError(ErrorCodes.ABORTED, 'the preview was closed before the run ended'));
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
      await this.#pool?.destroy();
      await this.#retiring;
    })();
    return this.#closing;
  }

  /** Same as {@link close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  #handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://preview');
    res.setHeader('Cache-Control', 'no-store');
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Referrer-Policy', 'no-referrer');
    if (req.method !== 'GET') return void this.#text(res, 405, 'only GET\n');
    const denied = this.#denied(req, url);
    if (denied) return void this.#text(res, 403, `${denied}\n`);
    switch (url.pathname) {
      case '/':
        res.writeHead(200, {
          'Content-Type': 'text/html; charset=utf-8',
          'Content-Security-Policy': "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src 'self' blob:; connect-src 'self'",
        });
        return void res.end(PAGE_HTML);
      case '/stats':
        this.#statsAskedAt = performance.now();
        return void this.#json(res, { ...this.#stats.snapshot(), legend: this.#legend });
      case '/events':
        return this.#openEvents(req, res);
      case '/frame.jpg':
        return this.#frameRequest(url, res);
      default:
        return void this.#text(res, 404, 'not found: the preview serves /, /stats, /events and /frame.jpg\n');
    }
  }

  /** Why a request is refused, or undefined. */
  #denied(req: IncomingMessage, url: URL): string | undefined {
    const token = this.#o.token;
    if (token !== undefined) {
      const given = Buffer.from(url.searchParams.get('token') ?? '');
      const want = Buffer.from(token);
      return given.length === want.length && timingSafeEqual(given, want) ? undefined : 'forbidden: this preview needs the token from its URL (?token=...)';
    }
    // Without a token only this machine's names are served (no DNS rebinding from a web page).
    const host = (req.headers.host ?? '').replace(/:\d+$/, '').replace(/^\[(.*)\]$/, '$1');
    return isLoopbackHost(host) || host === this.#o.host ? undefined : `forbidden: host ${JSON.stringify(host)}`;
  }

  #openEvents(req: IncomingMessage, res: ServerResponse): void {
    if (this.#ended) {
      res.writeHead(200, { 'Content-Type': 'text/event-stream' });
      return void res.end(this.#eventData('end'));
    }
    if (this.#events.size >= this.#o.maxClients) return void this.#text(res, 503, 'too many preview clients\n');
    res.writeHead(200, { 'Content-Type': 'text/event-stream', Connection: 'keep-alive' });
    res.write(`retry: 1000\n${this.#eventData('stats')}`);
    this.#events.set(res, performance.now());
    req.on('close', () => {
      this.#events.delete(res);
      if (this.#events.size === 0) this.#stopTicker();
    });
    this.#ticker ??= setInterval(() => this.#tick(), EVENT_INTERVAL_MS).unref();
  }

  #tick(): void {
    const now = performance.now();
    let data: string | undefined;
    for (const [res, lastTaken] of this.#events) {
      if (res.writableLength > 0) {
        // Never queue behind a client that does not read; drop it after a while.
        if (now - lastTaken > this.#o.stallTimeoutMs) res.destroy();
        continue;
      }
      this.#events.set(res, now);
      res.write((data ??= this.#eventData('stats')));
    }
  }

  #stopTicker(): void {
    clearInterval(this.#ticker);
    this.#ticker = undefined;
  }

  #eventData(event: 'stats' | 'end'): string {
    return `event: ${event}\ndata: ${JSON.stringify({ ...this.#stats.snapshot(), legend: this.#legend })}\n\n`;
  }

  #frameRequest(url: URL, res: ServerResponse): void {
    const view = (url.searchParams.get('view') ?? 'overlay') as PreviewView;
    if (!PREVIEW_VIEWS.includes(view)) return void this.#text(res, 400, `Expected ${PREVIEW_VIEWS.join(', ')} for view but received ${JSON.stringify(view)}\n`);
    const after = Number(url.searchParams.get('after') ?? -1);
    const p = this.#pictures.get(view);
    if (this.#workerError) return void this.#text(res, 500, `${this.#workerError}\n`);
    if (p && p.serial > after) return void this.#sendPicture(res, p);
    if (this.#ended) return void res.writeHead(204).end();
    if (this.#waiters.size >= this.#o.maxClients) return void this.#text(res, 503, 'too many picture requests\n');
    const w: Waiter = { res, view, after: Number.isFinite(after) ? after : -1, timer: setTimeout(() => this.#answer(w, 204), POLL_TIMEOUT_MS) };
    this.#waiters.add(w);
    res.on('close', () => {
      clearTimeout(w.timer);
      this.#waiters.delete(w);
    });
  }

  #answer(w: Waiter, status: number, picture?: Picture): void {
    clearTimeout(w.timer);
    this.#waiters.delete(w);
    if (picture) this.#sendPicture(w.res, picture);
    else if (status === 500) this.#text(w.res, 500, `${this.#workerError}\n`);
    else w.res.writeHead(status).end();
  }

  #sendPicture(res: ServerResponse, p: Picture): void {
    const headers: Record<string, string | number> = { 'Content-Type': 'image/jpeg', 'Content-Length': p.jpeg.byteLength, 'X-Picture': p.serial, 'X-Frame-Index': p.index };
    if (p.boundary) headers['X-Free-Space-Boundary'] = p.boundary.map((v) => (v === null ? '' : v.toFixed(3))).join(',');
    res.writeHead(200, headers).end(p.jpeg);
  }

  #json(res: ServerResponse, body: unknown): void {
    res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify(body));
  }

  #text(res: ServerResponse, status: number, body: string): void {
    res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8' }).end(body);
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
