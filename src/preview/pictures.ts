/**
 * The preview's pictures (`/frame.jpg`): made only for browsers that ask for one (the page asks
 * for the next picture once it has drawn the last), one at a time, at most at the source's frame
 * rate and spaced so that the picture thread is busy at most 1/{@link BUSY_SHARE} of the time; a
 * busy thread or a slow browser means frames are skipped, never queued. Waiting requests are
 * bounded. The thread starts with the first request and ends after a while without one.
 */
import type { ServerResponse } from 'node:http';
import { overlayLut } from '../render/palettes.js';
import type { RunPreviewFrame, RunPreviewStart } from '../runs/run-preview.js';
import { compiledModulePath } from '../workers/module-path.js';
import { createWorkerPool, type WorkerPool } from '../workers/pool.js';
import { PREVIEW_VIEWS, pixelShares, type PaintStyle, type PixelShares, type PreviewView } from './paint.js';
import type { PreviewTask, PreviewTaskResult } from './picture-worker.js';
import { sendText } from './routes.js';

/** Options of {@link Pictures}. */
export interface PicturesOptions {
  /** Waiting picture requests at once; more get 503. */
  maxClients: number;
  /** Width of the pictures at most, in pixels. */
  maxWidth: number;
  /** JPEG quality 1..100. */
  quality: number;
}

/** What {@link Pictures} reports to the rest of the preview. */
export interface PicturesHooks {
  /** The class shares of a frame looked at (with every picture, or alone for a dashboard). */
  shares(shares: PixelShares & { frame: number }): void;
  /** True while someone watches the numbers (an event stream, or `/stats` asked for lately). */
  numbersWatched(now: number): boolean;
}

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

const POLL_TIMEOUT_MS = 15_000;
const SHARES_INTERVAL_MS = 500;
/** Pictures are spaced at least this many times the time one takes: the worker is busy at most 1/8 of the time. */
const BUSY_SHARE = 8;
/** The compiled worker module that paints and encodes the pictures. */
const PICTURE_WORKER = 'preview/picture-worker.js';
/** The picture thread ends after this long without a picture asked for (a new browser starts it again). */
const WORKER_IDLE_MS = 30_000;

/** How the pictures of a run are painted: its palette, overlay strength and class roles. */
export function paintStyleOf(run: RunPreviewStart): PaintStyle {
  const { model } = run;
  const ids = (list: number[]) => {
    const t = new Uint8Array(256);
    for (const id of list) t[id] = 1;
    return t;
  };
  return {
    lut: overlayLut(model, run.classes, run.palette),
    alpha: run.alpha,
    isFree: ids(model.freeSpaceIds),
    isRoad: ids(model.roadIds),
    isVehicle: ids(model.vehicleIds),
  };
}

/** The newest picture of each view, the requests waiting for the next one, and the thread that paints them. */
export class Pictures {
  readonly #o: PicturesOptions;
  readonly #hooks: PicturesHooks;
  readonly #waiters = new Set<Waiter>();
  readonly #pictures = new Map<PreviewView, Picture>();
  #style: PaintStyle | undefined;
  #boundary = false;
  #minIntervalMs = 0;
  #pool: WorkerPool | undefined;
  /** A pool ended for idleness, until its thread has exited. */
  #retiring: Promise<void> | undefined;
  #busy = false;
  #lastCapture = -Infinity;
  #lastShares = -Infinity;
  #serial = 0;
  /** Moving average of the milliseconds one picture takes in the worker. */
  #taskMs = 0;
  #error: string | undefined;
  #ended = false;
  // The copies handed to the worker: shared memory, allocated once (per frame size), reused.
  #shared: { pixels: Uint8Array; classMap: Uint8Array } | undefined;

  constructor(options: PicturesOptions, hooks: PicturesHooks) {
    this.#o = options;
    this.#hooks = hooks;
  }

  /** Requests waiting for a picture. */
  get waiting(): number {
    return this.#waiters.size;
  }

  /** The run is set up: how to paint, whether to draw the free-space boundary, and the source's frame rate. */
  begin(style: PaintStyle, boundary: boolean, fps: number): void {
    this.#style = style;
    this.#boundary = boundary;
    this.#minIntervalMs = fps > 0 ? 1000 / fps : 0;
  }

  /** A frame of the run: painted when a request waits and the thread is due, else at most its shares are counted. */
  offer(frame: RunPreviewFrame): void {
    if (this.#busy || this.#ended || !this.#style || !frame.segmentation || this.#error) return;
    const now = performance.now();
    if (this.#pool && this.#waiters.size === 0 && now - this.#lastCapture > WORKER_IDLE_MS) {
      this.#retiring = this.#pool.close();
      this.#pool = undefined;
    }
    if (this.#waiters.size === 0 && !this.#hooks.numbersWatched(now)) return;
    const views = [...new Set([...this.#waiters].map((w) => w.view))];
    if (views.length === 0) {
      // Numbers only (a dashboard on /events or /stats): one pass over the small class map, twice a second, no thread.
      if (now - this.#lastShares >= SHARES_INTERVAL_MS) {
        this.#lastShares = now;
        this.#hooks.shares({ ...pixelShares(frame.segmentation.classMap, this.#style), frame: frame.index });
      }
      return;
    }
    if (now - this.#lastCapture < Math.max(this.#minIntervalMs, this.#taskMs * BUSY_SHARE)) return;
    this.#lastCapture = now;
    this.#lastShares = now;
    this.#paint(this.#task(frame, views, this.#style), now);
  }

  /** Answers a request for `/frame.jpg?view=&after=`: a newer picture than `after` now, or when one is made. */
  request(url: URL, res: ServerResponse): void {
    const view = (url.searchParams.get('view') ?? 'overlay') as PreviewView;
    if (!PREVIEW_VIEWS.includes(view))
      return sendText(res, 400, `Expected ${PREVIEW_VIEWS.join(', ')} for view but received ${JSON.stringify(view)}\n`);
    const after = Number(url.searchParams.get('after') ?? -1);
    const p = this.#pictures.get(view);
    if (this.#error) return sendText(res, 500, `${this.#error}\n`);
    if (p && p.serial > after) return sendPicture(res, p);
    if (this.#ended) return void res.writeHead(204).end();
    if (this.#waiters.size >= this.#o.maxClients) return sendText(res, 503, 'too many picture requests\n');
    const w: Waiter = {
      res,
      view,
      after: Number.isFinite(after) ? after : -1,
      timer: setTimeout(() => this.#answer(w, 204), POLL_TIMEOUT_MS),
    };
    this.#waiters.add(w);
    res.on('close', () => {
      clearTimeout(w.timer);
      this.#waiters.delete(w);
    });
  }

  /** The run ended: no more pictures; waiting requests get 204. */
  end(): void {
    this.#ended = true;
    for (const w of this.#waiters) this.#answer(w, 204);
  }

  /** Ends the picture thread. */
  async close(): Promise<void> {
    await this.#pool?.destroy();
    await this.#retiring;
  }

  /** The task for the worker; the frame's own buffers go on down the run, so they are copied into shared memory. */
  #task(frame: RunPreviewFrame, views: PreviewView[], style: PaintStyle): PreviewTask {
    const seg = frame.segmentation!;
    // Allocated once per frame size; one task at a time uses it.
    if (this.#shared?.pixels.length !== frame.pixels.length || this.#shared.classMap.length !== seg.classMap.length) {
      this.#shared = {
        pixels: new Uint8Array(new SharedArrayBuffer(frame.pixels.length)),
        classMap: new Uint8Array(new SharedArrayBuffer(seg.classMap.length)),
      };
    }
    const { pixels, classMap } = this.#shared;
    pixels.set(frame.pixels);
    classMap.set(seg.classMap);
    return {
      frame: {
        index: frame.index,
        width: frame.width,
        height: frame.height,
        format: frame.format,
        pixels,
        classMap,
        mapWidth: seg.width,
        mapHeight: seg.height,
        overlaid: frame.overlaid === true,
      },
      views,
      style,
      maxWidth: this.#o.maxWidth,
      quality: this.#o.quality,
      boundary: this.#boundary,
    };
  }

  /** Runs `task` in the picture thread (started if needed); one at a time. */
  #paint(task: PreviewTask, t0: number): void {
    this.#busy = true;
    let pool: WorkerPool;
    try {
      pool = this.#pool ??= createWorkerPool({ filename: compiledModulePath(PICTURE_WORKER), threads: 1, maxQueue: 1 });
    } catch (err) {
      this.#failed(err);
      this.#busy = false;
      return;
    }
    pool
      .run<PreviewTaskResult>('picture', task)
      .then(
        (r: PreviewTaskResult) => {
          // The first picture also starts the thread: not a measure of a picture's cost.
          if (this.#serial > 0)
            this.#taskMs =
              this.#taskMs === 0 ? performance.now() - t0 : 0.8 * this.#taskMs + 0.2 * (performance.now() - t0);
          this.#ready(r);
        },
        (err: unknown) => this.#failed(err),
      )
      .finally(() => (this.#busy = false));
  }

  /** Pictures cannot be made: every waiting and later picture request gets the reason (the numbers go on). */
  #failed(err: unknown): void {
    this.#error = `the preview could not make a picture: ${(err as Error)?.message ?? err}`;
    for (const w of this.#waiters) this.#answer(w, 500);
  }

  #ready(r: PreviewTaskResult): void {
    this.#hooks.shares({ ...r.shares, frame: r.index });
    const serial = ++this.#serial;
    for (const [view, jpeg] of Object.entries(r.images) as [PreviewView, Uint8Array][])
      this.#pictures.set(view, { serial, index: r.index, jpeg, boundary: r.boundary });
    for (const w of this.#waiters) {
      const p = this.#pictures.get(w.view);
      if (p && p.serial > w.after) this.#answer(w, 200, p);
    }
  }

  #answer(w: Waiter, status: number, picture?: Picture): void {
    clearTimeout(w.timer);
    this.#waiters.delete(w);
    if (picture) sendPicture(w.res, picture);
    else if (status === 500) sendText(w.res, 500, `${this.#error}\n`);
    else w.res.writeHead(status).end();
  }
}

function sendPicture(res: ServerResponse, p: Picture): void {
  const headers: Record<string, string | number> = {
    'Content-Type': 'image/jpeg',
    'Content-Length': p.jpeg.byteLength,
    'X-Picture': p.serial,
    'X-Frame-Index': p.index,
  };
  if (p.boundary) headers['X-Free-Space-Boundary'] = p.boundary.map((v) => (v === null ? '' : v.toFixed(3))).join(',');
  res.writeHead(200, headers).end(p.jpeg);
}
