/**
 * One onair node of a cluster sharing mounts through Redis (`--redis URL`). It claims mounts for
 * local broadcasts across the cluster, publishes what they produce to Redis, relays mounts
 * broadcast on other nodes into the local hub (one relay per mount), and keeps listener counts in
 * step. The hub, ingest and outputs know nothing of it: it publishes from hub events and drives
 * local Mounts through their usual API.
 *
 * Finding mounts to relay: the owner announces each broadcast on a pub/sub channel (at once), and
 * every second each node also reads the set of live mounts (after a missed message, a reconnect,
 * or its own start).
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Redis } from 'ioredis';
import type { Hub } from '../hub/hub.js';
import type { IngestSessions, MountClaims } from '../ingest/session.js';
import type { Logger } from '../log.js';
import { Claims } from './claims.js';
import { claimKey, EVENTS_CHANNEL, MOUNTS_KEY } from './keys.js';
import { ListenerCounts } from './listener-counts.js';
import type { PublisherStats } from './publisher.js';
import { Publisher } from './publisher.js';
import { closeClient, redactRedisUrl, redisClient } from './redis.js';
import type { RelayEnd } from './relay.js';
import { READ_BLOCK_MS, Relay } from './relay.js';
import type { Scripts } from './scripts.js';
import { scripts } from './scripts.js';

/** How often the set of live mounts is read, and Redis pinged for readiness. */
export const DISCOVER_INTERVAL_MS = 1_000;

export interface ClusterStats {
  node: string;
  redisUp: boolean;
  /** Round trip of the last PING, ms (NaN when it failed). */
  redisPingMs: number;
  claims: number;
  claimsLost: number;
  publisher: PublisherStats;
  /** Mount → lag (ms) of the newest entry its relay read. */
  relays: Map<string, { lagMs: number; entries: number }>;
  relaysEnded: Record<RelayEnd, number>;
}

export class Cluster implements MountClaims {
  readonly node: string;
  private readonly url: string;
  private readonly hub: Hub;
  private readonly log: Logger;
  private readonly cmd: Redis;
  private readonly scripts: Scripts;
  private readonly sub: Redis;
  private readonly claims: Claims;
  private readonly publisher: Publisher;
  private readonly counts: ListenerCounts;
  private readonly relays = new Map<string, Relay>();
  private readonly graces = new Map<string, number>();
  private readonly relaysEnded: Record<RelayEnd, number> = {
    ended: 0,
    silent: 0,
    'claim-gone': 0,
    replaced: 0,
    'not-live': 0,
    error: 0,
    stopped: 0,
  };
  private readonly timer: NodeJS.Timeout;
  private readonly defaultGraceMs: number;
  private sessions: IngestSessions | null = null;
  private pingMs = Number.NaN;
  private discovering = false;
  private closed = false;

  constructor(options: { url: string; hub: Hub; log: Logger; defaultGraceMs: number; node?: string }) {
    this.url = options.url;
    this.hub = options.hub;
    this.log = options.log;
    this.defaultGraceMs = options.defaultGraceMs;
    this.node = options.node ?? `${hostname()}-${randomBytes(4).toString('hex')}`;
    this.cmd = redisClient(this.url, this.log, { name: 'cmd' });
    const s = scripts(this.cmd);
    this.scripts = s;
    this.claims = new Claims({
      client: this.cmd,
      scripts: s,
      node: this.node,
      log: this.log,
      onLost: (mount) => this.sessions?.endMount(mount, 'error'),
      onAcquired: (mount) => this.relays.get(mount)?.stop('stopped'),
    });
    this.publisher = new Publisher({
      hub: this.hub,
      client: this.cmd,
      scripts: s,
      node: this.node,
      log: this.log,
      owns: (mount) => this.claims.holds(mount),
      graceOf: (mount) => this.graces.get(mount) ?? this.defaultGraceMs,
    });
    this.counts = new ListenerCounts({ hub: this.hub, client: this.cmd, node: this.node });
    this.sub = redisClient(this.url, this.log, { name: 'sub', offlineQueue: true });
    this.sub.on('message', (_channel: string, message: string) => this.onEvent(message));
    this.sub.subscribe(EVENTS_CHANNEL).catch((err: unknown) => {
      this.log.warn({ err }, 'redis subscribe failed; polling only');
    });
    this.timer = setInterval(() => void this.discover(), DISCOVER_INTERVAL_MS);
    this.timer.unref();
    this.log.info({ node: this.node, redis: redactRedisUrl(this.url) }, 'cluster node started');
  }

  /** The ingest sessions whose broadcasts end when their claim is lost. */
  attach(sessions: IngestSessions): void {
    this.sessions = sessions;
  }

  async acquire(mount: string, graceMs: number): Promise<void> {
    await this.claims.acquire(mount);
    this.graces.set(mount, graceMs);
  }

  release(mount: string): void {
    this.graces.delete(mount);
    this.claims.release(mount);
  }

  /** Redis answers (the last PING within DISCOVER_INTERVAL_MS succeeded). */
  get ready(): boolean {
    return !this.closed && this.cmd.status === 'ready' && Number.isFinite(this.pingMs);
  }

  stats(): ClusterStats {
    const relays = new Map<string, { lagMs: number; entries: number }>();
    for (const [m, r] of this.relays) relays.set(m, { lagMs: r.lagMs, entries: r.entries });
    return {
      node: this.node,
      redisUp: this.ready,
      redisPingMs: this.pingMs,
      claims: this.claims.count,
      claimsLost: this.claims.lost,
      publisher: { ...this.publisher.stats },
      relays,
      relaysEnded: { ...this.relaysEnded },
    };
  }

  /**
   * Leaves the cluster. `release`: give claims back at once (clean shutdown; the broadcasts end
   * first, so their end entries are written); without it they expire as a dead node's would.
   */
  async close(options: { release: boolean } = { release: true }): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.timer);
    this.counts.close();
    for (const r of [...this.relays.values()]) r.stop('stopped');
    await this.claims.close(options.release);
    this.publisher.close();
    closeClient(this.sub);
    // Let the last writes (end entries, releases) go out; Redis may be gone, so do not wait long.
    if (this.cmd.status === 'ready') {
      await Promise.race([this.cmd.quit().catch(() => {}), new Promise((r) => setTimeout(r, 500))]);
    }
    closeClient(this.cmd);
  }

  /**
   * `begin <mount>`: a broadcast began (relay it); `title <mount> <json>`: a title was set on a node
   * that relays the mount (the owner applies it, and its relays everywhere pass it on).
   */
  private onEvent(message: string): void {
    const [kind, mount, ...rest] = message.split(' ');
    if (!mount) return;
    if (kind === 'begin') this.consider(mount);
    if (kind === 'title' && this.claims.holds(mount)) {
      let title: unknown = null;
      try {
        title = JSON.parse(rest.join(' '));
      } catch {
        return;
      }
      if (title === null || typeof title === 'string') this.hub.find(mount)?.setTitle(title);
    }
  }

  /** Starts relaying `mount` unless this node broadcasts it or relays it already. */
  private consider(mount: string): void {
    if (this.closed || this.relays.has(mount) || this.claims.holds(mount)) return;
    if (this.sessions?.isLive(mount)) return;
    const relay = new Relay({
      mount,
      hub: this.hub,
      reader: redisClient(this.url, this.log, { name: `relay-${mount}`, blockMs: READ_BLOCK_MS }),
      cmd: this.cmd,
      log: this.log,
      onStop: (r, reason) => {
        this.relaysEnded[reason]++;
        if (this.relays.get(mount) === r) this.relays.delete(mount);
        // A new broadcast may already be there (replaced, or begun right after the end).
        if (reason === 'replaced') setImmediate(() => this.consider(mount));
      },
      onTitle: (m, title) => {
        this.cmd.publish(EVENTS_CHANNEL, `title ${m} ${JSON.stringify(title)}`).catch(() => {});
      },
    });
    this.relays.set(mount, relay);
    void relay.run();
  }

  private async discover(): Promise<void> {
    if (this.discovering || this.closed || this.cmd.status !== 'ready') {
      if (this.cmd.status !== 'ready') this.pingMs = Number.NaN;
      return;
    }
    this.discovering = true;
    try {
      const t0 = performance.now();
      await this.cmd.ping();
      this.pingMs = performance.now() - t0;
      const mounts = await this.cmd.smembers(MOUNTS_KEY);
      if (mounts.length === 0) return;
      const owners = await this.cmd.mget(...mounts.map(claimKey));
      mounts.forEach((m, i) => {
        if (owners[i] === null) {
          // Its node died mid-broadcast: nobody will list it as ended.
          this.scripts.prune(m).catch(() => {});
        } else if (owners[i] !== this.node) this.consider(m);
      });
    } catch {
      this.pingMs = Number.NaN;
    } finally {
      this.discovering = false;
    }
  }
}
