/** The broadcaster page's helpers on the server: key check, title, server info, and the embeddable player page. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { KeyCheck, ServerInfo } from '../../src/shared/protocol.js';
import { MAX_TITLE_CHARS, paths, SESSION_HEADER } from '../../src/shared/protocol.js';
import type { TestServer } from '../../tools/server.js';
import { startTestServer } from '../../tools/server.js';
import { loadFixture, postChunk, startSession, watchStatus } from '../helpers/clients.js';
import { assertErrorResponse } from '../helpers/errors.js';

const { chunks: CHUNKS } = loadFixture();

describe('host API', () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer();
  });
  after(() => t.close());

  const check = (key: string): Promise<Response> =>
    fetch(`${t.baseUrl}${paths.ingestCheck('live')}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}` },
    });

  it('checks a stream key without claiming the mount', async () => {
    const ok = await check(t.streamKey);
    assert.equal(ok.status, 200);
    assert.deepEqual((await ok.json()) as KeyCheck, { mount: 'live', live: false });
    await assertErrorResponse(await check('wrong'), 'AUTH_BAD_KEY');
    const { session } = await startSession(t.baseUrl, 'live', t.streamKey);
    assert.ok(session, 'the check claimed nothing: the mount is still free');
    assert.deepEqual((await (await check(t.streamKey)).json()) as KeyCheck, { mount: 'live', live: true });
  });

  it('sets the title listeners see, for the session holder only, within MAX_TITLE_CHARS', async () => {
    const status = await watchStatus(`${t.wsUrl}titled`);
    const { session } = await startSession(t.baseUrl, 'titled', t.streamKey);
    assert.ok(session);
    const send = (
      body: unknown,
      sessionId = session.sessionId,
      type = 'application/json',
    ): Promise<Response> =>
      fetch(`${t.baseUrl}${paths.ingestTitle('titled')}`, {
        method: 'POST',
        headers: { 'content-type': type, [SESSION_HEADER]: sessionId },
        body: typeof body === 'string' ? body : JSON.stringify(body),
      });
    assert.equal((await send({ title: 'Year 9 assembly' })).status, 204);
    assert.equal(
      (await postChunk(t.baseUrl, 'titled', session.sessionId, 0, CHUNKS[0] as Buffer)).status,
      200,
    );
    await status.waitFor((m) => m.state === 'live' && m.title === 'Year 9 assembly');
    assert.equal((await send({ title: 'Questions' })).status, 204);
    await status.waitFor((m) => m.title === 'Questions');
    await assertErrorResponse(await send({ title: 'x' }, 'not-the-session'), 'AUTH_BAD_SESSION');
    await assertErrorResponse(await send({ title: 'x'.repeat(MAX_TITLE_CHARS + 1) }), 'BAD_REQUEST');
    await assertErrorResponse(await send({ title: 42 }), 'BAD_REQUEST');
    await assertErrorResponse(await send('{"title": '), 'BAD_REQUEST');
    await assertErrorResponse(await send('title=x', session.sessionId, 'text/plain'), 'BAD_REQUEST');
    status.close();
  });

  it('tells pages its addresses: none on the LAN when bound to loopback', async () => {
    const info = (await (await fetch(`${t.baseUrl}${paths.info}`)).json()) as ServerInfo;
    assert.deepEqual(info.lanAddresses, []);
    assert.equal(info.httpPort, t.server.httpPort);
  });

  it('serves the embeddable player that any site may frame; the other pages only frame themselves', async () => {
    const embed = await fetch(`${t.baseUrl}${paths.embedPage('music')}`);
    assert.equal(embed.status, 200);
    assert.match(embed.headers.get('content-security-policy') ?? '', /frame-ancestors \*/);
    assert.match(await embed.text(), /<body class="embed">/);
    const page = await fetch(`${t.baseUrl}/listen/music`);
    assert.match(page.headers.get('content-security-policy') ?? '', /frame-ancestors 'self'/);
    await page.arrayBuffer();
    const bad = await fetch(`${t.baseUrl}/embed/NOT%20valid`);
    assert.equal(bad.status, 404);
    await bad.arrayBuffer();
  });
});
