/**
 * Status in the packet stream and the status feed both channels share: a listener that asked gets
 * the status now, each change (counts coalesced over the audience of every channel), and one OFFLINE
 * frame, made once for everyone, just before its stream ends; one that leaves on its own gets none.
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it, mock } from 'node:test';
import { Hub } from '../../../src/server/hub/hub.js';
import type { Sink, SinkEndReason } from '../../../src/server/hub/types.js';
import { createLogger } from '../../../src/server/log.js';
import { PacketStatus } from '../../../src/server/outputs/packet-status.js';
import type { StatusChannel } from '../../../src/server/outputs/status-feed.js';
import { COALESCE_MS, coalesceMs, StatusFeed } from '../../../src/server/outputs/status-feed.js';
import type { StatusMessage } from '../../../src/shared/protocol.js';
import { PACKETS } from '../../../src/shared/protocol.js';

/** A listener's socket: what it was written, in order, and how it ended. */
class RecordingSink implements Sink {
  writes: Buffer[] = [];
  /** The objects written, as given (to tell a shared buffer from copies). */
  given: Uint8Array[] = [];
  ended: SinkEndReason | null = null;
  write(bytes: Uint8Array): boolean {
    assert.equal(this.ended, null, 'no write after the end');
    this.writes.push(Buffer.from(bytes));
    this.given.push(bytes);
    return true;
  }
  end(reason: SinkEndReason): void {
    this.ended = reason;
  }
  /** The status frames written, parsed; other writes must be packets. */
  statuses(): StatusMessage[] {
    const out: StatusMessage[] = [];
    for (const w of this.writes) {
      if (w.equals(HEADER) || w.readUInt16BE(6) !== 0) continue;
      assert.equal(w.readUInt16BE(0), w.length - PACKETS.frameHeaderBytes, 'one whole frame');
      assert.equal(w.readUInt32BE(2), 0, 'pts 0');
      out.push(JSON.parse(w.toString('utf8', PACKETS.frameHeaderBytes)) as StatusMessage);
    }
    return out;
  }
}

const HEADER = Buffer.from('OPK1\x01\x00\x00\x00', 'latin1');
/** One packet frame: 4 bytes of data, 960 samples. */
function packet(pts: number): { bytes: Buffer; syncPoint: boolean } {
  const b = Buffer.alloc(PACKETS.frameHeaderBytes + 4, 0xaa);
  b.writeUInt16BE(4, 0);
  b.writeUInt32BE(pts, 2);
  b.writeUInt16BE(960, 6);
  return { bytes: b, syncPoint: true };
}

describe('PacketStatus', () => {
  let hub: Hub;
  let feed: StatusFeed;
  let channel: PacketStatus;

  beforeEach(() => {
    mock.timers.enable({ apis: ['setTimeout'] });
    hub = new Hub({ burstBytes: 64 * 1024, log: createLogger('silent') });
    feed = new StatusFeed(hub);
    channel = new PacketStatus(hub, feed);
    const mount = hub.mount('room');
    mount.begin({ init: Buffer.alloc(4), title: 'Lesson', origin: 'local' });
    mount.setInit('packets', HEADER);
    mount.publish(packet(0), 'packets');
  });
  afterEach(() => {
    feed.close();
    hub.close();
    mock.timers.reset();
  });

  function join(): RecordingSink {
    const mount = hub.find('room');
    assert.ok(mount);
    const socket = new RecordingSink();
    const sink = channel.wrap('room', socket);
    assert.ok(mount.attach(sink, 'packets'));
    sink.start();
    return socket;
  }

  it('gives a joiner the header, the newest packet, then the status now (itself counted)', () => {
    const s = join();
    assert.deepEqual(s.writes[0], HEADER);
    assert.equal(s.writes[1]?.readUInt16BE(6), 960);
    const [first] = s.statuses();
    assert.equal(first?.state, 'live');
    assert.equal(first?.title, 'Lesson');
    assert.equal(first?.listeners, 1);
    assert.equal(channel.watchers('room'), 1);
  });

  it('sends a title change at once, counts after the coalescing window', () => {
    const a = join();
    hub.find('room')?.setTitle('Lesson 2');
    assert.equal(a.statuses().at(-1)?.title, 'Lesson 2');
    const before = a.statuses().length;
    join();
    assert.equal(a.statuses().length, before, 'a join is not sent at once');
    mock.timers.tick(coalesceMs(2));
    assert.equal(a.statuses().length, before + 1);
    assert.equal(a.statuses().at(-1)?.listeners, 2);
  });

  it('ends each stream with one OFFLINE frame, the same bytes for every listener', () => {
    const sockets = [join(), join(), join()];
    hub.find('room')?.end();
    const lasts = sockets.map((s) => s.given.at(-1));
    for (const s of sockets) {
      assert.equal(s.ended, 'ended');
      const last = s.statuses().at(-1);
      assert.equal(last?.state, 'offline');
      assert.equal(last?.title, null);
      assert.equal(last?.listeners, 0);
    }
    assert.ok(lasts[0] === lasts[1] && lasts[1] === lasts[2], 'made once');
    assert.equal(channel.watchers('room'), 0);
  });

  it('says nothing to a listener that leaves while the broadcast goes on, nor at shutdown', () => {
    const mount = hub.find('room');
    assert.ok(mount);
    const leaving = new RecordingSink();
    const sink = channel.wrap('room', leaving);
    assert.ok(mount.attach(sink, 'packets'));
    sink.start();
    const n = leaving.writes.length;
    mount.detach(sink, 'packets');
    sink.end('ended');
    assert.equal(leaving.writes.length, n);
    assert.equal(channel.watchers('room'), 0);

    const staying = join();
    const m = staying.writes.length;
    hub.close();
    assert.equal(staying.ended, 'shutdown');
    assert.equal(staying.writes.length, m, 'the server closing is not the broadcast ending');
  });

  it('coalesces over the audience of every channel', () => {
    const sent: string[] = [];
    const sockets: StatusChannel = {
      watchers: () => 1_000,
      send: (_mount, json) => sent.push(json.toString()),
    };
    feed.add(sockets);
    const a = join();
    const n = a.statuses().length;
    mock.timers.tick(COALESCE_MS + 1);
    assert.equal(a.statuses().length, n, 'the window is wider with 1,000 sockets watching');
    mock.timers.tick(coalesceMs(1_001) - COALESCE_MS);
    assert.equal(a.statuses().length, n + 1);
    assert.equal(sent.length, 1);
    assert.equal(JSON.parse(sent[0] as string).listeners, 1);
  });
});
