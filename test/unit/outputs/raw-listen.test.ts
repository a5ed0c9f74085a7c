import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import { SocketSink } from '../../../src/server/outputs/raw-listen.js';

describe('SocketSink', () => {
  let server: net.Server;
  const peers: net.Socket[] = [];
  before(async () => {
    server = net.createServer((s) => {
      s.pause(); // a listener that reads nothing
      peers.push(s);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  });
  after(async () => {
    for (const p of peers) p.destroy();
    await new Promise((r) => server.close(r));
  });

  /** A connected socket, once the server has its end of it too (the last of `peers`). */
  async function connect(): Promise<net.Socket> {
    const before = peers.length;
    const s = await new Promise<net.Socket>((resolve) => {
      const c = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1', () => resolve(c));
      c.on('error', () => {});
    });
    while (peers.length === before) await new Promise((r) => setTimeout(r, 5));
    return s;
  }

  it('takes bytes while under its budget and refuses them (slow) once over it', async () => {
    const socket = await connect();
    const sink = new SocketSink(socket, 64 * 1024);
    const chunk = new Uint8Array(16 * 1024);
    assert.equal(sink.write(chunk), true);
    let writes = 1;
    // The peer reads nothing: once the kernel buffers are full, the socket's own queue grows.
    while (sink.write(chunk)) {
      writes++;
      assert.ok(writes < 10_000, 'never over budget');
    }
    assert.ok(socket.writableLength > 64 * 1024);
    socket.destroy();
  });

  it('does not count a listener that has left as slow: a destroyed socket takes bytes and writes nothing', async () => {
    const socket = await connect();
    const sink = new SocketSink(socket, 64 * 1024);
    socket.destroy();
    assert.equal(sink.write(new Uint8Array(1024)), true);
    assert.equal(socket.writableLength, 0);
  });

  it('does not count a listener whose side ended the connection as slow', async () => {
    const socket = await connect();
    const sink = new SocketSink(socket, 64 * 1024);
    const ended = new Promise((r) => socket.once('end', r));
    (peers[peers.length - 1] as net.Socket).end();
    await ended; // (allowHalfOpen is off: the socket ends its side too, and is no longer writable)
    assert.equal(socket.writable, false);
    assert.equal(sink.write(new Uint8Array(1024)), true);
    // Nor on the next chunk (writing after the end would fail and destroy the socket meanwhile).
    await new Promise((r) => setImmediate(r));
    assert.equal(sink.write(new Uint8Array(1024)), true);
  });
});
