/** ProgressWatchdog: silent players are named, nudged, restarted; playing and paused ones are left alone. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  type ProgressSample,
  ProgressWatchdog,
  WATCHDOG_DEFAULTS,
} from '../../../src/listen/progress-watchdog.js';

function sample(over: Partial<ProgressSample>): ProgressSample {
  return { nowMs: 0, mediaTimeS: 0, paused: false, aheadS: 0.2, lastBytesMs: 0, bytes: 0, ...over };
}

describe('ProgressWatchdog', () => {
  it('says playing while the audio time advances', () => {
    const w = new ProgressWatchdog();
    for (let t = 0; t < 5_000; t += 250) {
      assert.deepEqual(w.check(sample({ nowMs: t, mediaTimeS: t / 1000, lastBytesMs: t })), {
        kind: 'playing',
        resumed: false,
      });
    }
  });

  it('leaves a paused player alone', () => {
    const w = new ProgressWatchdog();
    for (let t = 0; t < 5_000; t += 250) {
      assert.equal(w.check(sample({ nowMs: t, paused: true, lastBytesMs: t })).kind, 'idle');
    }
  });

  it('says catching up while starved with bytes coming, then resumed', () => {
    const w = new ProgressWatchdog();
    w.check(sample({ nowMs: 0, mediaTimeS: 1 }));
    // Starved: nothing held, a few bytes arriving (less than half a second of audio).
    const v = w.check(sample({ nowMs: 800, mediaTimeS: 1, aheadS: 0, lastBytesMs: 700, bytes: 100 }));
    assert.deepEqual(v, { kind: 'silent', reason: 'catching-up' });
    const later = w.check(sample({ nowMs: 3_000, mediaTimeS: 1, aheadS: 0, lastBytesMs: 2_900, bytes: 200 }));
    assert.deepEqual(later, { kind: 'silent', reason: 'catching-up' });
    assert.deepEqual(w.check(sample({ nowMs: 3_250, mediaTimeS: 1.2, lastBytesMs: 3_200 })), {
      kind: 'playing',
      resumed: true,
    });
  });

  it('says reconnecting when no bytes come, and restarts when none come for too long', () => {
    const w = new ProgressWatchdog();
    w.check(sample({ nowMs: 0, mediaTimeS: 1 }));
    assert.deepEqual(w.check(sample({ nowMs: 1_500, mediaTimeS: 1, aheadS: 0, lastBytesMs: 0 })), {
      kind: 'silent',
      reason: 'reconnecting',
    });
    assert.equal(
      w.check(sample({ nowMs: WATCHDOG_DEFAULTS.deadMs + 1, mediaTimeS: 1, lastBytesMs: 0 })).kind,
      'restart',
    );
  });

  it('nudges a player that holds audio but does not play it, then restarts it', () => {
    const w = new ProgressWatchdog();
    w.check(sample({ nowMs: 0, mediaTimeS: 1 }));
    assert.equal(w.check(sample({ nowMs: 750, mediaTimeS: 1, aheadS: 1, lastBytesMs: 700 })).kind, 'nudge');
    assert.equal(
      w.check(sample({ nowMs: 1_000, mediaTimeS: 1, aheadS: 1, lastBytesMs: 950 })).kind,
      'silent',
    );
    const v = w.check(sample({ nowMs: 1_700, mediaTimeS: 1, aheadS: 1, lastBytesMs: 1_650 }));
    assert.equal(v.kind, 'restart');
    assert.match(v.kind === 'restart' ? v.why : '', /1\.00 s buffered/);
  });

  it('nudges a player holding audio after 300 ms, before it tells the listener anything', () => {
    const w = new ProgressWatchdog();
    w.check(sample({ nowMs: 0, mediaTimeS: 1 }));
    assert.equal(w.check(sample({ nowMs: 250, mediaTimeS: 1, aheadS: 0.6, lastBytesMs: 250 })).kind, 'idle');
    assert.deepEqual(w.check(sample({ nowMs: 500, mediaTimeS: 1, aheadS: 0.6, lastBytesMs: 500 })), {
      kind: 'nudge',
      reason: 'catching-up',
    });
    assert.deepEqual(w.check(sample({ nowMs: 750, mediaTimeS: 1.2, lastBytesMs: 750 })), {
      kind: 'playing',
      resumed: true,
    });
  });

  it('restarts a player whose bytes arrive but never become audio', () => {
    const w = new ProgressWatchdog();
    w.check(sample({ nowMs: 0, mediaTimeS: 1, bytes: 1_000 }));
    const v = w.check(
      sample({ nowMs: 1_700, mediaTimeS: 1, aheadS: 0.01, lastBytesMs: 1_650, bytes: 20_000 }),
    );
    assert.equal(v.kind, 'restart');
    assert.match(v.kind === 'restart' ? v.why : '', /19000 bytes arrived/);
  });
});
