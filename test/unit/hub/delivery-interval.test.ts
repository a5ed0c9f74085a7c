/** DeliveryInterval: the source's delivery interval, announced only when it changes. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CHANGE_FRACTION, DeliveryInterval, MIN_GAPS } from '../../../src/server/hub/delivery-interval.js';

describe('DeliveryInterval', () => {
  it('is unknown until MIN_GAPS gaps, then announces the median rounded to 10 ms', () => {
    const d = new DeliveryInterval();
    assert.equal(d.push(0), false);
    for (let i = 1; i < MIN_GAPS; i++) assert.equal(d.push(i * 1_003), false);
    assert.equal(d.ms, null);
    assert.equal(d.push(MIN_GAPS * 1_003), true);
    assert.equal(d.ms, 1_000);
  });

  it('stays quiet while the rhythm only jitters, and announces a real change', () => {
    const d = new DeliveryInterval();
    let t = 0;
    let announced = 0;
    for (let i = 0; i < 40; i++) {
      t += i % 2 ? 57 : 63;
      if (d.push(t)) announced++;
    }
    assert.equal(announced, 1, 'one announcement for a steady 60 ms source');
    assert.equal(d.ms, 60);
    // The source switches to one page a second: announced once the median moves past the fraction.
    let changedAt = -1;
    for (let i = 0; i < 16 && changedAt < 0; i++) {
      t += 1_000;
      if (d.push(t)) changedAt = i;
    }
    assert.ok(changedAt >= 0 && changedAt < 16, `changed after ${changedAt + 1} pages`);
    assert.ok((d.ms ?? 0) > 60 * (1 + CHANGE_FRACTION));
  });

  it('forgets everything on reset', () => {
    const d = new DeliveryInterval();
    for (let t = 0; t < 1_000; t += 100) d.push(t);
    assert.equal(d.ms, 100);
    d.reset();
    assert.equal(d.ms, null);
    assert.equal(d.push(5_000), false);
  });
});
