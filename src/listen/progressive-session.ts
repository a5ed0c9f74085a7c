/** One attempt at the live stream as a plain `<audio src>`, for browsers without a usable MediaSource. */

import { sleep } from '../web/wait.js';
import { type ElementHooks, startPlayback, watchElement } from './element.js';
import { bufferAhead } from './live-edge.js';
import { PlayerError } from './player-error.js';
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
export async function runProgressiveSession(opts: ProgressiveSessionOptions): Promise<void> {
  const { audio, url, signal, hooks } = opts;
  if (signal.aborted) throw signal.reason;
  const ac = new AbortController();
  let failure: PlayerError | null = null;
  const fail = (e: PlayerError): void => {
    if (failure || ac.signal.aborted) return;
    failure = e;
    ac.abort(e);
  };
  const unwatch = watchElement(audio, hooks, fail);
  const onLoaded = (): void => hooks.onStarted();
  let tornDown = false;
  const teardown = (): void => {
    if (tornDown) return;
    tornDown = true;
    ac.abort();
    unwatch();
    audio.removeEventListener('loadeddata', onLoaded);
    if (audio.getAttribute('src') === url) {
      audio.removeAttribute('src');
      audio.load();
    }
  };
  const onAbort = (): void => teardown();
  signal.addEventListener('abort', onAbort, { once: true });

  try {
    audio.addEventListener('loadeddata', onLoaded, { once: true });
    audio.src = url;
    startPlayback(audio, hooks, fail);
    let lastBytesMs = performance.now();
    audio.addEventListener(
      'progress',
      () => {
        lastBytesMs = performance.now();
      },
      { signal: ac.signal },
    );
    const watchdog = new ProgressWatchdog({ ...WATCHDOG_DEFAULTS, deadMs: PROGRESSIVE_DEAD_MS });
    let started = false;
    while (!audio.ended) {
      await sleep(WATCHDOG_INTERVAL_MS, ac.signal);
      // Before the first frame the element is still opening the stream: nothing to watch yet.
      started ||= audio.readyState >= 2;
      if (!started) continue;
      const verdict = watchdog.check({
        nowMs: performance.now(),
        mediaTimeS: audio.currentTime,
        paused: audio.paused,
        aheadS: bufferAhead(audio),
        lastBytesMs,
        // The element reports no byte counts: only held audio can prove it stuck.
        bytes: 0,
      });
      if (verdict.kind === 'playing' && verdict.resumed) hooks.onPlaying();
      else if (verdict.kind === 'silent') hooks.onStalled(verdict.reason);
      else if (verdict.kind === 'nudge') {
        hooks.onStalled(verdict.reason);
        audio.currentTime += 0.05;
      } else if (verdict.kind === 'restart') throw new PlayerError('STALLED', verdict.why);
    }
  } catch (err) {
    if (signal.aborted) throw signal.reason;
    if (failure) throw failure;
    throw err instanceof PlayerError ? err : new PlayerError('MEDIA', String(err), { cause: err });
  } finally {
    signal.removeEventListener('abort', onAbort);
    teardown();
  }
}
