/** BufferTarget: the trough of the buffer, the margin it learns, and the backlog it gives up. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BufferTarget, CALM_MS, MIN_WINDOW_MS, STEP_MS } from '../../../src/listen/buffer-target.js';

const OPTS = { minMs: 30, startMs: 40, maxMs: 1_500 };

/**
 * Feeds a player that plays in real time and receives `chunkMs` of audio every `everyMs` (plus
 * `lateMs(i)` for burst i), from t = 0 for `forMs`; returns the target and the lowest level seen.
 */
function simulate(
  b: BufferTarget,
  opts: {
    everyMs: number;
    chunkMs: number;
    forMs: number;
    startLevelMs: number;
    lateMs?: (i: number) => number;
  },
): { minLevelMs: number } {
  let level = opts.startLevelMs;
  let last = 0;
  let minLevel = Number.POSITIVE_INFINITY;
  for (let i = 0, t = 0; t < opts.forMs; i++, t = i * opts.everyMs + (opts.lateMs?.(i) ?? 0)) {
    level -= t - last;
    last = t;
    minLevel = Math.min(minLevel, level);
    b.arrival(t, level);
    level += opts.chunkMs;
  }
  return { minLevelMs: minLevel };
}

describe('BufferTarget', () => {
  it('reports no trough until the history covers the window', () => {
    const b = new BufferTarget(OPTS);
    b.arrival(0, 100);
    b.arrival(100, 100);
    assert.equal(b.troughMs(100), null);
    assert.equal(b.excessMs(100), null);
  });

  it('takes the lowest level just before each burst over a window of several intervals', () => {
    const b = new BufferTarget(OPTS);
    // A source delivering 1 s of audio once a second, the buffer 60 ms deep just before each burst.
    simulate(b, { everyMs: 1_000, chunkMs: 1_000, forMs: 10_000, startLevelMs: 60 });
    assert.equal(b.intervalMs(), 1_000);
    assert.ok(b.windowMs() >= 3_000);
    assert.equal(b.troughMs(9_000), 60);
    // The margin is not the sawtooth: the 1 s between bursts is not counted as backlog.
    assert.equal(b.excessMs(9_000), 60 - b.targetMs());
  });

  it('groups arrivals closer than 15 ms into one burst', () => {
    const b = new BufferTarget(OPTS);
    for (let t = 0; t < 5_000; t += 100) {
      b.arrival(t, 50);
      b.arrival(t + 5, 70);
    }
    assert.equal(b.intervalMs(), 100);
    assert.equal(b.troughMs(4_905), 50);
  });

  it('grows the margin faster with each underrun in a row, never past the maximum', () => {
    const b = new BufferTarget(OPTS);
    b.underrun(1_000);
    assert.equal(b.targetMs(), 40 + STEP_MS);
    b.underrun(2_000);
    assert.equal(b.targetMs(), 40 + STEP_MS + 2 * STEP_MS);
    for (let i = 0; i < 100; i++) b.underrun(3_000 + i);
    assert.equal(b.targetMs(), 1_500);
    assert.equal(b.underruns, 102);
  });

  it('shrinks the margin slowly when calm', () => {
    const b = new BufferTarget(OPTS);
    b.underrun(0);
    b.underrun(1);
    const grown = b.targetMs();
    for (let t = 100; t <= 3 * CALM_MS + 100; t += 100) b.arrival(t, 200);
    assert.equal(b.targetMs(), grown - 3 * 5);
  });

  it('settles the trough on the latest burst: a late one sets the latency', () => {
    const b = new BufferTarget(OPTS);
    // Every other burst 80 ms late: the buffer before it is 80 ms lower than before the others.
    simulate(b, {
      everyMs: 100,
      chunkMs: 100,
      forMs: 6_000,
      startLevelMs: 200,
      lateMs: (i) => (i % 2 ? 80 : 0),
    });
    assert.equal(b.troughMs(5_980), 120);
  });

  it('shows a stall backlog as excess, and forgets it once dropped', () => {
    const b = new BufferTarget(OPTS);
    // After a stall the buffer holds 400 ms more than before it, at every burst.
    for (let t = 0; t < MIN_WINDOW_MS + 1_000; t += 100) b.arrival(t, 440);
    const excess = b.excessMs(MIN_WINDOW_MS + 900);
    assert.equal(excess, 400);
    b.dropped(400);
    assert.equal(b.excessMs(MIN_WINDOW_MS + 900), 0);
  });

  it('ignores levels reported while not playing (Infinity)', () => {
    const b = new BufferTarget(OPTS);
    for (let t = 0; t < 4_000; t += 100) b.arrival(t, t < 2_000 ? Number.POSITIVE_INFINITY : 90);
    assert.equal(b.troughMs(3_900), 90);
  });
});
