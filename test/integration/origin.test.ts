import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { WebSocket } from 'ws';
import { paths } from '../../src/shared/protocol.js';
import type { TestServer } from '../../tools/server.js';
import { startTestServer } from '../../tools/server.js';

function upgradeStatus(url: string, origin?: string): Promise<number> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, origin ? { origin } : {});
    ws.on('open', () => {
      ws.close();
      resolve(101);
    });
    ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
    ws.on('error', () => resolve(-1));
  });
}

async function postSession(
  t: TestServer,
  origin?: string,
): Promise<{ status: number; body: string; cors: string | null }> {
  const headers: Record<string, string> = { authorization: `Bearer ${t.streamKey}` };
  if (origin) headers.origin = origin;
  const res = await fetch(`${t.baseUrl}${paths.ingestSession('live')}`, { method: 'POST', headers });
  const body = await res.text();
  if (res.status === 201) {
    const { sessionId } = JSON.parse(body) as { sessionId: string };
    await fetch(`${t.baseUrl}${paths.ingestSession('live')}`, {
      method: 'DELETE',
      headers: { 'x-onair-session': sessionId },
    });
  }
  return { status: res.status, body, cors: res.headers.get('access-control-allow-origin') };
}

describe('Origin checks', () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer({ allowedOrigins: ['https://school.example'] });
  });
  after(() => t.close());

  it('lets our own pages, allowed sites and non-browser tools upload, and refuses other sites with 403', async () => {
    const own = `http://127.0.0.1:${t.server.httpPort}`;
    assert.equal((await postSession(t, own)).status, 201);
    assert.equal((await postSession(t)).status, 201, 'no Origin: a tool, not a page');
    assert.equal((await postSession(t, 'https://school.example')).status, 201);
    const evil = await postSession(t, 'https://evil.example');
    assert.equal(evil.status, 403);
    assert.match(evil.body, /ORIGIN_NOT_ALLOWED/);
    assert.equal(evil.cors, null, 'ingest sends no CORS headers');
    assert.equal((await postSession(t, 'null')).status, 403);
    assert.equal(
      (await postSession(t, `http://127.0.0.1:${t.server.httpPort + 1}`)).status,
      403,
      'another port',
    );
  });

  it('refuses the status socket to other sites with 403 and opens it for our own pages', async () => {
    const url = `${t.wsUrl}live`;
    assert.equal(await upgradeStatus(url, `http://127.0.0.1:${t.server.httpPort}`), 101);
    assert.equal(await upgradeStatus(url), 101);
    assert.equal(await upgradeStatus(url, 'https://school.example'), 101);
    assert.equal(await upgradeStatus(url, 'https://evil.example'), 403);
  });

  it('keeps listening open to every site (CORS *)', async () => {
    const res = await fetch(`${t.baseUrl}/live.webm`, { headers: { origin: 'https://evil.example' } });
    assert.equal(res.status, 404); // offline, but answered, with CORS open
    assert.equal(res.headers.get('access-control-allow-origin'), '*');
  });
});
