/** PlayerError: why one attempt to play the live stream failed, as a stable code plus text. */

export type PlayerErrorCode =
  // The server answered 404 LISTEN_OFFLINE: the mount is not live (yet).
  | 'LISTEN_OFFLINE'
  // The server answered 403 CHANNEL_PRIVATE: a private channel, and this browser's join cookie is
  // missing or was revoked (the page asks the join gate to check again).
  | 'PRIVATE'
  // The server answered another non-200 status.
  | 'HTTP'
  // fetch rejected: no connection, DNS, reset.
  | 'NETWORK'
  // No bytes (or no progress) for too long.
  | 'STALLED'
  // The media element or MediaSource failed (decode error, append failed).
  | 'MEDIA'
  // QuotaExceededError even after trimming the back buffer.
  | 'BUFFER_FULL'
  // A setup step (sourceopen, response headers, an append) did not finish in time.
  | 'TIMEOUT';

export class PlayerError extends Error {
  override readonly name = 'PlayerError';
  constructor(
    readonly code: PlayerErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** True for the rejection `play()` gives when the browser wants a user gesture first. */
export function isNotAllowedError(err: unknown): boolean {
  return err instanceof DOMException && err.name === 'NotAllowedError';
}

/** True for the rejection `play()` gives when a new source or `load()` interrupted it. */
export function isAbortError(err: unknown): boolean {
  return err instanceof DOMException && err.name === 'AbortError';
}
