/** BufferTarget: the relative delay of arrivals, the latency it asks for, and the backlog it gives up. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BufferTarget, MIN_HISTORY_MS } from '../../../src/listen/buffer-target.js';

const OPTS = { marginMs: 20, defaultIntervalMs: 60, maxMs: 1_500 };

/**
 * A player fed `chunkMs` of audio every `everyMs`, burst i arriving `lateMs(i)` late, from t = 0 for
 * `forMs`. It plays in real time from the moment BufferTarget lets it start, stops when it runs dry
 * and restarts when allowed; every 250 ms it drops an excess over 200 ms. Returns what it heard:
 * underruns, silence after it started, and its latency (now − playhead) at the end.
 */
function play(
  b: BufferTarget,
  opts: { everyMs: number; chunkMs: number; forMs: number; lateMs?: (i: number) => number },
): { underruns: number; silentMs: number; latencyMs: number } {
  const arrivals: number[] = [];
  for (let i = 0; i * opts.everyMs < opts.forMs; i++)
    arrivals.push(i * opts.everyMs + (opts.lateMs?.(i) ?? 0));
  // Order kept, as over TCP: a chunk never arrives before the one ahead of it.
  for (let i = 1; i < arrivals.length; i++)
    arrivals[i] = Math.max(arrivals[i] as number, arrivals[i - 1] as number);
  let written = 0;
  let read = 0;
  let playing = false;
  let started = false;
  let underruns = 0;
  let silentMs = 0;
  let next = 0;
  for (let t = 0; t < opts.forMs; t++) {
    while (next < arrivals.length && (arrivals[next] as number) <= t) {
      b.arrival(t, written);
      written += opts.chunkMs;
      next++;
    }
    if (!playing && written > read && b.canStart(t, read, written)) playing = started = true;
    if (t % 250 === 0 && playing) {
      const excess = b.excessMs(t, read, written);
      if (excess !== null && excess > 200) read = Math.min(read + excess, written - 20);
    }
    if (playing) {
      read += 1;
      if (read >= written) {
        read = written;
        playing = false;
        underruns++;
        b.underrun();
      }
    } else if (started) {
      silentMs++;
    }
  }
  return { underruns, silentMs, latencyMs: opts.forMs - read };
}

describe('BufferTarget', () => {
  it('asks for nothing before the first arrival, and gives no excess before the history spans enough', () => {
    const b = new BufferTarget(OPTS);
    assert.equal(b.requiredMs(0, 0), null);
    assert.equal(b.canStart(0, 0, 0), false);
    b.arrival(0, 0);
    b.arrival(100, 100);
    assert.equal(b.excessMs(100, 0, 200), null);
    assert.equal(b.excessMs(MIN_HISTORY_MS - 1, 0, 200), null);
  });

  it('plays a steady 20 ms source about one interval plus the margin behind', () => {
    const b = new BufferTarget(OPTS);
    const r = play(b, { everyMs: 20, chunkMs: 20, forMs: 20_000 });
    assert.equal(r.underruns, 0);
    assert.ok(r.latencyMs <= 20 + 20 + 20, `latency ${r.latencyMs} ms`);
    assert.equal(b.intervalMs(), 20);
  });

  it('covers a source bursting once a second from the first second when the server gives its interval', () => {
    const b = new BufferTarget(OPTS);
    b.setSourceInterval(1_000);
    const r = play(b, { everyMs: 1_000, chunkMs: 1_000, forMs: 30_000 });
    assert.equal(r.underruns, 0, `${r.silentMs} ms silent`);
    assert.ok(r.latencyMs <= 1_000 + 20 + 20, `latency ${r.latencyMs} ms`);
  });

  it('learns a bursty source by itself: one underrun at most, none after', () => {
    const b = new BufferTarget(OPTS);
    const r = play(b, { everyMs: 1_000, chunkMs: 1_000, forMs: 30_000 });
    assert.ok(r.underruns <= 1, `${r.underruns} underruns`);
    assert.equal(b.intervalMs(), 1_000);
  });

  it('sizes itself to the jitter seen: a high quantile of the delays, not the underruns', () => {
    // 20 ms chunks, each delayed a pseudo-random 20–100 ms.
    let seed = 12;
    const rand = (): number => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const b = new BufferTarget(OPTS);
    const r = play(b, { everyMs: 20, chunkMs: 20, forMs: 30_000, lateMs: () => 20 + 80 * rand() });
    assert.ok(r.underruns <= 2, `${r.underruns} underruns`);
    // Behind the least delayed chunk by the spread (≤ 80 ms), one interval and the margin, and not much more.
    assert.ok(r.latencyMs <= 100 + 20 + 20 + 30, `latency ${r.latencyMs} ms`);
  });

  it('does not keep a single outage as latency: the backlog is given back', () => {
    const b = new BufferTarget(OPTS);
    // 100 ms chunks; at 5 s a 3 s outage (a page that lost its main thread), then steady again.
    const r = play(b, {
      everyMs: 100,
      chunkMs: 100,
      forMs: 15_000,
      lateMs: (i) => (i >= 50 && i < 80 ? 3_000 - (i - 50) * 100 : 0),
    });
    assert.equal(r.underruns, 1, 'the outage itself');
    assert.ok(r.latencyMs < 100 + 20 + 100, `back near the edge: ${r.latencyMs} ms`);
  });

  it('covers repeated stalls once it has seen two', () => {
    const b = new BufferTarget(OPTS);
    // 100 ms chunks; a 400 ms stall every 5 s.
    const r = play(b, {
      everyMs: 100,
      chunkMs: 100,
      forMs: 40_000,
      lateMs: (i) => (i % 50 === 25 ? 400 : 0),
    });
    assert.ok(r.underruns <= 2, `${r.underruns} underruns`);
    assert.ok(r.latencyMs >= 400, `latency ${r.latencyMs} ms`);
  });

  it('caps what it adds over the least delayed arrival', () => {
    const b = new BufferTarget({ ...OPTS, maxMs: 300 });
    b.arrival(0, 0);
    b.arrival(1_000, 20);
    const required = b.requiredMs(1_000, 40);
    assert.ok(required !== null && required <= 0 + 300, `required ${required}`);
  });

  it('groups arrivals closer than 15 ms into one burst', () => {
    const b = new BufferTarget(OPTS);
    for (let t = 0; t < 5_000; t += 100) {
      b.arrival(t, t);
      b.arrival(t + 5, t + 50);
    }
    assert.equal(b.intervalMs(), 100);
  });

  it('shows the target as margin, covered spread and one interval', () => {
    const b = new BufferTarget(OPTS);
    b.setSourceInterval(1_000);
    for (let t = 0; t <= 5_000; t += 1_000) b.arrival(t, t);
    assert.equal(b.targetMs(5_000, 6_000), 20 + 0 + 1_000);
  });
});
