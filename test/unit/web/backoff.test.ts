/** Backoff: the one capped exponential wait both pages use. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Backoff } from '../../../src/web/backoff.js';

describe('Backoff', () => {
  it('starts at minMs and doubles up to maxMs', () => {
    const b = new Backoff(250, 4_000);
    assert.deepEqual(
      Array.from({ length: 7 }, () => b.next()),
      [250, 500, 1_000, 2_000, 4_000, 4_000, 4_000],
    );
  });

  it('starts again at minMs after a reset', () => {
    const b = new Backoff(250, 5_000);
    b.next();
    b.next();
    b.reset();
    assert.equal(b.next(), 250);
  });
});
