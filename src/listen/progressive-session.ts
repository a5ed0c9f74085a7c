/** One attempt at the live stream as a plain `<audio src>`, for browsers without a usable MediaSource. */

import { runAttempt } from './attempt.js';
import { type ElementHooks, startPlayback, watchElement } from './element.js';
import { bufferAhead, NUDGE_S } from './live-edge.js';
import { ProgressWatchdog, WATCHDOG_DEFAULTS } from './progress-watchdog.js';

/** How often the watchdog checks that the playhead moves. */
export const WATCHDOG_INTERVAL_MS = 250;
/**
 * The element's `progress` events (about every 350 ms while bytes come) stand for bytes here; none for
 * this long means the connection is dead. The element buffers seconds, so it is given longer.
 */
export const PROGRESSIVE_DEAD_MS = 8_000;

export interface ProgressiveSessionOptions {
  audio: HTMLAudioElement;
  url: string;
  signal: AbortSignal;
  hooks: ElementHooks & { onStarted(): void };
}

/** Same contract as runMseSession: resolves when the stream ends, rejects with a PlayerError or the abort reason. */
export function runProgressiveSession(opts: ProgressiveSessionOptions): Promise<void> {
  const { audio, url, hooks } = opts;
  return runAttempt(opts.signal, async (attempt) => {
    const { signal } = attempt;
    const onLoaded = (): void => hooks.onStarted();
    attempt.onEnd(() => {
      audio.removeEventListener('loadeddata', onLoaded);
      if (audio.getAttribute('src') === url) {
        audio.removeAttribute('src');
        audio.load();
      }
    });
    attempt.onEnd(watchElement(audio, hooks, attempt.fail));
    audio.addEventListener('loadeddata', onLoaded, { once: true });
    audio.src = url;
    startPlayback(audio, hooks, attempt.fail);
    let lastBytesMs = performance.now();
    audio.addEventListener(
      'progress',
      () => {
        lastBytesMs = performance.now();
      },
      { signal },
    );
    let started = false;
    attempt.watch({
      audio,
      hooks,
      intervalMs: WATCHDOG_INTERVAL_MS,
      watchdog: new ProgressWatchdog({ ...WATCHDOG_DEFAULTS, deadMs: PROGRESSIVE_DEAD_MS }),
      tick: () => {
        // Before the first frame the element is still opening the stream: nothing to watch yet.
        started ||= audio.readyState >= 2;
        if (!started) return null;
        // The element reports no byte counts: only held audio can prove it stuck.
        return {
          mediaTimeS: audio.currentTime,
          paused: audio.paused,
          aheadS: bufferAhead(audio),
          lastBytesMs,
          bytes: 0,
        };
      },
      nudge: () => {
        audio.currentTime += NUDGE_S;
      },
    });
    // Until the stream ends or the attempt does; the watchdog bounds it (no progress for
    // PROGRESSIVE_DEAD_MS, or held audio that does not play, fails the attempt).
    await new Promise<void>((resolve) => {
      if (audio.ended || signal.aborted) {
        resolve();
        return;
      }
      audio.addEventListener('ended', () => resolve(), { once: true, signal });
      signal.addEventListener('abort', () => resolve(), { once: true });
    });
  });
}
