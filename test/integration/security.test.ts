/**
 * Security defaults: page headers, CORS open for listening and closed for ingest and admin, HTTPS
 * with the operator's own certificate, and secrets that never reach the log.
 */
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import selfsigned from 'selfsigned';
import { paths } from '../../src/shared/protocol.js';
import type { TestServer } from '../../tools/server.js';
import { startTestServer, TEST_ADMIN_TOKEN } from '../../tools/server.js';
import { loadFixture, postChunk, startSession } from '../helpers/clients.js';

const { chunks: CHUNKS } = loadFixture();

describe('security defaults', () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer();
  });
  after(() => t.close());

  for (const page of ['/', '/listen/live', '/broadcast']) {
    it(`sends CSP, nosniff and no-referrer with ${page}`, async () => {
      const res = await fetch(`${t.baseUrl}${page}`);
      assert.equal(res.status, 200);
      const csp = res.headers.get('content-security-policy') ?? '';
      assert.match(csp, /default-src 'self'/);
      assert.match(csp, /script-src 'self'(;|$)/, 'no inline or foreign scripts');
      assert.match(csp, /object-src 'none'/);
      assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
      assert.equal(res.headers.get('referrer-policy'), 'no-referrer');
      await res.arrayBuffer();
    });
  }

  it('opens CORS on the listening endpoints so microsites can embed the player', async () => {
    const { session } = await startSession(t.baseUrl, 'cors', t.streamKey);
    assert.ok(session);
    assert.equal((await postChunk(t.baseUrl, 'cors', session.sessionId, 0, CHUNKS[0] as Buffer)).status, 200);
    for (const path of ['/cors.webm', '/cors.ogg', '/cors']) {
      const ac = new AbortController();
      const res = await fetch(`${t.baseUrl}${path}`, {
        headers: { origin: 'https://school.example' },
        signal: ac.signal,
      });
      assert.equal(res.status, 200, path);
      assert.equal(res.headers.get('access-control-allow-origin'), '*', path);
      ac.abort();
    }
    const status = await fetch(`${t.baseUrl}/status-json.xsl`, {
      headers: { origin: 'https://school.example' },
    });
    assert.equal(status.headers.get('access-control-allow-origin'), '*');
    await status.arrayBuffer();
  });

  it('keeps CORS closed on ingest and admin: no allow-origin, and other sites get 403', async () => {
    const preflight = await fetch(`${t.baseUrl}${paths.ingestSession('live')}`, {
      method: 'OPTIONS',
      headers: {
        origin: 'https://evil.example',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization',
      },
    });
    assert.equal(preflight.headers.get('access-control-allow-origin'), null);
    await preflight.arrayBuffer();
    const post = await fetch(`${t.baseUrl}${paths.ingestSession('live')}`, {
      method: 'POST',
      headers: { origin: 'https://evil.example', authorization: `Bearer ${t.streamKey}` },
    });
    assert.equal(post.status, 403);
    assert.equal(post.headers.get('access-control-allow-origin'), null);
    await post.arrayBuffer();
    const admin = await fetch(`${t.baseUrl}${paths.adminRecordings}`, {
      headers: { origin: 'https://evil.example', authorization: `Bearer ${TEST_ADMIN_TOKEN}` },
    });
    assert.equal(admin.headers.get('access-control-allow-origin'), null);
    await admin.arrayBuffer();
  });

  it('never logs the stream key or the admin token, right or wrong', async () => {
    await startSession(t.baseUrl, 'logcheck', 'wrong-key-that-is-secret-too');
    await fetch(`${t.baseUrl}${paths.adminRecordings}`, {
      headers: { authorization: 'Bearer wrong-token-secret' },
    });
    const text = JSON.stringify(t.logs);
    for (const secret of [
      t.streamKey,
      TEST_ADMIN_TOKEN,
      'wrong-key-that-is-secret-too',
      'wrong-token-secret',
    ]) {
      assert.equal(text.includes(secret), false, `a secret reached the log`);
    }
  });
});

describe('HTTPS with the operator’s certificate', () => {
  it('serves HTTPS (HTTP/1.1 and the pages) with the given certificate and key', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'onair-cert-'));
    const pems = await selfsigned.generate([{ name: 'commonName', value: 'radio.school.example' }], {
      keyType: 'ec',
      curve: 'P-256',
      algorithm: 'sha256',
      extensions: [{ name: 'subjectAltName', altNames: [{ type: 7 as const, ip: '127.0.0.1' }] }],
    });
    writeFileSync(join(dir, 'cert.pem'), pems.cert);
    writeFileSync(join(dir, 'key.pem'), pems.private, { mode: 0o600 });
    const t = await startTestServer({ tlsCertFile: join(dir, 'cert.pem'), tlsKeyFile: join(dir, 'key.pem') });
    try {
      const port = Number(new URL(t.httpsUrl).port);
      const { status, fingerprint } = await new Promise<{ status: number; fingerprint: string }>(
        (resolve, reject) => {
          https
            .get({ host: '127.0.0.1', port, path: '/api/info', ca: pems.cert }, (res) => {
              const cert = (res.socket as import('node:tls').TLSSocket).getPeerX509Certificate();
              res.resume();
              resolve({ status: res.statusCode ?? 0, fingerprint: cert?.fingerprint256 ?? '' });
            })
            .on('error', reject);
        },
      );
      assert.equal(status, 200, 'trusted with the operator’s CA: no certificate error');
      assert.equal(fingerprint, new X509Certificate(pems.cert).fingerprint256);
    } finally {
      await t.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
