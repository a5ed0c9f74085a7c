/** The `<audio>` side of a session: play() with autoplay handling, and the element's own events. */
import { isAbortError, isNotAllowedError, PlayerError } from './player-error.js';
import type { StallReason } from './progress-watchdog.js';

/** Why the element is not playing although the session runs: autoplay refused, or paused from outside. */
export type PauseReason = 'blocked' | 'paused';

export interface ElementHooks {
  /** The element is playing (again). */
  onPlaying(): void;
  /** play() was refused with NotAllowedError, or the OS / a headset / the lock screen paused it. */
  onPaused(reason: PauseReason): void;
  /** Live and meant to play, but silent for a while (the progress watchdog says why). */
  onStalled(reason: StallReason): void;
}

/** Calls play(); a NotAllowedError becomes onPaused('blocked'), never an error. */
export function startPlayback(
  audio: HTMLAudioElement,
  hooks: ElementHooks,
  fail: (e: PlayerError) => void,
): void {
  audio.play().catch((err: unknown) => {
    if (isNotAllowedError(err)) hooks.onPaused('blocked');
    else if (!isAbortError(err))
      fail(new PlayerError('MEDIA', `play() failed: ${String(err)}`, { cause: err }));
  });
}

/** Forwards `playing`, `pause` and `error` of `audio` until the returned function is called. */
export function watchElement(
  audio: HTMLAudioElement,
  hooks: ElementHooks,
  fail: (e: PlayerError) => void,
): () => void {
  const onPlaying = (): void => hooks.onPlaying();
  const onPause = (): void => {
    if (!audio.ended) hooks.onPaused('paused');
  };
  const onError = (): void => {
    const e = audio.error;
    fail(new PlayerError('MEDIA', e ? `media error ${e.code}: ${e.message}` : 'media error'));
  };
  audio.addEventListener('playing', onPlaying);
  audio.addEventListener('pause', onPause);
  audio.addEventListener('error', onError);
  return () => {
    audio.removeEventListener('playing', onPlaying);
    audio.removeEventListener('pause', onPause);
    audio.removeEventListener('error', onError);
  };
}
