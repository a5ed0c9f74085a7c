/**
 * Mount claims across the cluster: `SET onair:claim:<mount> <node> NX PX <ttl>` (by script, so a
 * node only extends or deletes its own), refreshed while the broadcast lasts. A node that dies
 * stops refreshing and its claims expire within CLAIM_TTL_MS; one that loses a claim (Redis was
 * away past the TTL and another node took the mount) ends its broadcast.
 */
import type { Redis } from 'ioredis';
import { ApiError } from '../errors.js';
import type { MountClaims } from '../ingest/session.js';
import type { Logger } from '../log.js';
import type { Scripts } from './scripts.js';

/** A claim not refreshed for this long expires: how long a dead node keeps its mounts. */
export const CLAIM_TTL_MS = 5_000;
/** Claims are refreshed this often (three tries within one TTL). */
export const CLAIM_REFRESH_MS = 1_500;
/** A mount's stream and meta hash outlive their last refresh by this long. */
export const META_TTL_MS = 60_000;

export class Claims implements MountClaims {
  /** Mounts this node holds. */
  private readonly held = new Set<string>();
  private readonly client: Redis;
  private readonly scripts: Scripts;
  private readonly node: string;
  private readonly log: Logger;
  private readonly onLost: (mount: string) => void;
  private readonly onAcquired: (mount: string) => void;
  private readonly timer: NodeJS.Timeout;
  private refreshing = false;
  /** Claims this node lost to another (Redis was away longer than the TTL). */
  lost = 0;

  constructor(options: {
    client: Redis;
    scripts: Scripts;
    node: string;
    log: Logger;
    /** This node no longer holds `mount`: end its broadcast. */
    onLost: (mount: string) => void;
    /** This node now holds `mount` (stop relaying it from another node). */
    onAcquired: (mount: string) => void;
  }) {
    this.client = options.client;
    this.scripts = options.scripts;
    this.node = options.node;
    this.log = options.log;
    this.onLost = options.onLost;
    this.onAcquired = options.onAcquired;
    this.timer = setInterval(() => void this.refresh(), CLAIM_REFRESH_MS);
    this.timer.unref();
  }

  holds(mount: string): boolean {
    return this.held.has(mount);
  }

  get count(): number {
    return this.held.size;
  }

  async acquire(mount: string): Promise<void> {
    if (this.client.status !== 'ready') throw unavailable();
    let taken: boolean;
    try {
      taken = await this.scripts.claim(mount, this.node, CLAIM_TTL_MS);
    } catch (err) {
      this.log.warn({ mount, err }, 'claim failed: redis unavailable');
      throw unavailable();
    }
    if (!taken) {
      throw new ApiError(
        'MOUNT_IN_USE',
        `Someone is already broadcasting on mount "${mount}" (on another node of this cluster).`,
      );
    }
    this.held.add(mount);
    this.onAcquired(mount);
  }

  release(mount: string): void {
    if (!this.held.delete(mount)) return;
    this.scripts.release(mount, this.node).catch((err: unknown) => {
      // It expires by itself within CLAIM_TTL_MS.
      this.log.warn({ mount, err }, 'claim release failed; it will expire');
    });
  }

  /** Stops refreshing; with `release`, gives every claim back (a clean shutdown). */
  async close(release: boolean): Promise<void> {
    clearInterval(this.timer);
    const mounts = [...this.held];
    this.held.clear();
    if (!release || this.client.status !== 'ready') return;
    await Promise.allSettled(mounts.map((m) => this.scripts.release(m, this.node)));
  }

  private async refresh(): Promise<void> {
    if (this.refreshing || this.held.size === 0 || this.client.status !== 'ready') return;
    this.refreshing = true;
    try {
      await Promise.all(
        [...this.held].map(async (mount) => {
          let r: 'ok' | 'gone' | 'taken';
          try {
            r = await this.scripts.refresh(mount, this.node, CLAIM_TTL_MS, META_TTL_MS);
          } catch {
            return; // Redis is away: try again next time; relays elsewhere see silence meanwhile.
          }
          // Expired while Redis was away but nobody took it: take it again.
          if (r === 'gone' && (await this.scripts.claim(mount, this.node, CLAIM_TTL_MS).catch(() => true))) {
            return;
          }
          if (r === 'ok' || !this.held.has(mount)) return;
          this.held.delete(mount);
          this.lost++;
          this.log.warn({ mount }, 'claim lost to another node; ending the broadcast here');
          this.onLost(mount);
        }),
      );
    } finally {
      this.refreshing = false;
    }
  }
}

function unavailable(): ApiError {
  return new ApiError(
    'CLUSTER_UNAVAILABLE',
    'This server cannot reach its cluster (Redis) to claim the mount; try again shortly.',
  );
}
