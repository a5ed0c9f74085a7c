/** runAttempt: what every player session shares — clean-up once, the first failure, the watchdog's restart, error mapping. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runAttempt, STREAM_BYTES, toPlayerError } from '../../../src/listen/attempt.js';
import { PlayerError } from '../../../src/listen/player-error.js';
import type { StallReason } from '../../../src/listen/progress-watchdog.js';
import { ProgressWatchdog, WATCHDOG_DEFAULTS } from '../../../src/listen/progress-watchdog.js';
import { TimeoutError } from '../../../src/web/wait.js';

/** The element's parts the attempt touches: `data-last-stall`. */
function fakeAudio(): HTMLAudioElement {
  return { dataset: {} } as unknown as HTMLAudioElement;
}

function hooks(log: string[]) {
  return {
    onPlaying: () => log.push('playing'),
    onPaused: () => log.push('paused'),
    onStalled: (reason: StallReason) => log.push(`stalled:${reason}`),
  };
}

describe('runAttempt', () => {
  it('resolves when the body ends without a failure, after running the clean-ups latest first', async () => {
    const order: string[] = [];
    await runAttempt(new AbortController().signal, async (a) => {
      a.onEnd(() => order.push('first'));
      a.onEnd(() => order.push('second'));
    });
    assert.deepEqual(order, ['second', 'first']);
  });

  it('cleans up at once when the caller aborts, and rejects with the abort reason', async () => {
    const outer = new AbortController();
    let cleaned = false;
    let inner: AbortSignal | undefined;
    const done = runAttempt(outer.signal, async (a) => {
      inner = a.signal;
      a.onEnd(() => {
        cleaned = true;
      });
      await new Promise<void>((resolve) => a.signal.addEventListener('abort', () => resolve()));
    });
    const reason = new Error('listener left');
    outer.abort(reason);
    assert.equal(cleaned, true, 'synchronously on abort, so the next attempt can take the element');
    assert.equal(inner?.aborted, true);
    await assert.rejects(done, (err) => err === reason);
  });

  it('rejects with the first failure even when the body ends quietly or throws something else', async () => {
    const first = new PlayerError('MEDIA', 'decoder error');
    await assert.rejects(
      runAttempt(new AbortController().signal, async (a) => {
        a.fail(first);
        a.fail(new PlayerError('NETWORK', 'later'));
        assert.equal(a.signal.aborted, true);
        throw new Error('the read that the abort broke');
      }),
      (err) => err === first,
    );
    await assert.rejects(
      runAttempt(new AbortController().signal, async (a) => a.fail(first)),
      (err) => err === first,
    );
  });

  it('maps what the body throws: a stream that stopped is STALLED, another wait TIMEOUT, the rest MEDIA', () => {
    assert.equal(toPlayerError(new TimeoutError(STREAM_BYTES)).code, 'STALLED');
    assert.equal(toPlayerError(new TimeoutError('sourceopen')).code, 'TIMEOUT');
    assert.equal(toPlayerError(new TypeError('boom')).code, 'MEDIA');
    const own = new PlayerError('HTTP', 'the server answered 500');
    assert.equal(toPlayerError(own), own);
  });

  it('restarts a player that holds audio but does not play it: nudge, then STALLED with the record kept', async () => {
    const audio = fakeAudio();
    const log: string[] = [];
    const opts = { ...WATCHDOG_DEFAULTS, nudgeMs: 20, silentMs: 40, restartMs: 80, deadMs: 60_000 };
    let nudges = 0;
    await assert.rejects(
      runAttempt(new AbortController().signal, async (a) => {
        a.watch({
          audio,
          hooks: hooks(log),
          intervalMs: 10,
          watchdog: new ProgressWatchdog(opts),
          // Half a second held, bytes arriving, the playhead stuck.
          tick: (now) => ({ mediaTimeS: 1, paused: false, aheadS: 0.5, lastBytesMs: now, bytes: 0 }),
          nudge: () => {
            nudges += 1;
          },
          describeStall: (why) => `stuck: ${why}`,
        });
        await new Promise<void>((resolve) => a.signal.addEventListener('abort', () => resolve()));
      }),
      (err) => err instanceof PlayerError && err.code === 'STALLED',
    );
    assert.equal(nudges, 1);
    assert.ok(log.includes('stalled:catching-up'));
    assert.match(audio.dataset.lastStall ?? '', /^stuck: no progress for \d+ ms with 0.50 s buffered$/);
  });

  it('reports a resume after a reported silence, and stops ticking once the attempt ends', async () => {
    const log: string[] = [];
    let resumed = (): void => {};
    let t = 1;
    let ticks = 0;
    const opts = { ...WATCHDOG_DEFAULTS, nudgeMs: 10_000, silentMs: 20, restartMs: 10_000, deadMs: 60_000 };
    await runAttempt(new AbortController().signal, async (a) => {
      a.watch({
        audio: fakeAudio(),
        hooks: {
          ...hooks(log),
          onPlaying: () => {
            log.push('playing');
            resumed();
          },
        },
        intervalMs: 10,
        watchdog: new ProgressWatchdog(opts),
        tick: (now) => {
          ticks += 1;
          // Silent for the first 60 ms, then the audio moves.
          if (ticks > 6) t += 0.01;
          return { mediaTimeS: t, paused: false, aheadS: 0, lastBytesMs: now, bytes: 0 };
        },
      });
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('no resume reported within 2 s')), 2_000);
        resumed = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    });
    assert.equal(log[0], 'stalled:catching-up');
    assert.equal(log[log.length - 1], 'playing');
    const at = ticks;
    // Absence can only be shown by waiting: five tick intervals.
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(ticks, at, 'no tick after the attempt ended');
  });
});
