/** Broadcaster errors: one class with a stable page-level code and a message written for the host. */
import type { ErrorCode } from '../shared/protocol.js';

/** Why a broadcast could not start or had to stop; the message is what the page shows. */
export type BroadcastErrorCode =
  // Page opened over plain http:// from another machine: no microphone.
  | 'INSECURE_CONTEXT'
  // The `?mount=` in the address is not a valid mount name.
  | 'MOUNT_INVALID'
  // This browser cannot record WebM/Opus (or has no MediaRecorder).
  | 'RECORDER_UNSUPPORTED'
  // The user or the browser settings refused the microphone.
  | 'MIC_DENIED'
  // No microphone is plugged in (or none fits).
  | 'MIC_MISSING'
  // The microphone exists but another program holds it, or it failed.
  | 'MIC_BUSY'
  // The microphone stopped delivering audio while live (unplugged).
  | 'MIC_ENDED'
  // MediaRecorder reported an error while live.
  | 'RECORDER_FAILED'
  // Wrong stream key (server AUTH_BAD_KEY).
  | 'BAD_KEY'
  // Someone else is live on this mount (server MOUNT_IN_USE).
  | 'MOUNT_IN_USE'
  // The server no longer knows our session (idle timeout, restart, or ended elsewhere).
  | 'SESSION_ENDED'
  // fetch failed or timed out: no answer from the server.
  | 'UNREACHABLE'
  // The upload fell too far behind: the per-chunk queue hit its byte cap.
  | 'QUEUE_FULL'
  // Any other server answer; the message is the server's.
  | 'SERVER';

export class BroadcastError extends Error {
  readonly code: BroadcastErrorCode;
  /** Server error code when the error came from an HTTP answer. */
  readonly serverCode: ErrorCode | undefined;

  constructor(
    code: BroadcastErrorCode,
    message: string,
    options: { cause?: unknown; serverCode?: ErrorCode } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'BroadcastError';
    this.code = code;
    this.serverCode = options.serverCode;
  }
}

export function isBroadcastError(err: unknown): err is BroadcastError {
  return err instanceof BroadcastError;
}

/** True for the DOMException an aborted fetch or an aborted wait rejects with. */
export function isAbortError(err: unknown): boolean {
  return err instanceof DOMException && err.name === 'AbortError';
}

/** Any thrown value as a BroadcastError, keeping the original as `cause`. */
export function toBroadcastError(err: unknown): BroadcastError {
  if (isBroadcastError(err)) return err;
  const detail = err instanceof Error ? err.message : String(err);
  return new BroadcastError('SERVER', `Something went wrong: ${detail}. Press Go live to try again.`, {
    cause: err,
  });
}
