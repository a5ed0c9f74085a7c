/** The listener's player: plays a mount live into one `<audio>` element until aborted, reconnecting with backoff. */
import type { StatusMessage, StreamFormat } from '../shared/protocol.js';
import { paths } from '../shared/protocol.js';
import { Backoff } from '../web/backoff.js';
import { sleep } from '../web/wait.js';
import type { PauseReason } from './element.js';
import { framesUrl, isFrameFormat, runFramesSession } from './frames-session.js';
import { demotePlaybackPath, detectPlaybackPath } from './media-support.js';
import { runMseSession } from './mse-session.js';
import { preferPlaybackAudioSession } from './native-hls.js';
import { runPacketsSession } from './packets-session.js';
import { PlayerError } from './player-error.js';
import type { StallReason } from './progress-watchdog.js';
import { runProgressiveSession } from './progressive-session.js';

/** First reconnect delay; it doubles per failed attempt. */
export const RETRY_MIN_MS = 250;
/** Longest reconnect delay. */
export const RETRY_MAX_MS = 4_000;
/** Failed attempts in a row before the player gives up (≈ 20 s of trying). */
export const MAX_RETRY_ATTEMPTS = 8;

export type PlayerEvent =
  // A request for the stream is on its way.
  | { type: 'connecting' }
  // Audio is coming out.
  | { type: 'playing' }
  // The session runs but the element does not play: autoplay refused ('blocked') or paused from outside.
  | { type: 'paused'; reason: PauseReason }
  // Live and meant to play, but silent for a while: bytes arrive ('catching-up') or none do ('reconnecting').
  | { type: 'stalled'; reason: StallReason }
  // The response ended (error null: the broadcast probably ended) or failed; the next attempt follows.
  | { type: 'retrying'; attempt: number; delayMs: number; error: PlayerError | null }
  // MAX_RETRY_ATTEMPTS failed in a row; the player stopped.
  | { type: 'failed'; error: PlayerError };

export interface PlayerOptions {
  /** The one `<audio>` element; it is kept across sessions and left without a source when done. */
  audio: HTMLAudioElement;
  mount: string;
  /** What the source sends (the status's `format`): MP3 or AAC take the frames rung, whatever the browser. */
  format?: StreamFormat;
  /** Abort when the mount goes offline or the listener stops. */
  signal: AbortSignal;
  /** Not called after `signal` aborts. */
  onEvent(event: PlayerEvent): void;
  /**
   * The status the stream itself carries (the packets rung asks for it), as it comes; null when the
   * stream that carried it ended (the page then needs its status socket again). Not called after
   * `signal` aborts.
   */
  onStatus?(status: StatusMessage | null): void;
  /** The source's delivery interval the status gave last (ms; null: unknown): the floor of the buffer. */
  sourceIntervalMs?(): number | null;
}

/**
 * Plays `mount` until `signal` aborts. A response that ends or fails is retried after RETRY_MIN_MS,
 * doubling to RETRY_MAX_MS; an attempt that got audio resets the count. A 404 LISTEN_OFFLINE is
 * retried the same way: the status socket says live, so the stream is about to appear, and when
 * the status says offline the caller aborts.
 */
export async function runPlayer(opts: PlayerOptions): Promise<void> {
  const { audio, mount, signal } = opts;
  const emit = (event: PlayerEvent): void => {
    if (!signal.aborted) opts.onEvent(event);
  };
  let path = detectPlaybackPath();
  let attempt = 0;
  const backoff = new Backoff(RETRY_MIN_MS, RETRY_MAX_MS);

  while (!signal.aborted) {
    let started = false;
    let carried = false;
    const hooks = {
      onStarted: () => {
        started = true;
      },
      onStatus: (status: StatusMessage) => {
        carried = true;
        if (!signal.aborted) opts.onStatus?.(status);
      },
      onPlaying: () => emit({ type: 'playing' }),
      onPaused: (reason: PauseReason) => emit({ type: 'paused', reason }),
      onStalled: (reason: StallReason) => emit({ type: 'stalled', reason }),
    };
    const sourceIntervalMs = opts.sourceIntervalMs ?? (() => null);
    let error: PlayerError | null = null;
    emit({ type: 'connecting' });
    const url =
      path.kind === 'packets'
        ? paths.listenPackets(mount, { status: true })
        : path.kind === 'hls'
          ? paths.hlsPlaylist(mount)
          : path.kind === 'progressive' && path.container === 'ogg'
            ? paths.listenOgg(mount)
            : paths.listenWebm(mount);
    try {
      if (isFrameFormat(opts.format)) {
        await runFramesSession({ audio, url: framesUrl(mount, opts.format), signal, hooks });
      } else if (path.kind === 'packets') {
        // Safari 26 (WebCodecs): keep the Web Audio rung sounding with the screen locked.
        preferPlaybackAudioSession();
        await runPacketsSession({ audio, url, signal, hooks, sourceIntervalMs });
      } else if (path.kind === 'mse') {
        await runMseSession({
          audio,
          url,
          MediaSource: path.MediaSource,
          managed: path.managed,
          airplayUrl: path.airplayHls ? paths.hlsPlaylist(mount) : undefined,
          signal,
          hooks,
          sourceIntervalMs,
        });
      } else {
        // The plain element, given the Ogg/WebM stream or (native HLS) the playlist.
        await runProgressiveSession({ audio, url, signal, hooks });
      }
    } catch (err) {
      if (signal.aborted) return;
      error = err instanceof PlayerError ? err : new PlayerError('MEDIA', String(err), { cause: err });
      // The packets player could not decode here, or ManagedMediaSource did not play what it said it
      // takes: the next rung from the next attempt on.
      if (error.code === 'MEDIA' && !started && demotePlaybackPath(path)) path = detectPlaybackPath();
    }
    if (signal.aborted) return;
    if (carried) opts.onStatus?.(null);
    if (started) {
      attempt = 0;
      backoff.reset();
    }
    attempt += 1;
    if (attempt > MAX_RETRY_ATTEMPTS) {
      emit({ type: 'failed', error: error ?? new PlayerError('NETWORK', 'the stream keeps ending') });
      return;
    }
    const delayMs = backoff.next();
    emit({ type: 'retrying', attempt, delayMs, error });
    try {
      await sleep(delayMs, signal);
    } catch {
      return;
    }
  }
}
