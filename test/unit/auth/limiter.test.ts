import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AuthLimiter } from '../../../src/server/auth/limiter.js';

function limiter(maxTrackedAddresses = 100): { l: AuthLimiter; clock: { t: number } } {
  const clock = { t: 1_000_000 };
  return {
    l: new AuthLimiter({ maxFailures: 3, windowMs: 10_000, maxTrackedAddresses }, () => clock.t),
    clock,
  };
}

describe('AuthLimiter', () => {
  it('refuses an address after maxFailures within the window, with the seconds to wait', () => {
    const { l, clock } = limiter();
    l.fail('a');
    l.fail('a');
    assert.equal(l.check('a'), null);
    l.fail('a');
    const err = l.check('a');
    assert.equal(err?.code, 'AUTH_RATE_LIMITED');
    assert.equal(err?.status, 429);
    assert.equal(err?.extra.retryAfterSeconds, 10);
    clock.t += 4_000;
    assert.equal(l.check('a')?.extra.retryAfterSeconds, 6);
    assert.equal(l.check('b'), null, 'other addresses are not refused');
  });

  it('lets the address in again when the refusal has run out', () => {
    const { l, clock } = limiter();
    for (let i = 0; i < 3; i++) l.fail('a');
    clock.t += 10_001;
    assert.equal(l.check('a'), null);
  });

  it('forgets failures older than the window', () => {
    const { l, clock } = limiter();
    l.fail('a');
    l.fail('a');
    clock.t += 10_001;
    l.fail('a');
    assert.equal(l.check('a'), null);
  });

  it('keeps at most maxTrackedAddresses entries, forgetting the oldest', () => {
    const { l } = limiter(50);
    for (let i = 0; i < 1_000; i++) l.fail(`10.0.${i >> 8}.${i & 255}`);
    assert.equal(l.tracked, 50);
  });
});
