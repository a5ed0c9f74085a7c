/** fetch helpers: per-request timeouts, and turning failed requests and error answers into BroadcastErrors. */
import type { ErrorCode } from '../shared/protocol.js';
import { parseErrorBody } from '../shared/protocol.js';
import { BroadcastError } from './errors.js';

/** Timeout for the short requests (session, chunk, info). */
export const REQUEST_TIMEOUT_MS = 10_000;

/** A signal that aborts when `signal` aborts or after `timeoutMs`, whichever comes first. */
export function timeoutSignal(signal: AbortSignal, timeoutMs: number): AbortSignal {
  const timeout = AbortSignal.timeout(timeoutMs);
  if (typeof AbortSignal.any === 'function') return AbortSignal.any([signal, timeout]);
  // Chrome < 116, Firefox < 124: combine by hand.
  const ac = new AbortController();
  for (const s of [signal, timeout]) {
    if (s.aborted) ac.abort(s.reason);
    else s.addEventListener('abort', () => ac.abort(s.reason), { once: true });
  }
  return ac.signal;
}

/** Error body of a failed answer, or a stand-in when the body is not the server's JSON. */
export async function readErrorBody(
  res: Response,
): Promise<{ code: ErrorCode | null; message: string; expectedSeq?: number; expectedOffset?: number }> {
  let json: unknown = null;
  try {
    json = await res.json();
  } catch {
    // Not JSON (a proxy's HTML page, an empty body): fall through.
  }
  const body = parseErrorBody(json);
  if (body) return body;
  return { code: null, message: `HTTP ${res.status} ${res.statusText}`.trim() };
}

/**
 * Turns a fetch rejection into the "cannot reach" message. AbortErrors caused by the caller's own
 * signal are rethrown unchanged, so a Stop is not reported as a network failure.
 */
export function unreachable(err: unknown, callerSignal: AbortSignal): unknown {
  if (callerSignal.aborted) return err;
  const timedOut = err instanceof DOMException && (err.name === 'TimeoutError' || err.name === 'AbortError');
  const why = timedOut ? 'it did not answer in time' : 'the connection failed';
  return new BroadcastError(
    'UNREACHABLE',
    `Cannot reach the onair server at ${location.origin} (${why}). Check that the computer running onair is on and on the same network, then try again.`,
    { cause: err },
  );
}
