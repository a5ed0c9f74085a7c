/** Chooses the upload transport: one streaming POST where the browser and connection allow it, else per-chunk POSTs. */
import type { Transport } from '../shared/protocol.js';

/** `RequestInit` plus the `duplex` member that streaming bodies need (not yet in lib.dom). */
export interface StreamingRequestInit extends RequestInit {
  duplex: 'half';
}

/** Text shown in `#transport` for each transport. */
export const TRANSPORT_LABEL: Readonly<Record<Transport, string>> = {
  stream: 'streaming upload (HTTP/2)',
  chunks: 'per-chunk upload',
};

/**
 * True when `fetch` accepts a ReadableStream body. The standard probe: a browser that supports it reads
 * the `duplex` member, and does not turn the stream into the string "[object ReadableStream]" (which would
 * add a text/plain Content-Type).
 */
export function supportsRequestStreams(): boolean {
  try {
    let duplexRead = false;
    const init = {
      method: 'POST',
      body: new ReadableStream(),
      get duplex(): 'half' {
        duplexRead = true;
        return 'half';
      },
    } satisfies StreamingRequestInit;
    const hasContentType = new Request(location.href, init).headers.has('content-type');
    return duplexRead && !hasContentType;
  } catch {
    return false;
  }
}

/** ALPN protocol the page itself was loaded over ('h2', 'http/1.1', …), or '' when unknown. */
export function pageProtocol(): string {
  const nav = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming | undefined;
  return nav?.nextHopProtocol ?? '';
}

/**
 * Streaming upload needs HTTPS, HTTP/2 (Chromium rejects request streams over HTTP/1.1 with
 * "TypeError: Failed to fetch") and a browser with request streams (Chromium 105+ only).
 * The upload goes to the page's own origin, so the page's protocol is the upload's protocol.
 */
export function chooseTransport(): Transport {
  return location.protocol === 'https:' && pageProtocol() === 'h2' && supportsRequestStreams()
    ? 'stream'
    : 'chunks';
}
