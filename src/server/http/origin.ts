/**
 * Origin checks for what only our own pages should do from a browser (upload, status socket):
 * a request with an `Origin` header must come from this server's own origin (same host and port
 * as it asked for) or one on the operator's allow-list. Tools that send no Origin (ffmpeg, curl,
 * native apps) are not browsers acting for another site, so they pass.
 */
import { ApiError } from '../errors.js';

export function originAllowed(
  origin: string | undefined,
  host: string | undefined,
  allowList: readonly string[],
): boolean {
  if (origin === undefined) return true;
  if (allowList.includes(origin)) return true;
  if (!host) return false;
  try {
    return new URL(origin).host === host.toLowerCase();
  } catch {
    return false;
  }
}

/** ORIGIN_NOT_ALLOWED for a request from a page of another site, else null. */
export function checkOrigin(
  headers: Readonly<Record<string, string | string[] | undefined>>,
  allowList: readonly string[],
): ApiError | null {
  const origin = typeof headers.origin === 'string' ? headers.origin : undefined;
  const authority = headers[':authority'] ?? headers.host;
  const host = typeof authority === 'string' ? authority : undefined;
  if (originAllowed(origin, host, allowList)) return null;
  return new ApiError(
    'ORIGIN_NOT_ALLOWED',
    `Requests from pages at ${String(origin).slice(0, 100)} are not allowed here (see --allowed-origins).`,
  );
}
