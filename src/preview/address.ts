/**
 * `--preview [HOST:]PORT` and `--preview-token`: parsed and checked at the boundary, so a bad
 * value is one usage error before anything starts.
 */
import { randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import { optionError, type SegStreamError } from '../errors.js';

/** Where the preview page is served, and the token its URLs must carry (if any). */
export interface PreviewAddress {
  /** Interface to bind: an IP address or a host name. Default `127.0.0.1`. */
  host: string;
  /** TCP port, 0 for any free port. */
  port: number;
  /** Required as `?token=` on every request when set. */
  token?: string;
}

/** The host the preview binds to when none is given: this machine only. */
export const DEFAULT_PREVIEW_HOST = '127.0.0.1';

const HOST_NAME = /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/i;
const TOKEN = /^[A-Za-z0-9._~-]{8,128}$/;

/** True for addresses only this machine can reach. */
export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

function bad(what: string, option: string, received: string): SegStreamError {
  return optionError(option, `Expected ${what} for \`${option}\` but received ${JSON.stringify(received)}`);
}

/**
 * Parses `[HOST:]PORT` (`8080`, `0.0.0.0:8080`, `[::]:8080`, `cam-box.local:8080`) and a token.
 * Binding beyond loopback without a token gets a random one, so the page is never open to the
 * network by accident.
 *
 * @example
 * ```ts
 * parsePreviewAddress('8080');            // { host: '127.0.0.1', port: 8080 }
 * parsePreviewAddress('0.0.0.0:8080');    // { host: '0.0.0.0', port: 8080, token: <random> }
 * ```
 * @throws {SegStreamError} `SEGSTREAM_ERR_INVALID_OPTION` (option `preview` or `previewToken`) for a bad port, host or token
 */
export function parsePreviewAddress(value: string, token?: string): PreviewAddress {
  const what = '[HOST:]PORT (PORT 0..65535; HOST an IP address, [IPv6] or a host name)';
  const m = /^(?:(\[[^\]]*\]|[^:[\]]*):)?([^:]*)$/.exec(value);
  if (!m || !/^\d{1,5}$/.test(m[2]) || Number(m[2]) > 65535) throw bad(what, 'preview', value);
  let host = m[1] ?? DEFAULT_PREVIEW_HOST;
  if (host.startsWith('[')) {
    host = host.slice(1, -1);
    if (isIP(host) !== 6) throw bad(what, 'preview', value);
  } else if (!(isIP(host) === 4 || (HOST_NAME.test(host) && !/^[\d.]+$/.test(host)))) {
    throw bad(what, 'preview', value);
  }
  if (token !== undefined && !TOKEN.test(token)) throw bad('8 to 128 letters, digits or ._~-', 'previewToken', token);
  if (token === undefined && !isLoopbackHost(host)) token = randomBytes(16).toString('base64url');
  return { host, port: Number(m[2]), ...(token === undefined ? {} : { token }) };
}
