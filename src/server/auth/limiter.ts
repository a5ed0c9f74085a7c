/**
 * Failed-credential throttle: an address that gets the stream key or admin token wrong too often
 * is refused (429) for a while, even with the right one, so keys cannot be guessed at line speed.
 * Memory is bounded: at most `maxTrackedAddresses` entries, oldest forgotten first.
 */
import { ApiError } from '../errors.js';

export interface AuthLimiterOptions {
  /** Failures allowed within `windowMs` before the address is refused. */
  maxFailures: number;
  /** How long failures count, and how long a refused address stays refused. */
  windowMs: number;
  maxTrackedAddresses: number;
}

interface Entry {
  failures: number;
  /** When the current window started (ms). */
  since: number;
  /** Refused until this time (ms), 0 when not refused. */
  until: number;
}

export class AuthLimiter {
  private readonly entries = new Map<string, Entry>();
  private readonly options: AuthLimiterOptions;
  private readonly now: () => number;

  constructor(options: AuthLimiterOptions, now: () => number = Date.now) {
    this.options = options;
    this.now = now;
  }

  /** AUTH_RATE_LIMITED (with the seconds to wait) when `address` is refused right now, else null. */
  check(address: string | undefined): ApiError | null {
    const e = this.entries.get(address ?? '');
    const t = this.now();
    if (!e || e.until <= t) return null;
    const seconds = Math.ceil((e.until - t) / 1000);
    return new ApiError(
      'AUTH_RATE_LIMITED',
      `Too many wrong keys from this address; try again in ${seconds} s.`,
      {
        extra: { retryAfterSeconds: seconds },
      },
    );
  }

  /** Counts one wrong credential from `address`. */
  fail(address: string | undefined): void {
    const key = address ?? '';
    const t = this.now();
    let e = this.entries.get(key);
    if (!e || t - e.since > this.options.windowMs) {
      e = { failures: 0, since: t, until: 0 };
    }
    e.failures++;
    if (e.failures >= this.options.maxFailures) e.until = t + this.options.windowMs;
    // Re-insert so the map's order is least recently failed first.
    this.entries.delete(key);
    this.entries.set(key, e);
    while (this.entries.size > this.options.maxTrackedAddresses) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined) break;
      this.entries.delete(oldest);
    }
  }

  get tracked(): number {
    return this.entries.size;
  }
}
