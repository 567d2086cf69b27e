/**
 * The preview's routes: `/` (the page), `/stats` (JSON), `/events` (Server-Sent Events) and
 * `/frame.jpg` (the newest picture); GET only, behind the token when there is one, and without one
 * only for this machine's names (no DNS rebinding from a web page).
 */
import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isLoopbackHost } from './address.js';
import { PAGE_HTML } from './page.js';

/** Who may ask: the host listened on and the token, when one is required. */
export interface RouteAccess {
  host: string;
  token?: string;
}

/** What answers each route but the page. */
export interface RouteHandlers {
  stats(res: ServerResponse): void;
  events(req: IncomingMessage, res: ServerResponse): void;
  frame(url: URL, res: ServerResponse): void;
}

const PAGE_POLICY =
  "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src 'self' blob:; connect-src 'self'";

/** The request listener of the preview's HTTP server. */
export function previewRoutes(
  access: RouteAccess,
  handlers: RouteHandlers,
): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    const url = new URL(req.url ?? '/', 'http://preview');
    res.setHeader('Cache-Control', 'no-store');
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Referrer-Policy', 'no-referrer');
    if (req.method !== 'GET') return sendText(res, 405, 'only GET\n');
    const denied = deniedBecause(access, req, url);
    if (denied) return sendText(res, 403, `${denied}\n`);
    switch (url.pathname) {
      case '/':
        res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Content-Security-Policy': PAGE_POLICY });
        return void res.end(PAGE_HTML);
      case '/stats':
        return handlers.stats(res);
      case '/events':
        return handlers.events(req, res);
      case '/frame.jpg':
        return handlers.frame(url, res);
      default:
        return sendText(res, 404, 'not found: the preview serves /, /stats, /events and /frame.jpg\n');
    }
  };
}

/** Why a request is refused, or undefined. */
function deniedBecause(access: RouteAccess, req: IncomingMessage, url: URL): string | undefined {
  const { token } = access;
  if (token !== undefined) {
    const given = Buffer.from(url.searchParams.get('token') ?? '');
    const want = Buffer.from(token);
    return given.length === want.length && timingSafeEqual(given, want)
      ? undefined
      : 'forbidden: this preview needs the token from its URL (?token=...)';
  }
  const host = (req.headers.host ?? '').replace(/:\d+$/, '').replace(/^\[(.*)\]$/, '$1');
  return isLoopbackHost(host) || host === access.host ? undefined : `forbidden: host ${JSON.stringify(host)}`;
}

/** Answers `status` with a plain-text `body`. */
export function sendText(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8' }).end(body);
}

/** Answers 200 with `body` as JSON. */
export function sendJson(res: ServerResponse, body: unknown): void {
  res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify(body));
}
