/** Opens the live WebM response and maps every way that can fail to a PlayerError. */
import { parseErrorBody } from '../shared/protocol.js';
import { TimeoutError, withTimeout } from '../web/wait.js';
import { PlayerError } from './player-error.js';

/** Longest wait for the response headers. */
export const RESPONSE_TIMEOUT_MS = 10_000;
/** Longest wait for the JSON body of an error response. */
export const ERROR_BODY_TIMEOUT_MS = 2_000;

export type StreamReader = ReadableStreamDefaultReader<Uint8Array<ArrayBuffer>>;

/**
 * GETs `url` and resolves with a reader over its body. Rejects with PlayerError LISTEN_OFFLINE (the
 * server's 404 while the mount is offline), HTTP (any other non-200), NETWORK or TIMEOUT; with the
 * abort reason when `signal` aborts.
 */
export async function openStream(url: string, signal: AbortSignal): Promise<StreamReader> {
  let res: Response;
  try {
    res = await withTimeout(
      fetch(url, { signal, cache: 'no-store' }),
      RESPONSE_TIMEOUT_MS,
      'response',
      signal,
    );
  } catch (err) {
    if (signal.aborted) throw signal.reason;
    if (err instanceof TimeoutError)
      throw new PlayerError('TIMEOUT', 'the stream did not answer', { cause: err });
    throw new PlayerError('NETWORK', `could not reach the stream (${String(err)})`, { cause: err });
  }
  if (res.status !== 200) {
    const body: unknown = await withTimeout(res.json(), ERROR_BODY_TIMEOUT_MS, 'error body', signal).catch(
      () => null,
    );
    const error = parseErrorBody(body);
    if (error?.code === 'LISTEN_OFFLINE') throw new PlayerError('LISTEN_OFFLINE', error.message);
    if (error?.code === 'CHANNEL_PRIVATE') throw new PlayerError('PRIVATE', error.message);
    throw new PlayerError('HTTP', `the server answered ${res.status}${error ? ` ${error.code}` : ''}`);
  }
  if (!res.body) throw new PlayerError('HTTP', 'the stream response has no body');
  return res.body.getReader();
}
