/** Errors: one class with a stable code; the HTTP status comes only from the shared table. */
import type { ErrorBody, ErrorCode } from '../shared/protocol.js';
import { ERROR_STATUS } from '../shared/protocol.js';

export class KitError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  /** Extra fields sent in the error body (for example `expectedSeq`). */
  readonly extra: Partial<Omit<ErrorBody['error'], 'code' | 'message'>>;

  constructor(
    code: ErrorCode,
    message: string,
    options: { cause?: unknown; extra?: KitError['extra'] } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'KitError';
    this.code = code;
    this.status = ERROR_STATUS[code];
    this.extra = options.extra ?? {};
  }

  toBody(): ErrorBody {
    return { error: { ...this.extra, code: this.code, message: this.message } };
  }
}

export function isKitError(err: unknown): err is KitError {
  return err instanceof KitError;
}

/** Minimal response surface shared by node:http and node:http2 compat responses. */
export interface ErrorResponse {
  headersSent: boolean;
  statusCode: number;
  setHeader(name: string, value: string): unknown;
  end(body?: string): unknown;
}

/** Writes `err` as a JSON error body, or just ends the response when headers already went out. */
export function sendError(res: ErrorResponse, err: KitError): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  res.statusCode = err.status;
  if (err.extra.retryAfterSeconds !== undefined)
    res.setHeader('retry-after', String(err.extra.retryAfterSeconds));
  res.setHeader('content-type', 'application/json; charset=utf-8');
  res.setHeader('cache-control', 'no-store');
  res.end(JSON.stringify(err.toBody()));
}
