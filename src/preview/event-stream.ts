/**
 * The preview's `/events` (Server-Sent Events): the numbers twice a second to each browser. An
 * event is written to a client only when its last one has left the buffer; a client that stops
 * reading is dropped after a while. Clients are bounded.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { sendText } from './routes.js';

/** What an event says: `stats` while the run goes, `end` once. */
export type PreviewEvent = 'stats' | 'end';

/** Options of {@link EventStream}. */
export interface EventStreamOptions {
  /** Clients at once; more get 503. */
  maxClients: number;
  /** A client that has not taken its events for this long is dropped. */
  stallTimeoutMs: number;
}

const EVENT_INTERVAL_MS = 500;

/** The clients of `/events` and the ticker that feeds them (running only while one is connected). */
export class EventStream {
  readonly #o: EventStreamOptions;
  readonly #data: (event: PreviewEvent) => string;
  /** Each client and when it last took an event. */
  readonly #clients = new Map<ServerResponse, number>();
  #ticker: NodeJS.Timeout | undefined;
  #ended = false;

  /** @param data the text of an event (`event:` and `data:` lines), made when one is sent */
  constructor(options: EventStreamOptions, data: (event: PreviewEvent) => string) {
    this.#o = options;
    this.#data = data;
  }

  /** Connected clients. */
  get size(): number {
    return this.#clients.size;
  }

  /** Answers a request for `/events`: the stream, or only the `end` event once the run has ended. */
  open(req: IncomingMessage, res: ServerResponse): void {
    if (this.#ended) {
      res.writeHead(200, { 'Content-Type': 'text/event-stream' });
      return void res.end(this.#data('end'));
    }
    if (this.#clients.size >= this.#o.maxClients) return sendText(res, 503, 'too many preview clients\n');
    res.writeHead(200, { 'Content-Type': 'text/event-stream', Connection: 'keep-alive' });
    res.write(`retry: 1000\n${this.#data('stats')}`);
    this.#clients.set(res, performance.now());
    req.on('close', () => {
      this.#clients.delete(res);
      if (this.#clients.size === 0) this.#stopTicker();
    });
    this.#ticker ??= setInterval(() => this.#tick(), EVENT_INTERVAL_MS).unref();
  }

  /** The run ended: every client gets the `end` event and its stream closes. Idempotent. */
  end(): void {
    if (this.#ended) return;
    this.#ended = true;
    const data = this.#data('end');
    for (const res of this.#clients.keys()) res.end(data);
    this.#clients.clear();
    this.#stopTicker();
  }

  #tick(): void {
    const now = performance.now();
    let data: string | undefined;
    for (const [res, lastTaken] of this.#clients) {
      if (res.writableLength > 0) {
        // Never queue behind a client that does not read; drop it after a while.
        if (now - lastTaken > this.#o.stallTimeoutMs) res.destroy();
        continue;
      }
      this.#clients.set(res, now);
      res.write((data ??= this.#data('stats')));
    }
  }

  #stopTicker(): void {
    clearInterval(this.#ticker);
    this.#ticker = undefined;
  }
}
