/** Errors: one class with a stable code; the HTTP status comes only from the shared table. */
import type { ErrorBody, ErrorCode } from '../shared/protocol.js';
import { BROADCAST_ENDING_ERRORS, ERROR_STATUS } from '../shared/protocol.js';

/**
 * The API error: an `ErrorCode` of the shared table, the HTTP status the table gives it, and what
 * its answer carries besides (body extras, headers). Everything the server refuses or fails with is one,
 * whichever transport answers it (`sendError`, `replyError`, a status-socket error message).
 */
export class ApiError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  /** Extra fields sent in the error body (for example `expectedSeq`). */
  readonly extra: Partial<Omit<ErrorBody['error'], 'code' | 'message'>>;
  /** Response headers sent with the error (lower-case names), such as a 401's `www-authenticate`. */
  readonly headers: Readonly<Record<string, string>>;

  constructor(
    code: ErrorCode,
    message: string,
    options: { cause?: unknown; extra?: ApiError['extra']; headers?: ApiError['headers'] } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ApiError';
    this.code = code;
    this.status = ERROR_STATUS[code];
    this.extra = options.extra ?? {};
    this.headers = options.headers ?? {};
  }

  toBody(): ErrorBody {
    return { error: { ...this.extra, code: this.code, message: this.message } };
  }

  /** The headers every answer of this error carries, besides its body's type and length. */
  responseHeaders(): Record<string, string> {
    const out: Record<string, string> = { ...this.headers };
    if (this.extra.retryAfterSeconds !== undefined) out['retry-after'] = String(this.extra.retryAfterSeconds);
    out['cache-control'] = 'no-store';
    return out;
  }
}

export function isApiError(err: unknown): err is ApiError {
  return err instanceof ApiError;
}

/** True for an error that ends the broadcast it came from (see BROADCAST_ENDING_ERRORS). */
export function endsBroadcast(err: unknown): err is ApiError {
  return isApiError(err) && BROADCAST_ENDING_ERRORS.has(err.code);
}

/** Minimal response surface shared by node:http and node:http2 compat responses. */
export interface ErrorResponse {
  headersSent: boolean;
  statusCode: number;
  setHeader(name: string, value: string): unknown;
  end(body?: string): unknown;
}

/** Writes `err` as a JSON error body, or just ends the response when headers already went out. */
export function sendError(res: ErrorResponse, err: ApiError): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  res.statusCode = err.status;
  for (const [name, value] of Object.entries(err.responseHeaders())) res.setHeader(name, value);
  res.setHeader('content-type', 'application/json; charset=utf-8');
  res.end(JSON.stringify(err.toBody()));
}
