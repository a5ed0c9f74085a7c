/**
 * Redis connections for the cluster (ioredis), set up so that Redis being slow or gone never stalls
 * or crashes the process: no offline queue (a command fails at once while disconnected), a timeout
 * on every command, reconnects with a capped backoff, and one log line per change of reachability.
 */
import { Redis } from 'ioredis';
import type { Logger } from '../log.js';

/** A command that gets no answer within this fails. */
export const COMMAND_TIMEOUT_MS = 2_000;
/** A connection attempt that takes longer fails (and is retried). */
export const CONNECT_TIMEOUT_MS = 2_000;
/** Reconnect backoff cap. */
export const MAX_RECONNECT_DELAY_MS = 2_000;

/** `url` with any password (and user) replaced, for logs and errors. */
export function redactRedisUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = 'redacted';
    if (u.username) u.username = 'redacted';
    return u.toString();
  } catch {
    return 'redis://(unparsable url)';
  }
}

export interface ClientOptions {
  /** Shown in CLIENT LIST (`onair-<name>`). */
  name: string;
  /**
   * Longest BLOCK this connection's commands use: its command timeout is that plus the usual one.
   * Blocking reads get a connection of their own.
   */
  blockMs?: number;
  /** Queue commands while connecting (only for a connection that sends one or two, like SUBSCRIBE). */
  offlineQueue?: boolean;
}

/** Opens a connection to `url` (in the background: check `status === 'ready'` before relying on it). */
export function redisClient(url: string, log: Logger, options: ClientOptions): Redis {
  const client = new Redis(url, {
    connectionName: `onair-${options.name}`,
    enableOfflineQueue: options.offlineQueue ?? false,
    maxRetriesPerRequest: 1,
    connectTimeout: CONNECT_TIMEOUT_MS,
    commandTimeout: COMMAND_TIMEOUT_MS + (options.blockMs ?? 0),
    retryStrategy: (times: number) => Math.min(100 * times, MAX_RECONNECT_DELAY_MS),
    // A reply to a command sent before a reconnect is lost; nothing of ours needs it resent.
    autoResendUnfulfilledCommands: false,
  });
  let down = false;
  client.on('error', (err: Error) => {
    // ioredis repeats this on every failed reconnect: say it once per outage.
    if (down) return;
    down = true;
    log.warn({ connection: options.name, err }, 'redis unreachable');
  });
  client.on('ready', () => {
    if (down) log.info({ connection: options.name }, 'redis reachable again');
    down = false;
  });
  return client;
}

/** Closes `client` without waiting on a Redis that may be gone. */
export function closeClient(client: Redis): void {
  client.disconnect(false);
}
