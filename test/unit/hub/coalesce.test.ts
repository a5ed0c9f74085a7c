/**
 * The low-latency output's adaptive write window: off for small audiences and an idle process, on
 * (one write per window, shared) for a large audience while the process is busy; a joiner during a
 * window waits for it with everyone instead of forcing a write per join.
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it, mock } from 'node:test';
import { COALESCE_MIN_LISTENERS, Hub } from '../../../src/server/hub/hub.js';
import { HYSTERESIS, LoadGauge } from '../../../src/server/hub/load.js';
import type { Sink } from '../../../src/server/hub/mount.js';
import { createLogger } from '../../../src/server/log.js';

class CountingSink implements Sink {
  writes: Uint8Array[] = [];
  write(bytes: Uint8Array): boolean {
    this.writes.push(bytes);
    return true;
  }
  end(): void {}
}

const INIT = new Uint8Array(8).fill(0xee);
const frame = (tag: number): { bytes: Uint8Array; syncPoint: boolean } => ({
  bytes: new Uint8Array(20).fill(tag),
  syncPoint: true,
});

/** A hub whose process counts as busy always (load 0), with a live mount and `n` packet listeners. */
function busyHub(n: number, windowMs = 100): { hub: Hub; sinks: CountingSink[] } {
  const hub = new Hub({
    burstBytes: 64 * 1024,
    packetCoalesceMs: windowMs,
    packetCoalesceLoad: 0,
    log: createLogger('silent'),
  });
  const mount = hub.mount('live');
  mount.begin(INIT, null);
  mount.setInit('packets', INIT);
  mount.publish(frame(1), 'packets');
  const sinks = Array.from({ length: n }, () => new CountingSink());
  for (const s of sinks) assert.ok(mount.attach(s, 'packets'));
  return { hub, sinks };
}

describe('LoadGauge', () => {
  it('turns busy at its threshold and idle only below it less the hysteresis', () => {
    const changes: boolean[] = [];
    const g = new LoadGauge(0.85, (busy) => changes.push(busy));
    g.update(0.84);
    assert.equal(g.busy, false);
    g.update(0.9);
    assert.equal(g.busy, true);
    g.update(0.85 - HYSTERESIS + 0.01);
    assert.equal(g.busy, true, 'no flapping just under the threshold');
    g.update(0.85 - HYSTERESIS - 0.01);
    assert.equal(g.busy, false);
    assert.deepEqual(changes, [true, false]);
    g.close();
  });

  it('is always busy with a threshold of 0', () => {
    const g = new LoadGauge(0);
    g.update(0);
    assert.equal(g.busy, true);
    g.close();
  });
});

describe('packet-stream write window', () => {
  beforeEach(() => mock.timers.enable({ apis: ['setTimeout', 'setInterval'] }));
  afterEach(() => mock.timers.reset());

  it('writes at once below the audience threshold, even when busy', () => {
    const { hub, sinks } = busyHub(COALESCE_MIN_LISTENERS - 1);
    const s = sinks[0] as CountingSink;
    const before = s.writes.length;
    hub.mount('live').publish(frame(2), 'packets');
    assert.equal(s.writes.length, before + 1);
    hub.close();
  });

  it('gathers a large audience’s packets for the window and writes them as one shared buffer', () => {
    const { hub, sinks } = busyHub(COALESCE_MIN_LISTENERS);
    const [a, b] = sinks as [CountingSink, CountingSink];
    const before = a.writes.length;
    const mount = hub.mount('live');
    mount.publish(frame(2), 'packets');
    mount.publish(frame(3), 'packets');
    assert.equal(a.writes.length, before, 'held for the window');
    mock.timers.tick(100);
    assert.equal(a.writes.length, before + 1, 'one write for both');
    assert.strictEqual(a.writes[before], b.writes[before], 'made once, shared');
    assert.deepEqual(
      [...(a.writes[before] as Uint8Array)].filter((_, i) => i % 20 === 0),
      [2, 3],
    );
    hub.close();
  });

  it('lets a joiner wait for the window with everyone, without a write per join', () => {
    const { hub, sinks } = busyHub(COALESCE_MIN_LISTENERS);
    const a = sinks[0] as CountingSink;
    const mount = hub.mount('live');
    mount.publish(frame(2), 'packets');
    mount.publish(frame(3), 'packets');
    const before = a.writes.length;
    const joiners = Array.from({ length: 50 }, () => new CountingSink());
    for (const j of joiners) assert.ok(mount.attach(j, 'packets'));
    assert.equal(a.writes.length, before, 'the joins wrote nothing to the others');
    for (const j of joiners) assert.equal(j.writes.length, 1, 'the init alone, then the window');
    mock.timers.tick(100);
    for (const j of joiners) assert.strictEqual(j.writes[1], a.writes[before]);
    hub.close();
  });

  it('never waits when the window is 0 ms', () => {
    const { hub, sinks } = busyHub(COALESCE_MIN_LISTENERS, 0);
    const s = sinks[0] as CountingSink;
    const before = s.writes.length;
    hub.mount('live').publish(frame(2), 'packets');
    assert.equal(s.writes.length, before + 1);
    hub.close();
  });
});
