/**
 * `/metrics` in Prometheus' text format (prom-client): the process's default metrics and onair's
 * own, read from the hub, the ingest sessions and the cluster at scrape time (nothing on the
 * per-chunk path). Counters are running totals since the process started.
 */
import { Counter, collectDefaultMetrics, Gauge, Registry } from 'prom-client';
import type { Cluster } from '../cluster/cluster.js';
import type { Hub } from '../hub/hub.js';
import type { IngestSessions } from '../ingest/session.js';

export interface MetricsSources {
  hub: Hub;
  sessions: IngestSessions;
  cluster: Cluster | null;
  /** Open status sockets. */
  statusConnections: () => number;
}

/** A counter whose value is read from `read` at scrape time (it must only grow). */
function readCounter<L extends string>(
  registry: Registry,
  name: string,
  help: string,
  labelNames: readonly L[],
  read: () => Iterable<[Partial<Record<L, string>>, number]>,
): void {
  new Counter<L>({
    name,
    help,
    labelNames,
    registers: [registry],
    collect() {
      this.reset();
      for (const [labels, v] of read()) this.inc(labels, v);
    },
  });
}

function readGauge<L extends string>(
  registry: Registry,
  name: string,
  help: string,
  labelNames: readonly L[],
  read: () => Iterable<[Partial<Record<L, string>>, number]>,
): void {
  new Gauge<L>({
    name,
    help,
    labelNames,
    registers: [registry],
    collect() {
      this.reset();
      for (const [labels, v] of read()) this.set(labels, v);
    },
  });
}

export function createMetrics(sources: MetricsSources): Registry {
  const { hub, sessions, cluster } = sources;
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const mounts = () => [...hub.each()];
  const live = () => mounts().filter((m) => m.state === 'live');

  readGauge(
    registry,
    'onair_mount_live',
    'Mounts live on this node: role "ingest" (the broadcaster is here) or "relay" (from Redis).',
    ['mount', 'role'],
    () => live().map((m) => [{ mount: m.name, role: m.origin === 'relay' ? 'relay' : 'ingest' }, 1]),
  );
  readGauge(registry, 'onair_listeners', 'Listeners connected to this node.', ['mount'], () =>
    mounts().map((m) => [{ mount: m.name }, m.listeners]),
  );
  readGauge(
    registry,
    'onair_cluster_listeners',
    'Listeners of the whole cluster (this node plus those other nodes report); this node alone without Redis.',
    ['mount'],
    () => live().map((m) => [{ mount: m.name }, m.listeners + m.remoteListeners]),
  );
  readGauge(registry, 'onair_status_connections', 'Open status WebSockets.', [], () => [
    [{}, sources.statusConnections()],
  ]);
  readCounter(
    registry,
    'onair_ingest_bytes_total',
    'Bytes received from broadcasters on this node.',
    ['mount'],
    () => [...sessions.totals.bytes].map(([mount, v]) => [{ mount }, v]),
  );
  readCounter(
    registry,
    'onair_listen_bytes_total',
    'Bytes written to listeners on this node.',
    ['mount'],
    () => mounts().map((m) => [{ mount: m.name }, m.bytesOut]),
  );
  readCounter(
    registry,
    'onair_listeners_dropped_total',
    'Listeners dropped for falling too far behind (over --max-listener-buffer-bytes).',
    ['mount'],
    () => mounts().map((m) => [{ mount: m.name }, m.slowDropped]),
  );
  readCounter(
    registry,
    'onair_upload_retries_total',
    'Broadcaster uploads that resent bytes the server already had (after a broken connection).',
    ['mount'],
    () => [...sessions.totals.retries].map(([mount, v]) => [{ mount }, v]),
  );
  readGauge(
    registry,
    'onair_ingest_lag_seconds',
    'Seconds since the broadcaster last delivered bytes, per broadcast on this node (the mount ends past its grace period).',
    ['mount'],
    () => sessions.lastData().map(([mount, at]) => [{ mount }, Math.max(0, Date.now() - at) / 1000]),
  );

  if (cluster) {
    const stats = () => cluster.stats();
    readGauge(registry, 'onair_redis_up', '1 while Redis answers, else 0.', [], () => [
      [{}, stats().redisUp ? 1 : 0],
    ]);
    readGauge(registry, 'onair_redis_ping_seconds', 'Round trip of the last PING to Redis.', [], () => {
      const ms = stats().redisPingMs;
      return Number.isFinite(ms) ? [[{}, ms / 1000]] : [];
    });
    readGauge(
      registry,
      'onair_redis_lag_seconds',
      'Per relayed mount: from the broadcasting node writing an entry to this node reading it (node clocks must agree).',
      ['mount'],
      () => [...stats().relays].map(([mount, r]) => [{ mount }, r.lagMs / 1000]),
    );
    readCounter(
      registry,
      'onair_redis_entries_published_total',
      'Stream entries this node wrote to Redis.',
      [],
      () => [[{}, stats().publisher.entries]],
    );
    readCounter(
      registry,
      'onair_redis_bytes_published_total',
      'Bytes this node wrote to Redis streams.',
      [],
      () => [[{}, stats().publisher.bytes]],
    );
    readCounter(
      registry,
      'onair_redis_chunks_dropped_total',
      'Chunks not written to Redis (Redis away or too slow); other nodes resume at the next Cluster.',
      [],
      () => [[{}, stats().publisher.dropped]],
    );
    readCounter(registry, 'onair_redis_write_errors_total', 'Failed writes to Redis.', [], () => [
      [{}, stats().publisher.errors],
    ]);
    readCounter(
      registry,
      'onair_relay_entries_total',
      'Stream entries read per relayed mount (by current relays).',
      ['mount'],
      () => [...stats().relays].map(([mount, r]) => [{ mount }, r.entries]),
    );
    readCounter(
      registry,
      'onair_relays_ended_total',
      'Relays ended, by reason (ended, silent: owner went quiet past the grace period, claim-gone, …).',
      ['reason'],
      () => Object.entries(stats().relaysEnded).map(([reason, v]) => [{ reason }, v]),
    );
    readGauge(
      registry,
      'onair_cluster_claims',
      'Mounts this node holds the cluster-wide claim for.',
      [],
      () => [[{}, stats().claims]],
    );
    readCounter(
      registry,
      'onair_cluster_claims_lost_total',
      'Claims this node lost to another node (Redis away longer than the claim TTL).',
      [],
      () => [[{}, stats().claimsLost]],
    );
  }
  return registry;
}
