import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import { WebSocket } from 'ws';
import type { TestServer } from '../../tools/server.js';
import { readMetric, startTestServer } from '../../tools/server.js';
import { waitUntil } from '../../tools/wait.js';

/** Opens a status socket from `localAddress`; resolves with it, or with the refusal's status and JSON body. */
function connect(
  url: string,
  localAddress: string,
): Promise<{ ws: WebSocket } | { status: number; body: { error: { code: string; message: string } } }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { localAddress });
    ws.once('open', () => resolve({ ws }));
    ws.once('unexpected-response', (_req, res) => {
      let text = '';
      res.on('data', (b: Buffer) => {
        text += b.toString('utf8');
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) }));
    });
    ws.once('error', reject);
  });
}

function closeAndWait(ws: WebSocket): Promise<void> {
  return new Promise((resolve) => {
    ws.once('close', () => resolve());
    ws.close();
  });
}

function opened(r: Awaited<ReturnType<typeof connect>>): WebSocket {
  assert.ok('ws' in r, `refused: ${JSON.stringify(r)}`);
  return r.ws;
}

describe('status socket limits', () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer({ maxStatusSockets: 5, maxStatusSocketsPerAddress: 3 });
  });
  after(() => t.close());

  it('refuses a 4th socket from one address with 429, and the 6th in total with 503, each with a JSON error', async () => {
    const url = `${t.wsUrl}live`;
    const a = [
      await connect(url, '127.0.0.1'),
      await connect(url, '127.0.0.1'),
      await connect(url, '127.0.0.1'),
    ].map(opened);
    const perIp = await connect(url, '127.0.0.1');
    assert.ok('status' in perIp);
    assert.equal(perIp.status, 429);
    assert.equal(perIp.body.error.code, 'STATUS_ADDRESS_LIMIT');
    assert.match(perIp.body.error.message, /3 status sockets/);

    // Another address still gets in, up to the total.
    const b = [await connect(url, '127.0.0.2'), await connect(url, '127.0.0.2')].map(opened);
    const total = await connect(url, '127.0.0.3');
    assert.ok('status' in total);
    assert.equal(total.status, 503);
    assert.equal(total.body.error.code, 'STATUS_FULL');

    // The open ones are unharmed and still answer; a closed one frees its place at once.
    for (const ws of [...a, ...b]) assert.equal(ws.readyState, WebSocket.OPEN);
    const gone = new Promise((r) => a[0]?.once('close', r));
    a[0]?.close();
    await gone;
    await waitUntil(
      'the place freed',
      5_000,
      async () => (await readMetric(t.baseUrl, 'onair_status_connections')) === 4,
    );
    const again = opened(await connect(url, '127.0.0.1'));
    await Promise.all([...a.slice(1), ...b, again].map((ws) => closeAndWait(ws)));
  });

  it('frees the place of a refused or failed upgrade', async () => {
    const url = `${t.wsUrl}live`;
    // Upgrades without a key are answered 400 by ws; they hold no place afterwards.
    for (let i = 0; i < 5; i++) {
      const sock = net.connect(t.server.httpPort, '127.0.0.1');
      let text = '';
      sock.on('data', (b: Buffer) => {
        text += b.toString('latin1');
      });
      sock.write(
        'GET /ws?mount=live HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n\r\n',
      );
      await new Promise((r) => sock.on('close', r));
      assert.match(text, /^HTTP\/1\.1 400 /);
    }
    const three = [
      await connect(url, '127.0.0.1'),
      await connect(url, '127.0.0.1'),
      await connect(url, '127.0.0.1'),
    ].map(opened);
    await Promise.all(three.map((ws) => closeAndWait(ws)));
  });
});
