/**
 * The one credential check every protected endpoint makes, whichever transport it arrives on
 * (express route, raw Icecast source socket): an address the limiter refuses gets AUTH_RATE_LIMITED
 * (429) whatever it sends; a wrong credential is counted against its address, logged once, and
 * refused with the rule's 401. A request that offers no credentials at all is answered with the same
 * 401 (and challenge) but is not a guess, so it is neither counted nor logged as a refusal: clients
 * such as ffmpeg's `-method PUT` over `http://` send their credentials only after that challenge,
 * and a source that reconnects often must never lock itself out.
 */
import { ApiError } from '../errors.js';
import type { Logger } from '../log.js';
import type { Credentials } from './credentials.js';
import { parseAuthorization } from './credentials.js';
import type { AuthLimiter } from './limiter.js';
import { secretEquals } from './secrets.js';

/** What one endpoint accepts, and how it refuses. */
export interface AuthRule {
  /** True when `creds` are right for this endpoint. */
  accepts(creds: Credentials | null): boolean;
  code: 'AUTH_BAD_KEY' | 'AUTH_BAD_TOKEN';
  message: string;
  /** `WWW-Authenticate` sent with the 401, for clients that ask for credentials only when challenged. */
  challenge?: string;
  /** The warning logged for each refusal. */
  logMessage: string;
}

/** One request's side of the check. */
export interface AuthAttempt {
  ip: string | undefined;
  authorization: string | undefined;
  /** The endpoint's logger, and what its refusal line says besides the address. */
  log: Logger;
  fields?: Record<string, unknown>;
}

/**
 * Null when `attempt` may pass `rule`; else the error to answer with: AUTH_RATE_LIMITED while `limiter`
 * refuses the address, or the rule's 401 (with its challenge); a wrong credential is counted against
 * the address and logged, a request without any `Authorization` header only challenged.
 */
export function authorize(limiter: AuthLimiter, attempt: AuthAttempt, rule: AuthRule): ApiError | null {
  const limited = limiter.check(attempt.ip);
  if (limited) return limited;
  if (rule.accepts(parseAuthorization(attempt.authorization))) return null;
  if ((attempt.authorization ?? '').trim() === '') {
    attempt.log.debug({ ...attempt.fields, ip: attempt.ip }, 'no credentials: challenged');
  } else {
    limiter.fail(attempt.ip);
    attempt.log.warn({ ...attempt.fields, ip: attempt.ip }, rule.logMessage);
  }
  return new ApiError(rule.code, rule.message, {
    headers: rule.challenge ? { 'www-authenticate': rule.challenge } : undefined,
  });
}

/**
 * Which stream keys open which mount: the operator's key (`ONAIR_STREAM_KEY`) opens every mount; a
 * channel's own key opens only that channel. Mounts that are not channels take the operator's key
 * alone, as before channels existed.
 */
export interface StreamKeys {
  /** True when `key` may broadcast on (or set the title of) `mount`. Constant-time. */
  opens(mount: string, key: string): boolean;
  /**
   * Which key `key` is on `mount`: the operator's, the channel's own, or null (opens nothing).
   * A source is told apart by it: rotating a channel's key ends the channel-key sources only.
   */
  which(mount: string, key: string): StreamKeyKind | null;
}

export type StreamKeyKind = 'operator' | 'channel';

export function streamKeys(
  operatorKey: string,
  channelKeyHash: (mount: string) => string | undefined,
  matches: (key: string, hash: string) => boolean,
): StreamKeys {
  const which = (mount: string, key: string): StreamKeyKind | null => {
    // Both compared every time, so the answer's timing does not tell which one matched.
    const operator = secretEquals(key, operatorKey);
    const hash = channelKeyHash(mount);
    const channel = hash !== undefined && matches(key, hash);
    return operator ? 'operator' : channel ? 'channel' : null;
  };
  return {
    opens: (mount, key) => which(mount, key) !== null,
    which,
  };
}
