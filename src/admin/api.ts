/**
 * The dashboard's calls to the admin API: same-origin, the session cookie sent by the browser, and
 * the CSRF header on every request (the server requires it on changes; on reads it also tells the
 * server not to answer 401 with a Basic challenge, which would pop up a password dialog).
 */
import type { ErrorCode } from '../shared/protocol.js';
import { ADMIN_CSRF_HEADER, parseErrorBody } from '../shared/protocol.js';

/** Every request gives up after this long. */
const REQUEST_TIMEOUT_MS = 10_000;

export class AdminApiError extends Error {
  readonly status: number;
  readonly code: ErrorCode | null;
  constructor(status: number, code: ErrorCode | null, message: string) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

export async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(path, {
    method,
    credentials: 'same-origin',
    headers: {
      [ADMIN_CSRF_HEADER]: '1',
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
  });
  if (res.status === 204) return undefined as T;
  const data: unknown = await res.json().catch(() => null);
  if (!res.ok) {
    const err = parseErrorBody(data);
    throw new AdminApiError(res.status, err?.code ?? null, err?.message ?? `HTTP ${res.status}`);
  }
  return data as T;
}
