import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { describe, it } from 'node:test';
import { ApiError } from '../../../src/server/errors.js';
import { rawHead, replyError } from '../../../src/server/http/raw-reply.js';

/** Everything written to a stream until it ends, and whether it was destroyed after. */
function socket(): { s: PassThrough; text: () => Promise<string> } {
  const s = new PassThrough();
  let out = '';
  s.on('data', (b: Buffer) => {
    out += b.toString('latin1');
  });
  const done = new Promise<string>((resolve) => s.once('close', () => resolve(out)));
  return { s, text: () => done };
}

describe('rawHead', () => {
  it('writes the status line, the headers and Connection: close', () => {
    assert.equal(
      rawHead(200, { 'content-type': 'audio/ogg', 'icy-name': 'Radio' }, '1.1'),
      'HTTP/1.1 200 OK\r\nContent-Type: audio/ogg\r\nicy-name: Radio\r\nConnection: close\r\n\r\n',
    );
    assert.equal(
      rawHead(431, {}, '1.0'),
      'HTTP/1.0 431 Request Header Fields Too Large\r\nConnection: close\r\n\r\n',
    );
  });

  it("answers 401 with Icecast's reason phrase", () => {
    assert.match(rawHead(401, {}, '1.0'), /^HTTP\/1\.0 401 Authorization Required\r\n/);
  });
});

describe('replyError', () => {
  it("writes the error's status, headers and JSON body, then destroys the socket", async () => {
    const { s, text } = socket();
    const err = new ApiError('AUTH_RATE_LIMITED', 'slow down', {
      extra: { retryAfterSeconds: 7 },
      headers: { 'www-authenticate': 'Basic realm="x"' },
    });
    replyError(s, err, { version: '1.0', headers: { 'access-control-allow-origin': '*' } });
    const out = await text();
    const body = JSON.stringify({
      error: { retryAfterSeconds: 7, code: 'AUTH_RATE_LIMITED', message: 'slow down' },
    });
    assert.match(out, /^HTTP\/1\.0 429 Too Many Requests\r\n/);
    assert.match(out, /\r\nRetry-After: 7\r\n/);
    assert.match(out, /\r\nWWW-Authenticate: Basic realm="x"\r\n/);
    assert.match(out, /\r\nContent-Type: application\/json; charset=utf-8\r\n/);
    assert.match(out, /\r\nCache-Control: no-store\r\n/);
    assert.match(out, /\r\nAccess-Control-Allow-Origin: \*\r\n/);
    assert.match(out, new RegExp(`\\r\\nContent-Length: ${Buffer.byteLength(body)}\\r\\n`));
    assert.ok(out.endsWith(`Connection: close\r\n\r\n${body}`));
    assert.equal(s.destroyed, true);
  });

  it('leaves the body out for a HEAD request but keeps its length', async () => {
    const { s, text } = socket();
    replyError(s, new ApiError('LISTEN_OFFLINE', 'offline'), { version: '1.1', headOnly: true });
    const out = await text();
    assert.match(out, /^HTTP\/1\.1 404 Not Found\r\n/);
    assert.match(out, /\r\nContent-Length: \d+\r\n/);
    assert.ok(out.endsWith('\r\n\r\n'));
  });
});
