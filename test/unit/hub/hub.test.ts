import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ChangeKind } from '../../../src/server/hub/hub.js';
import { Hub } from '../../../src/server/hub/hub.js';
import type { MediaChunk, MountSnapshot, Sink, SinkEndReason } from '../../../src/server/hub/types.js';
import { createLogger, silentLogger } from '../../../src/server/log.js';

/** An in-memory sink that records what it gets; `accept` false makes it "over its budget". */
class FakeSink implements Sink {
  readonly writes: Uint8Array[] = [];
  readonly ends: SinkEndReason[] = [];
  accept = true;

  write(bytes: Uint8Array): boolean {
    if (!this.accept) return false;
    this.writes.push(bytes);
    return true;
  }

  end(reason: SinkEndReason): void {
    this.ends.push(reason);
  }
}

const INIT = new Uint8Array(16).fill(0xee);

function chunk(tag: number, syncPoint: boolean, size = 100): MediaChunk {
  return { bytes: new Uint8Array(size).fill(tag), syncPoint };
}

/** A hub whose log lines are captured as parsed JSON objects. */
function capturingHub(): { hub: Hub; logs: Array<Record<string, unknown>> } {
  const logs: Array<Record<string, unknown>> = [];
  const log = createLogger('debug', {
    write(line: string) {
      logs.push(JSON.parse(line) as Record<string, unknown>);
    },
  });
  return { hub: new Hub({ burstBytes: 64 * 1024, log }), logs };
}

function makeHub(): Hub {
  return new Hub({ burstBytes: 64 * 1024, log: silentLogger() });
}

describe('Hub', () => {
  describe('#mount', () => {
    it('creates a mount offline on first use and returns the same one afterwards', () => {
      const hub = makeHub();
      assert.equal(hub.find('live'), undefined);
      const m = hub.mount('live');
      assert.equal(m.name, 'live');
      assert.equal(m.state, 'offline');
      assert.equal(hub.mount('live'), m);
      assert.equal(hub.find('live'), m);
    });

    it('keeps mounts apart', () => {
      const hub = makeHub();
      const a = hub.mount('a');
      const b = hub.mount('b');
      a.begin({ init: INIT, title: null, origin: 'local' });
      const sink = new FakeSink();
      assert.equal(b.attach(sink), false);
      assert.equal(a.attach(sink), true);
      assert.equal(hub.snapshot('b').state, 'offline');
      assert.equal(hub.snapshot('a').listeners, 1);
    });
  });

  describe('#snapshot', () => {
    it('reports a mount nobody ever used as offline with zero counts', () => {
      const hub = makeHub();
      const snap: MountSnapshot = hub.snapshot('nobody');
      assert.equal(snap.mount, 'nobody');
      assert.equal(snap.state, 'offline');
      assert.equal(snap.listeners, 0);
      assert.equal(snap.listenerPeak, 0);
      assert.equal(snap.startedAt, null);
      assert.equal(snap.title, null);
      assert.equal(snap.bytesIn, 0);
      assert.equal(snap.bytesOut, 0);
      assert.equal(snap.slowDropped, 0);
      assert.equal(hub.find('nobody'), undefined, 'asking for a snapshot creates no mount');
      assert.deepEqual(snap, makeHub().mount('nobody').snapshot(), 'same as a mount that never went live');
    });

    it('reports a live mount with its listeners', () => {
      const hub = makeHub();
      const m = hub.mount('live');
      m.begin({ init: INIT, title: 'Show', origin: 'local' });
      m.attach(new FakeSink());
      m.attach(new FakeSink());
      const snap = hub.snapshot('live');
      assert.equal(snap.state, 'live');
      assert.equal(snap.listeners, 2);
      assert.equal(snap.listenerPeak, 2);
      assert.equal(snap.title, 'Show');
      assert.ok(snap.startedAt instanceof Date);
    });
  });

  describe('#all', () => {
    it('lists a snapshot of every mount', () => {
      const hub = makeHub();
      hub.mount('a').begin({ init: INIT, title: null, origin: 'local' });
      hub.mount('b');
      assert.deepEqual(
        hub.all().map((s) => [s.mount, s.state]),
        [
          ['a', 'live'],
          ['b', 'offline'],
        ],
      );
    });
  });

  describe('#onChange', () => {
    it('reports state and listener changes with a snapshot taken at the time', () => {
      const hub = makeHub();
      const seen: Array<[ChangeKind, MountSnapshot]> = [];
      hub.onChange((snap, kind) => seen.push([kind, snap]));
      const m = hub.mount('live');
      m.begin({ init: INIT, title: null, origin: 'local' });
      m.publish(chunk(1, true));
      const sink = new FakeSink();
      m.attach(sink);
      m.detach(sink);
      m.end();
      assert.deepEqual(
        seen.map(([kind, s]) => [kind, s.mount, s.state, s.listeners]),
        [
          ['state', 'live', 'live', 0],
          ['listeners', 'live', 'live', 1],
          ['listeners', 'live', 'live', 0],
          ['state', 'live', 'offline', 0],
        ],
      );
    });

    it('reports a slow drop as a listeners change', () => {
      const hub = makeHub();
      const m = hub.mount('live');
      m.begin({ init: INIT, title: null, origin: 'local' });
      m.publish(chunk(1, true));
      const slow = new FakeSink();
      m.attach(slow);
      const seen: Array<[ChangeKind, number, number]> = [];
      hub.onChange((snap, kind) => seen.push([kind, snap.listeners, snap.slowDropped]));
      slow.accept = false;
      m.publish(chunk(2, false));
      assert.deepEqual(seen, [['listeners', 0, 1]]);
    });

    it('stops calling a listener once unsubscribed', () => {
      const hub = makeHub();
      let kept = 0;
      let dropped = 0;
      hub.onChange(() => kept++);
      const unsubscribe = hub.onChange(() => dropped++);
      const m = hub.mount('live');
      m.begin({ init: INIT, title: null, origin: 'local' });
      unsubscribe();
      m.end();
      assert.equal(kept, 2);
      assert.equal(dropped, 1);
    });
  });

  describe('#close', () => {
    it('ends every sink of every mount with "shutdown" and takes the mounts offline', () => {
      const hub = makeHub();
      const a = hub.mount('a');
      const b = hub.mount('b');
      hub.mount('idle');
      a.begin({ init: INIT, title: null, origin: 'local' });
      b.begin({ init: INIT, title: null, origin: 'local' });
      a.publish(chunk(1, true));
      const sinks = [new FakeSink(), new FakeSink(), new FakeSink()];
      a.attach(sinks[0] as FakeSink);
      a.attach(sinks[1] as FakeSink);
      b.attach(sinks[2] as FakeSink); // waiting for b's first Cluster
      const states: string[] = [];
      hub.onChange((snap, kind) => kind === 'state' && states.push(`${snap.mount}:${snap.state}`));
      hub.close();
      for (const s of sinks) assert.deepEqual(s.ends, ['shutdown']);
      assert.deepEqual(
        hub.all().map((s) => s.state),
        ['offline', 'offline', 'offline'],
      );
      assert.deepEqual(states, ['a:offline', 'b:offline'], 'watchers hear every mount go offline');
    });

    it('drops its change listeners', () => {
      const hub = makeHub();
      let calls = 0;
      hub.onChange(() => calls++);
      hub.close();
      hub.mount('live').begin({ init: INIT, title: null, origin: 'local' });
      assert.equal(calls, 0);
    });
  });

  describe('logging', () => {
    it('logs each state change and each slow listener dropped', () => {
      const { hub, logs } = capturingHub();
      const m = hub.mount('live');
      m.begin({ init: INIT, title: null, origin: 'local' });
      m.publish(chunk(1, true));
      const slow = new FakeSink();
      m.attach(slow);
      slow.accept = false;
      m.publish(chunk(2, false));
      m.end();
      assert.deepEqual(
        logs.map((l) => [l.level, l.msg, l.mount]),
        [
          [30, 'mount live', 'live'],
          [40, 'listener too slow, dropped', 'live'],
          [30, 'mount offline', 'live'],
        ],
      );
      assert.equal(logs[1]?.dropped, 1);
    });

    it('logs nothing per chunk', () => {
      const { hub, logs } = capturingHub();
      const m = hub.mount('live');
      m.begin({ init: INIT, title: null, origin: 'local' });
      m.attach(new FakeSink());
      for (let i = 0; i < 100; i++) m.publish(chunk(i, i % 10 === 0));
      assert.equal(logs.length, 1);
    });
  });
});
