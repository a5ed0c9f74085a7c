import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it, mock } from 'node:test';
import { Mount } from '../../../src/server/hub/mount.js';
import type {
  MediaChunk,
  MediaEvent,
  MountChange,
  Sink,
  SinkEndReason,
} from '../../../src/server/hub/types.js';

/** An in-memory sink: records what it gets; `budget` is how many more writes it accepts. */
class FakeSink implements Sink {
  readonly writes: Uint8Array[] = [];
  readonly ends: SinkEndReason[] = [];
  budget = Number.POSITIVE_INFINITY;
  /** A chunk tag this sink refuses (returns false for) while it otherwise has room. */
  refuseTag: number | null = null;

  write(bytes: Uint8Array): boolean {
    if (this.budget <= 0 || bytes[0] === this.refuseTag) return false;
    this.budget--;
    this.writes.push(bytes);
    return true;
  }

  end(reason: SinkEndReason): void {
    this.ends.push(reason);
  }

  /** The first byte of every write: the tag each test chunk is filled with. */
  get tags(): number[] {
    return this.writes.map((w) => w[0] ?? -1);
  }
}

const INIT = new Uint8Array(16).fill(0xee);
const INIT_TAG = 0xee;

/** A chunk of `size` bytes, every byte `tag`. */
function chunk(tag: number, syncPoint: boolean, size = 100): MediaChunk {
  return { bytes: new Uint8Array(size).fill(tag), syncPoint };
}

interface Harness {
  mount: Mount;
  changes: MountChange[];
  slow: number;
}

function makeMount(burstBytes = 1024, oggFlushMs = 0): Harness {
  const h: Harness = {
    changes: [],
    slow: 0,
    mount: new Mount({
      name: 'live',
      burstBytes,
      oggFlushMs,
      onChange: (_m, kind) => h.changes.push(kind),
      onSlow: () => h.slow++,
    }),
  };
  return h;
}

function liveMount(burstBytes = 1024): Harness {
  const h = makeMount(burstBytes);
  h.mount.begin({ init: INIT, title: 'Morning show', origin: 'local' });
  h.changes.length = 0;
  return h;
}

describe('Mount', () => {
  describe('#attach', () => {
    it('returns false and writes nothing while offline', () => {
      const { mount, changes } = makeMount();
      const sink = new FakeSink();
      assert.equal(mount.attach(sink), false);
      assert.deepEqual(sink.writes, []);
      assert.equal(mount.listeners, 0);
      assert.deepEqual(changes, []);
    });

    it('returns false once the broadcast has ended', () => {
      const { mount } = liveMount();
      mount.publish(chunk(1, true));
      mount.end();
      const sink = new FakeSink();
      assert.equal(mount.attach(sink), false);
      assert.deepEqual(sink.writes, []);
    });

    it('sends the init segment, then the newest Cluster, then live chunks', () => {
      const { mount, changes } = liveMount();
      mount.publish(chunk(1, true));
      mount.publish(chunk(2, false));
      mount.publish(chunk(3, true));
      mount.publish(chunk(4, false));
      const sink = new FakeSink();
      assert.equal(mount.attach(sink), true);
      assert.deepEqual(sink.tags, [INIT_TAG, 3, 4]);
      // The init segment goes out as is: the same memory, not a copy (wrapped once as a Buffer view).
      assert.equal(sink.writes[0]?.buffer, INIT.buffer);
      assert.equal(sink.writes[0]?.byteOffset, INIT.byteOffset);
      assert.equal(sink.writes[0]?.byteLength, INIT.byteLength);
      mount.publish(chunk(5, false));
      mount.publish(chunk(6, true));
      assert.deepEqual(sink.tags, [INIT_TAG, 3, 4, 5, 6]);
      assert.equal(mount.listeners, 1);
      assert.deepEqual(changes, ['listeners']);
    });

    it('holds back a sink that joins before the first Cluster until a sync point arrives', () => {
      const { mount } = liveMount();
      const sink = new FakeSink();
      assert.equal(mount.attach(sink), true);
      assert.deepEqual(sink.tags, [INIT_TAG]);
      assert.equal(mount.listeners, 1, 'a waiting sink counts as a listener');
      mount.publish(chunk(1, false));
      assert.deepEqual(sink.tags, [INIT_TAG]);
      mount.publish(chunk(2, true));
      mount.publish(chunk(3, false));
      assert.deepEqual(sink.tags, [INIT_TAG, 2, 3]);
    });

    it('holds back a sink that joins when the newest Cluster outgrew burstBytes, until the next one', () => {
      const { mount } = liveMount(1024);
      mount.publish(chunk(1, true, 600));
      mount.publish(chunk(2, false, 600)); // 1200 bytes since the sync point: over the cap
      const sink = new FakeSink();
      assert.equal(mount.attach(sink), true);
      assert.deepEqual(sink.tags, [INIT_TAG], 'nothing of the oversized Cluster is sent');
      mount.publish(chunk(3, false));
      assert.deepEqual(sink.tags, [INIT_TAG]);
      mount.publish(chunk(4, true));
      mount.publish(chunk(5, false));
      assert.deepEqual(sink.tags, [INIT_TAG, 4, 5]);
    });

    it('holds back a late joiner when the Cluster start alone is larger than burstBytes', () => {
      const { mount } = liveMount(1024);
      const early = new FakeSink();
      mount.attach(early);
      mount.publish(chunk(1, true, 2000));
      const late = new FakeSink();
      mount.attach(late);
      mount.publish(chunk(2, false));
      assert.deepEqual(late.tags, [INIT_TAG]);
      mount.publish(chunk(3, true));
      assert.deepEqual(late.tags, [INIT_TAG, 3]);
      assert.deepEqual(early.tags, [INIT_TAG, 1, 2, 3], 'a sink already attached gets everything');
    });

    it('releases waiting sinks on an oversized sync point and sends it to them', () => {
      const { mount } = liveMount(1024);
      const sink = new FakeSink();
      mount.attach(sink);
      mount.publish(chunk(1, true, 4000));
      assert.deepEqual(sink.tags, [INIT_TAG, 1]);
      assert.equal(sink.writes[1]?.byteLength, 4000);
    });

    it('keeps a burst of exactly burstBytes', () => {
      const { mount } = liveMount(1024);
      mount.publish(chunk(1, true, 512));
      mount.publish(chunk(2, false, 512));
      const sink = new FakeSink();
      mount.attach(sink);
      assert.deepEqual(sink.tags, [INIT_TAG, 1, 2]);
    });

    it('returns false and attaches nothing when the init segment cannot be written', () => {
      const { mount, changes } = liveMount();
      mount.publish(chunk(1, true));
      const sink = new FakeSink();
      sink.budget = 0;
      assert.equal(mount.attach(sink), false);
      assert.equal(mount.listeners, 0);
      assert.deepEqual(changes, []);
      sink.budget = Number.POSITIVE_INFINITY;
      mount.publish(chunk(2, false));
      assert.deepEqual(sink.writes, []);
    });

    it('does not leave a sink attached after it refuses part of the burst', () => {
      const { mount } = liveMount();
      mount.publish(chunk(1, true));
      mount.publish(chunk(2, false));
      mount.publish(chunk(3, false));
      const sink = new FakeSink();
      sink.refuseTag = 2; // "over its budget and must be dropped" in the middle of the burst
      mount.attach(sink);
      mount.publish(chunk(4, false));
      assert.ok(
        !sink.tags.includes(4),
        `the sink stayed attached and got a stream with a hole: ${JSON.stringify(sink.tags)}`,
      );
      assert.equal(mount.listeners, 0);
    });
  });

  describe('#begin', () => {
    it('goes live with a start time and title and reports a state change', () => {
      const h = makeMount();
      const before = Date.now();
      h.mount.begin({ init: INIT, title: 'Morning show', origin: 'local' });
      assert.equal(h.mount.state, 'live');
      assert.ok(h.mount.startedAt instanceof Date);
      assert.ok(h.mount.startedAt.getTime() >= before && h.mount.startedAt.getTime() <= Date.now());
      assert.equal(h.mount.title, 'Morning show');
      assert.deepEqual(h.changes, ['state']);
      const snap = h.mount.snapshot();
      assert.equal(snap.state, 'live');
      assert.equal(snap.mount, 'live');
      assert.equal(snap.title, 'Morning show');
    });

    it('forgets the previous broadcast burst', () => {
      const { mount } = liveMount();
      mount.publish(chunk(1, true));
      mount.end();
      mount.begin({ init: INIT, title: null, origin: 'local' });
      const sink = new FakeSink();
      mount.attach(sink);
      assert.deepEqual(sink.tags, [INIT_TAG]);
    });
  });

  describe('#publish', () => {
    it('ignores chunks while offline', () => {
      const { mount, changes } = makeMount();
      mount.publish(chunk(1, true));
      mount.begin({ init: INIT, title: null, origin: 'local' });
      const sink = new FakeSink();
      mount.attach(sink);
      assert.deepEqual(sink.tags, [INIT_TAG], 'the chunk published while offline was not kept');
      assert.equal(mount.bytesOut, INIT.byteLength);
      assert.deepEqual(changes, ['state', 'listeners']);
    });

    it('sends every chunk to every attached sink and counts bytesOut, init and burst included', () => {
      const { mount } = liveMount();
      mount.publish(chunk(1, true));
      const a = new FakeSink();
      const b = new FakeSink();
      mount.attach(a);
      mount.attach(b);
      mount.publish(chunk(2, false, 50));
      mount.publish(chunk(3, true, 70));
      assert.deepEqual(a.tags, [INIT_TAG, 1, 2, 3]);
      assert.deepEqual(b.tags, [INIT_TAG, 1, 2, 3]);
      assert.equal(mount.bytesOut, 2 * (INIT.byteLength + 100 + 50 + 70));
    });

    it('drops a sink whose write returns false, and the others keep receiving', () => {
      const h = liveMount();
      h.mount.publish(chunk(1, true));
      const slow = new FakeSink();
      const fast = new FakeSink();
      h.mount.attach(slow);
      h.mount.attach(fast);
      h.changes.length = 0;
      slow.budget = 0;
      h.mount.publish(chunk(2, false));
      assert.deepEqual(slow.ends, ['slow']);
      assert.equal(h.mount.slowDropped, 1);
      assert.equal(h.slow, 1);
      assert.equal(h.mount.listeners, 1);
      assert.deepEqual(h.changes, ['listeners']);

      slow.budget = Number.POSITIVE_INFINITY;
      h.mount.publish(chunk(3, true));
      assert.deepEqual(slow.tags, [INIT_TAG, 1], 'a dropped sink gets nothing more');
      assert.deepEqual(slow.ends, ['slow'], 'a dropped sink is ended once');
      assert.deepEqual(fast.tags, [INIT_TAG, 1, 2, 3]);
      assert.deepEqual(fast.ends, []);
      assert.equal(h.mount.snapshot().slowDropped, 1);
    });

    it('calls onSlow once for every dropped sink', () => {
      const h = liveMount();
      h.mount.publish(chunk(1, true));
      const sinks = [new FakeSink(), new FakeSink(), new FakeSink()];
      for (const s of sinks) h.mount.attach(s);
      for (const s of sinks.slice(0, 2)) s.budget = 0;
      h.changes.length = 0;
      h.mount.publish(chunk(2, false));
      assert.equal(h.slow, 2);
      assert.equal(h.mount.slowDropped, 2);
      assert.deepEqual(h.changes, ['listeners'], 'one listeners change for the whole publish');
      assert.equal(h.mount.listeners, 1);
    });
  });

  describe('#detach', () => {
    it('stops sending to the sink and reports the listener change', () => {
      const { mount, changes } = liveMount();
      mount.publish(chunk(1, true));
      const sink = new FakeSink();
      mount.attach(sink);
      changes.length = 0;
      mount.detach(sink);
      mount.publish(chunk(2, false));
      assert.deepEqual(sink.tags, [INIT_TAG, 1]);
      assert.deepEqual(sink.ends, [], 'detach leaves ending the sink to its owner');
      assert.equal(mount.listeners, 0);
      assert.deepEqual(changes, ['listeners']);
    });

    it('removes a sink still waiting for a sync point', () => {
      const { mount } = liveMount();
      const sink = new FakeSink();
      mount.attach(sink);
      mount.detach(sink);
      assert.equal(mount.listeners, 0);
      mount.publish(chunk(1, true));
      assert.deepEqual(sink.tags, [INIT_TAG]);
    });

    it('reports nothing for a sink that is not attached', () => {
      const { mount, changes } = liveMount();
      mount.detach(new FakeSink());
      assert.deepEqual(changes, []);
    });
  });

  describe('#end', () => {
    it('ends every sink with "ended" and goes offline with counters of the broadcast reset', () => {
      const { mount, changes } = liveMount();
      const waiting = new FakeSink();
      mount.attach(waiting);
      mount.publish(chunk(1, true));
      const attached = new FakeSink();
      mount.attach(attached);
      mount.bytesIn = 12_345;
      changes.length = 0;
      mount.end();
      assert.deepEqual(waiting.ends, ['ended']);
      assert.deepEqual(attached.ends, ['ended']);
      assert.equal(mount.state, 'offline');
      assert.equal(mount.listeners, 0);
      assert.equal(mount.bytesIn, 0);
      assert.equal(mount.startedAt, null);
      assert.equal(mount.title, null);
      assert.deepEqual(changes, ['state']);
      const snap = mount.snapshot();
      assert.equal(snap.state, 'offline');
      assert.equal(snap.bytesIn, 0);
      assert.equal(snap.startedAt, null);
    });

    it('passes its reason to the sinks', () => {
      const { mount } = liveMount();
      const sink = new FakeSink();
      mount.attach(sink);
      mount.end('shutdown');
      assert.deepEqual(sink.ends, ['shutdown']);
    });

    it('does nothing when already offline', () => {
      const { mount, changes } = liveMount();
      const sink = new FakeSink();
      mount.attach(sink);
      mount.end();
      changes.length = 0;
      mount.end();
      assert.deepEqual(sink.ends, ['ended']);
      assert.deepEqual(changes, []);
    });

    it('stops relaying: chunks published after the end reach nobody', () => {
      const { mount } = liveMount();
      mount.publish(chunk(1, true));
      const sink = new FakeSink();
      mount.attach(sink);
      mount.end();
      mount.publish(chunk(2, true));
      assert.deepEqual(sink.tags, [INIT_TAG, 1]);
    });
  });

  describe('listenerPeak', () => {
    it('keeps the highest listener count, counting sinks waiting for a sync point', () => {
      const { mount } = liveMount();
      const a = new FakeSink();
      mount.attach(a); // waiting
      mount.publish(chunk(1, true));
      const b = new FakeSink();
      const c = new FakeSink();
      mount.attach(b);
      mount.attach(c);
      assert.equal(mount.listenerPeak, 3);
      mount.detach(a);
      mount.detach(b);
      assert.equal(mount.listeners, 1);
      assert.equal(mount.listenerPeak, 3);
      mount.attach(new FakeSink());
      assert.equal(mount.listenerPeak, 3);
      assert.equal(mount.snapshot().listenerPeak, 3);
    });
  });

  describe('#notify', () => {
    it('reports a listeners change', () => {
      const { mount, changes } = liveMount();
      mount.notify();
      assert.deepEqual(changes, ['listeners']);
    });
  });
});

describe('Mount title', () => {
  it('keeps a title set before the first Cluster, and forgets it when the broadcast ends', () => {
    const { mount, changes } = makeMount();
    mount.setTitle('Year 9 assembly');
    mount.begin({ init: INIT, title: null, origin: 'local' });
    assert.equal(mount.snapshot().title, 'Year 9 assembly');
    assert.deepEqual(changes, ['title', 'state']);
    mount.setTitle(null);
    assert.equal(mount.snapshot().title, null, 'a live title can be cleared');
    mount.setTitle('Questions');
    mount.end();
    mount.begin({ init: INIT, title: null, origin: 'local' });
    assert.equal(mount.snapshot().title, null, 'the next broadcast starts without the old title');
  });

  it('prefers the title the source itself names (Ogg tags) over one set before', () => {
    const { mount } = makeMount();
    mount.setTitle('from the page');
    mount.begin({ init: INIT, title: 'from the source', origin: 'local' });
    assert.equal(mount.snapshot().title, 'from the source');
  });
});

describe('Mount Ogg output with oggFlushMs', () => {
  const FLUSH = 250;
  const OGG_INIT = new Uint8Array(8).fill(0xdd);
  beforeEach(() => mock.timers.enable({ apis: ['setTimeout'] }));
  afterEach(() => mock.timers.reset());

  function oggMount(burstBytes = 1024): Harness {
    const h = makeMount(burstBytes, FLUSH);
    h.mount.begin({ init: INIT, title: null, origin: 'local' });
    h.mount.setInit('ogg', OGG_INIT);
    return h;
  }

  /** The tags of every chunk a sink got, splitting gathered writes back into 100-byte chunks. */
  function chunkTags(sink: FakeSink): number[] {
    return sink.writes.flatMap((w) =>
      w[0] === 0xdd ? [0xdd] : Array.from({ length: w.byteLength / 100 }, (_, i) => w[i * 100] ?? -1),
    );
  }

  it('gathers pages for flushMs and writes them to every sink as one shared buffer', () => {
    const { mount } = oggMount();
    const a = new FakeSink();
    const b = new FakeSink();
    mount.publish(chunk(1, true), 'ogg');
    assert.ok(mount.attach(a, 'ogg'));
    assert.ok(mount.attach(b, 'ogg'));
    mount.publish(chunk(2, true), 'ogg');
    mount.publish(chunk(3, true), 'ogg');
    assert.equal(a.writes.length, 1, 'nothing but the init before the flush');
    mock.timers.tick(FLUSH - 1);
    assert.equal(a.writes.length, 1);
    mock.timers.tick(1);
    assert.equal(a.writes.length, 2, 'one write for the three pending pages');
    assert.strictEqual(a.writes[1], b.writes[1], 'the same buffer for every sink');
    assert.deepEqual(chunkTags(a), [0xdd, 1, 2, 3]);
    assert.deepEqual(chunkTags(b), [0xdd, 1, 2, 3]);
  });

  it('leaves the WebM output unbatched', () => {
    const { mount } = oggMount();
    const sink = new FakeSink();
    mount.publish(chunk(1, true));
    assert.ok(mount.attach(sink));
    mount.publish(chunk(2, true));
    assert.deepEqual(sink.tags, [INIT_TAG, 1, 2]);
  });

  it('gives a late joiner the flushed part of the burst now and the pending part at the flush, once', () => {
    const { mount } = oggMount();
    const early = new FakeSink();
    mount.publish(chunk(1, true), 'ogg');
    assert.ok(mount.attach(early, 'ogg'));
    mount.publish(chunk(2, false), 'ogg');
    mock.timers.tick(FLUSH);
    mount.publish(chunk(3, false), 'ogg');
    const late = new FakeSink();
    assert.ok(mount.attach(late, 'ogg'));
    assert.deepEqual(chunkTags(late), [0xdd, 1, 2], 'init and the flushed part of the burst');
    mount.publish(chunk(4, false), 'ogg');
    mock.timers.tick(FLUSH);
    assert.deepEqual(chunkTags(late), [0xdd, 1, 2, 3, 4]);
    assert.deepEqual(chunkTags(early), [0xdd, 1, 2, 3, 4]);
  });

  it('never gives a joiner pending pages from before its starting sync point', () => {
    const { mount } = oggMount();
    const early = new FakeSink();
    mount.publish(chunk(1, true), 'ogg');
    assert.ok(mount.attach(early, 'ogg'));
    mount.publish(chunk(2, false), 'ogg');
    mount.publish(chunk(3, true), 'ogg');
    const late = new FakeSink();
    assert.ok(mount.attach(late, 'ogg'));
    mock.timers.tick(FLUSH);
    assert.deepEqual(chunkTags(late), [0xdd, 3]);
    assert.deepEqual(chunkTags(early), [0xdd, 1, 2, 3]);
  });

  it('starts a waiting sink at the next sync point, not with the pages pending before it', () => {
    const { mount } = oggMount(150);
    mount.publish(chunk(1, true), 'ogg');
    mount.publish(chunk(2, false), 'ogg'); // past the 150-byte burst cap: no burst to join with
    const waiter = new FakeSink();
    assert.ok(mount.attach(waiter, 'ogg'));
    mount.publish(chunk(3, false), 'ogg');
    mount.publish(chunk(4, true), 'ogg');
    mount.publish(chunk(5, false), 'ogg');
    mock.timers.tick(FLUSH);
    assert.deepEqual(chunkTags(waiter), [0xdd, 4, 5]);
  });

  it('writes what is pending before the broadcast ends', () => {
    const { mount } = oggMount();
    const sink = new FakeSink();
    mount.publish(chunk(1, true), 'ogg');
    assert.ok(mount.attach(sink, 'ogg'));
    mount.publish(chunk(2, true), 'ogg');
    mount.end();
    assert.deepEqual(chunkTags(sink), [0xdd, 1, 2]);
    assert.deepEqual(sink.ends, ['ended']);
    const writes = sink.writes.length;
    mock.timers.tick(FLUSH);
    assert.equal(sink.writes.length, writes, 'no write after the end');
  });

  it('writes at once when 64 KiB are pending, whatever the interval', () => {
    const { mount } = oggMount(256 * 1024);
    const sink = new FakeSink();
    mount.publish(chunk(1, true), 'ogg');
    assert.ok(mount.attach(sink, 'ogg'));
    mount.publish(chunk(2, true, 40 * 1024), 'ogg');
    assert.equal(sink.writes.length, 1);
    mount.publish(chunk(3, true, 30 * 1024), 'ogg');
    assert.equal(sink.writes.length, 2, 'flushed at 70 KiB pending');
    assert.equal(sink.writes[1]?.byteLength, 100 + 70 * 1024);
  });
});

describe('Mount media events and remote listeners', () => {
  it('reports every init and chunk as it is produced, after going live', () => {
    const events: MediaEvent[] = [];
    const changes: MountChange[] = [];
    const mount = new Mount({
      name: 'live',
      burstBytes: 1024,
      onChange: (_m, kind) => changes.push(kind),
      onMedia: (_m, e) => events.push(e),
    });
    mount.setInit('ogg', INIT);
    mount.publish(chunk(1, true));
    assert.deepEqual(events, [], 'nothing while offline');
    mount.begin({ init: INIT, title: null, origin: 'local' });
    const ogg = new Uint8Array([0x4f]);
    mount.setInit('ogg', ogg);
    const c = chunk(2, true);
    mount.publish(c, 'ogg');
    assert.deepEqual(events, [
      { kind: 'init', container: 'webm', bytes: INIT },
      { kind: 'init', container: 'ogg', bytes: ogg },
      { kind: 'chunk', container: 'ogg', chunk: c },
    ]);
    assert.equal(changes.at(0), 'state', 'the WebM init is reported before the state change');
  });

  it('counts other nodes’ listeners in the snapshot and the peak, not in its own limit', () => {
    const { mount, changes } = liveMount();
    mount.attach(new FakeSink());
    mount.setRemoteListeners(4);
    assert.equal(mount.listeners, 1);
    const snap = mount.snapshot();
    assert.equal(snap.listeners, 5);
    assert.equal(snap.localListeners, 1);
    assert.equal(snap.listenerPeak, 5);
    assert.equal(changes.filter((c) => c === 'listeners').length, 2);
    mount.setRemoteListeners(4);
    assert.equal(changes.filter((c) => c === 'listeners').length, 2, 'no change, no event');
    mount.end();
    assert.equal(mount.snapshot().listeners, 0, 'remote counts go with the broadcast');
  });
});
