import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import type { AuthRule } from '../../../src/server/auth/gate.js';
import { authorize } from '../../../src/server/auth/gate.js';
import { AuthLimiter } from '../../../src/server/auth/limiter.js';
import { createLogger } from '../../../src/server/log.js';

function basic(userPass: string): string {
  return `Basic ${Buffer.from(userPass, 'utf8').toString('base64')}`;
}

function capture(): { log: ReturnType<typeof createLogger>; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  });
  return { log: createLogger('info', sink), lines };
}

const rule: AuthRule = {
  accepts: (creds) => creds?.scheme === 'basic' && creds.user === 'source' && creds.password === 'right',
  code: 'AUTH_BAD_KEY',
  message: 'wrong key',
  challenge: 'Basic realm="t"',
  logMessage: 'rejected',
};

function limiter(): AuthLimiter {
  return new AuthLimiter({ maxFailures: 2, windowMs: 60_000, maxTrackedAddresses: 10 });
}

describe('authorize', () => {
  it('lets right credentials through without counting or logging', async () => {
    const { log, lines } = capture();
    const l = limiter();
    const ok = authorize(l, { ip: 'a', authorization: basic('source:right'), log }, rule);
    assert.equal(ok, null);
    assert.equal(l.tracked, 0);
    await new Promise((r) => setImmediate(r));
    assert.equal(lines.length, 0);
  });

  it("answers a wrong credential with the rule's 401 and challenge, counts it and logs it once", async () => {
    const { log, lines } = capture();
    const l = limiter();
    const err = authorize(
      l,
      { ip: 'a', authorization: basic('source:nope'), log, fields: { mount: 'm' } },
      rule,
    );
    assert.equal(err?.code, 'AUTH_BAD_KEY');
    assert.equal(err?.status, 401);
    assert.equal(err?.message, 'wrong key');
    assert.deepEqual(err?.headers, { 'www-authenticate': 'Basic realm="t"' });
    assert.equal(l.tracked, 1);
    await new Promise((r) => setImmediate(r));
    assert.equal(lines.length, 1);
    assert.equal(lines[0]?.msg, 'rejected');
    assert.equal(lines[0]?.mount, 'm');
    assert.equal(lines[0]?.ip, 'a');
    assert.ok(!JSON.stringify(lines).includes('nope'), 'the wrong key is not logged');
  });

  it('sends no challenge when the rule has none, and refuses a missing header', () => {
    const { log } = capture();
    const { challenge: _, ...noChallenge } = rule;
    const err = authorize(limiter(), { ip: 'a', authorization: undefined, log }, noChallenge);
    assert.equal(err?.code, 'AUTH_BAD_KEY');
    assert.deepEqual(err?.headers, {});
  });

  it('challenges a request without credentials without counting or logging it as a wrong key', async () => {
    const { log, lines } = capture();
    const l = limiter();
    for (let i = 0; i < 5; i++) {
      for (const authorization of [undefined, '', '  ']) {
        const err = authorize(l, { ip: 'a', authorization, log }, rule);
        assert.equal(err?.code, 'AUTH_BAD_KEY');
        assert.deepEqual(err?.headers, { 'www-authenticate': 'Basic realm="t"' });
      }
    }
    assert.equal(l.tracked, 0);
    assert.equal(authorize(l, { ip: 'a', authorization: basic('source:right'), log }, rule), null);
    await new Promise((r) => setImmediate(r));
    assert.equal(lines.length, 0, 'nothing at info level');
  });

  it('still counts a malformed or wrong header, which is a guess', () => {
    const { log } = capture();
    const l = limiter();
    authorize(l, { ip: 'a', authorization: 'Basic !!!', log }, rule);
    authorize(l, { ip: 'a', authorization: basic('source:wrong'), log }, rule);
    assert.equal(
      authorize(l, { ip: 'a', authorization: basic('source:right'), log }, rule)?.code,
      'AUTH_RATE_LIMITED',
    );
  });

  it('refuses an address with too many wrong credentials with 429, even with the right ones', () => {
    const { log } = capture();
    const l = limiter();
    authorize(l, { ip: 'a', authorization: 'Bearer x', log }, rule);
    authorize(l, { ip: 'a', authorization: 'Bearer y', log }, rule);
    const err = authorize(l, { ip: 'a', authorization: basic('source:right'), log }, rule);
    assert.equal(err?.code, 'AUTH_RATE_LIMITED');
    assert.equal(err?.status, 429);
    assert.equal(err?.extra.retryAfterSeconds, 60);
    assert.equal(authorize(l, { ip: 'b', authorization: basic('source:right'), log }, rule), null);
  });
});
