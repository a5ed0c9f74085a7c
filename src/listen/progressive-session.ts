/** One attempt at the live stream as a plain `<audio src>`, for browsers without a usable MediaSource. */
import { type ElementHooks, startPlayback, watchElement } from './element.js';
import { PlayerError } from './player-error.js';
import { sleep } from './wait.js';

/** How often the watchdog checks that the playhead moves. */
export const WATCHDOG_INTERVAL_MS = 1_000;
/** A playing element whose playhead has not moved for this long has stalled. */
export const PROGRESSIVE_STALL_TIMEOUT_MS = 10_000;

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
    let lastTime = audio.currentTime;
    let lastMoveMs = performance.now();
    while (!audio.ended) {
      await sleep(WATCHDOG_INTERVAL_MS, ac.signal);
      const now = performance.now();
      if (audio.paused || audio.currentTime !== lastTime) {
        lastTime = audio.currentTime;
        lastMoveMs = now;
      } else if (now - lastMoveMs > PROGRESSIVE_STALL_TIMEOUT_MS) {
        throw new PlayerError('STALLED', 'the stream stopped playing');
      }
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
