import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { STALE_MS, sumOthers } from '../../../src/server/cluster/listener-counts.js';
import { redactRedisUrl } from '../../../src/server/cluster/redis.js';

describe('sumOthers', () => {
  it('adds the other nodes’ fresh counts and names stale or malformed ones', () => {
    const now = 1_000_000;
    const hash = {
      me: `50:${now}`,
      b: `3:${now - 100}`,
      c: `4:${now - STALE_MS + 1}`,
      dead: `7:${now - STALE_MS - 1}`,
      junk: 'lots',
    };
    assert.deepEqual(sumOthers(hash, 'me', now), { sum: 7, stale: ['dead', 'junk'] });
    assert.deepEqual(sumOthers({}, 'me', now), { sum: 0, stale: [] });
  });
});

describe('redactRedisUrl', () => {
  it('hides the password and user, keeps host, port and db', () => {
    const out = redactRedisUrl('rediss://admin:p%40ss-w0rd@cache.example:6380/2');
    assert.ok(!out.includes('p%40ss') && !out.includes('admin'), out);
    assert.ok(out.includes('cache.example:6380/2'), out);
    assert.equal(redactRedisUrl('redis://127.0.0.1:6379'), 'redis://127.0.0.1:6379');
    assert.ok(!redactRedisUrl('not a url :secret@').includes('secret'));
  });
});
