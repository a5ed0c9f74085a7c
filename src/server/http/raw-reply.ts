/**
 * HTTP answers written straight onto a socket, for the connections served off the raw socket (Icecast
 * sources, fast-path listeners, status-socket upgrades, an oversized request head): one status line,
 * one reason table, the same error body and headers `sendError` gives an express response.
 */
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import type { ApiError } from '../errors.js';

/** Where our reason phrase differs from Node's: Icecast source clients know a 401 by Icecast's own. */
const REASON: Readonly<Record<number, string>> = { 401: 'Authorization Required' };

export type HttpVersion = '1.0' | '1.1';

/**
 * The 'error' handler of every raw socket: destroy it (its 'close' then cleans up). One shared
 * function, `this` being the socket, not a closure per socket: a listener holds its socket for hours.
 */
export function destroyOnError(this: Duplex): void {
  this.destroy();
}

/**
 * `retry-after` → `Retry-After`, `www-authenticate` → `WWW-Authenticate`, as Icecast and most servers
 * write them; Icecast's own `icy-*` headers stay lower case, as Icecast sends them (players look for them so).
 */
function headerName(name: string): string {
  if (name.startsWith('icy-')) return name;
  if (name === 'www-authenticate') return 'WWW-Authenticate';
  return name.replace(/(^|-)([a-z])/g, (_m, dash: string, c: string) => dash + c.toUpperCase());
}

/** A response head that closes the connection: status line, `headers`, `Connection: close`. */
export function rawHead(
  status: number,
  headers: Readonly<Record<string, string>>,
  version: HttpVersion,
): string {
  let out = `HTTP/${version} ${status} ${REASON[status] ?? STATUS_CODES[status] ?? 'Error'}\r\n`;
  for (const [name, value] of Object.entries(headers)) out += `${headerName(name)}: ${value}\r\n`;
  return `${out}Connection: close\r\n\r\n`;
}

export interface RawErrorOptions {
  version: HttpVersion;
  /** Headers besides the error's own (its `responseHeaders()`, body type and length). */
  headers?: Readonly<Record<string, string>>;
  /** Answer to a HEAD request: the head only. */
  headOnly?: boolean;
}

/** Answers `err` (its status, headers and JSON body) and closes the socket once the answer is out. */
export function replyError(socket: Duplex, err: ApiError, options: RawErrorOptions): void {
  const body = JSON.stringify(err.toBody());
  const head = rawHead(
    err.status,
    {
      'content-type': 'application/json; charset=utf-8',
      'content-length': String(Buffer.byteLength(body)),
      ...err.responseHeaders(),
      ...options.headers,
    },
    options.version,
  );
  // Whatever the peer does next, the socket goes (as ws does for its own refusals).
  socket.once('finish', () => socket.destroy());
  socket.end(options.headOnly ? head : head + body);
}
