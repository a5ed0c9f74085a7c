/**
 * Listener counts across the cluster: once a second each node writes its own count for every live
 * mount (`HSET onair:listeners:<mount> <node> "<count>:<ms>"`) and reads the others', skipping
 * entries older than STALE_MS (a node that died), and gives the local Mount the others' sum:
 * status messages and /status-json.xsl then show the whole cluster's listeners.
 */
import type { Redis } from 'ioredis';
import type { Hub } from '../hub/hub.js';
import { listenersKey } from './keys.js';

export const COUNT_INTERVAL_MS = 1_000;
/** A node's count older than this is ignored (and removed). */
export const STALE_MS = 5_000;
/** The hash outlives its last write by this long. */
const KEY_TTL_MS = 30_000;

/** The sum of other nodes' fresh counts in `hash` (`node → "count:ms"`), and the stale nodes. */
export function sumOthers(
  hash: Readonly<Record<string, string>>,
  self: string,
  now: number,
): { sum: number; stale: string[] } {
  let sum = 0;
  const stale: string[] = [];
  for (const [node, value] of Object.entries(hash)) {
    if (node === self) continue;
    const [count, at] = value.split(':').map(Number);
    if (count === undefined || at === undefined || !Number.isFinite(count) || !Number.isFinite(at)) {
      stale.push(node);
    } else if (now - at > STALE_MS) stale.push(node);
    else sum += Math.max(0, count);
  }
  return { sum, stale };
}

export class ListenerCounts {
  private readonly hub: Hub;
  private readonly client: Redis;
  private readonly node: string;
  private readonly timer: NodeJS.Timeout;
  /** Mounts this node reported last time (to remove its entry once they go offline). */
  private reported = new Set<string>();
  private busy = false;

  constructor(options: { hub: Hub; client: Redis; node: string }) {
    this.hub = options.hub;
    this.client = options.client;
    this.node = options.node;
    this.timer = setInterval(() => void this.tick(), COUNT_INTERVAL_MS);
    this.timer.unref();
  }

  close(): void {
    clearInterval(this.timer);
  }

  private async tick(): Promise<void> {
    if (this.busy || this.client.status !== 'ready') return;
    this.busy = true;
    try {
      const now = Date.now();
      const live = [...this.hub.each()].filter((m) => m.state === 'live');
      const p = this.client.pipeline();
      for (const m of live) {
        const key = listenersKey(m.name);
        p.hset(key, this.node, `${m.listeners}:${now}`);
        p.pexpire(key, KEY_TTL_MS);
        p.hgetall(key);
      }
      const gone = [...this.reported].filter((name) => !live.some((m) => m.name === name));
      for (const name of gone) p.hdel(listenersKey(name), this.node);
      const results = await p.exec();
      this.reported = new Set(live.map((m) => m.name));
      live.forEach((m, i) => {
        const [err, hash] = results?.[i * 3 + 2] ?? [null, null];
        if (err || !hash || m.state !== 'live') return;
        const { sum, stale } = sumOthers(hash as Record<string, string>, this.node, Date.now());
        m.setRemoteListeners(sum);
        if (stale.length > 0) this.client.hdel(listenersKey(m.name), ...stale).catch(() => {});
      });
    } catch {
      // Redis is away: counts stay as they were until it is back.
    } finally {
      this.busy = false;
    }
  }
}
