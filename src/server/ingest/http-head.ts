/**
 * Minimal HTTP/1.x request-head parser for Icecast source clients, whose bodies Node's HTTP parser
 * cannot follow: libshout's `SOURCE` with `Content-Length: 0` then audio, ffmpeg's `PUT` with no length.
 */

export interface RequestHead {
  method: string;
  /** Path without the query string. */
  path: string;
  query: URLSearchParams;
  version: string;
  /** Header names lower-cased; repeated headers keep the last value. */
  headers: Record<string, string>;
}

/** Largest request head accepted (Node's own default is 16 KiB too). */
export const MAX_HEAD_BYTES = 16 * 1024;

const CRLFCRLF = Buffer.from('\r\n\r\n');

/**
 * Finds the end of the request head in `buf`.
 * Returns the offset just past the blank line, or -1 when more bytes are needed.
 */
export function findHeadEnd(buf: Buffer): number {
  const i = buf.indexOf(CRLFCRLF);
  return i < 0 ? -1 : i + 4;
}

/**
 * Parses a request head (request line and headers, without the final blank line's bytes mattering).
 * Returns null when the head is malformed.
 */
export function parseRequestHead(head: Buffer): RequestHead | null {
  const lines = head.toString('latin1').split('\r\n');
  const m = /^([A-Z]+) (\S+) HTTP\/(1\.[01])$/.exec(lines[0] ?? '');
  if (!m) return null;
  const [, method = '', target = '', version = ''] = m;
  let url: URL;
  try {
    url = new URL(target, 'http://source.invalid');
  } catch {
    return null;
  }
  const headers: Record<string, string> = {};
  for (const line of lines.slice(1)) {
    if (line === '') continue;
    const colon = line.indexOf(':');
    if (colon <= 0) return null;
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { method, path: url.pathname, query: url.searchParams, version, headers };
}

/**
 * Decodes `Transfer-Encoding: chunked` incrementally: `push` returns the payload bytes found so far;
 * `done` turns true after the last (zero-size) chunk. Throws on malformed framing.
 */
export class ChunkedDecoder {
  done = false;
  private pending: Buffer = Buffer.alloc(0);
  /** Payload bytes still to read in the current chunk, or -1 while reading a size line. */
  private remaining = -1;
  /** CRLF bytes still to skip after a chunk's payload. */
  private skipCrlf = 0;

  push(input: Buffer): Buffer[] {
    const out: Buffer[] = [];
    let buf: Buffer = this.pending.length ? Buffer.concat([this.pending, input]) : input;
    this.pending = Buffer.alloc(0);
    let pos = 0;
    while (pos < buf.length && !this.done) {
      if (this.skipCrlf > 0) {
        const n = Math.min(this.skipCrlf, buf.length - pos);
        pos += n;
        this.skipCrlf -= n;
        continue;
      }
      if (this.remaining > 0) {
        const n = Math.min(this.remaining, buf.length - pos);
        out.push(buf.subarray(pos, pos + n));
        pos += n;
        this.remaining -= n;
        if (this.remaining === 0) {
          this.remaining = -1;
          this.skipCrlf = 2;
        }
        continue;
      }
      const eol = buf.indexOf('\r\n', pos, 'latin1');
      if (eol < 0) {
        if (buf.length - pos > 1024) throw new Error('chunk size line too long');
        break;
      }
      const sizeText = buf.toString('latin1', pos, eol).split(';')[0]?.trim() ?? '';
      if (!/^[0-9a-fA-F]{1,8}$/.test(sizeText)) throw new Error(`bad chunk size "${sizeText.slice(0, 20)}"`);
      const size = Number.parseInt(sizeText, 16);
      pos = eol + 2;
      if (size === 0) {
        this.done = true;
        break;
      }
      this.remaining = size;
    }
    if (!this.done && pos < buf.length) this.pending = Buffer.from(buf.subarray(pos));
    buf = Buffer.alloc(0);
    return out;
  }
}
