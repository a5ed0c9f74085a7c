/** One attempt at the live stream through MediaSource: fetch → serial appends → play, until the response ends. */
import { WEBM_OPUS_MSE_MIME } from '../shared/protocol.js';
import { AppendQueue } from './append-queue.js';
import { type ElementHooks, startPlayback, watchElement } from './element.js';
import { openStream } from './fetch-stream.js';
import {
  BACK_BUFFER_S,
  backBufferRange,
  bufferAhead,
  raiseTarget,
  seekIntoBuffer,
  steerToLiveEdge,
  TARGET_AHEAD_S,
} from './live-edge.js';
import { PlayerError } from './player-error.js';
import { TimeoutError, waitForEvent, withTimeout } from './wait.js';

/** Longest wait for `sourceopen` after attaching the MediaSource. */
export const SOURCE_OPEN_TIMEOUT_MS = 5_000;
/** No bytes for this long while live means the connection is dead. */
export const STALL_TIMEOUT_MS = 10_000;
/** Back-buffer trims run at most this often. */
export const TRIM_INTERVAL_MS = 4_000;
/** How often the live-edge control looks at the buffer. */
export const LIVE_EDGE_INTERVAL_MS = 250;
/** Back buffer kept when a QuotaExceededError forces an eviction. */
export const QUOTA_KEEP_BACK_S = 1;
/** Longest wait for the queue to drain once the response has ended. */
export const DRAIN_TIMEOUT_MS = 2_000;
/** Longest the buffered tail may play after the broadcast ended, before teardown. */
export const TAIL_MAX_MS = 3_000;

export interface SessionHooks extends ElementHooks {
  /** The first bytes are buffered and play() was called: the connection works. */
  onStarted(): void;
}

export interface MseSessionOptions {
  audio: HTMLAudioElement;
  url: string;
  MediaSource: typeof MediaSource;
  /** ManagedMediaSource only opens with remote playback disabled. */
  managed: boolean;
  signal: AbortSignal;
  hooks: SessionHooks;
}

/**
 * Plays one response of `url` into `audio`. Resolves when the response ends (the broadcast ended);
 * rejects with a PlayerError on failure and with the abort reason on abort. Always leaves `audio`
 * without a source; on abort that happens synchronously, so the next session can attach at once.
 */
export async function runMseSession(opts: MseSessionOptions): Promise<void> {
  const { audio, url, signal, hooks } = opts;
  if (signal.aborted) throw signal.reason;
  // Ends the fetch and every internal wait when the session ends, for whatever reason.
  const ac = new AbortController();
  let failure: PlayerError | null = null;
  const fail = (e: PlayerError): void => {
    if (failure || ac.signal.aborted) return;
    failure = e;
    ac.abort(e);
  };
  const ms = new opts.MediaSource();
  const objectUrl = URL.createObjectURL(ms);
  const unwatch = watchElement(audio, hooks, fail);
  let liveEdgeTimer: ReturnType<typeof setInterval> | undefined;
  let tornDown = false;
  const teardown = (): void => {
    if (tornDown) return;
    tornDown = true;
    ac.abort();
    clearInterval(liveEdgeTimer);
    unwatch();
    if (ms.readyState === 'open') {
      try {
        ms.endOfStream();
      } catch {
        // An append is still running; detaching below closes the MediaSource anyway.
      }
    }
    URL.revokeObjectURL(objectUrl);
    if (audio.getAttribute('src') === objectUrl) {
      audio.playbackRate = 1;
      audio.removeAttribute('src');
      audio.load();
    }
  };
  const onAbort = (): void => teardown();
  signal.addEventListener('abort', onAbort, { once: true });

  try {
    const readerPromise = openStream(url, ac.signal);
    readerPromise.catch(() => {});
    if (opts.managed) audio.disableRemotePlayback = true;
    audio.src = objectUrl;
    await waitForEvent(ms, 'sourceopen', SOURCE_OPEN_TIMEOUT_MS, ac.signal);
    const sb = ms.addSourceBuffer(WEBM_OPUS_MSE_MIME);
    // 'segments' would place a late joiner at its Cluster's timecode, where playback never starts.
    sb.mode = 'sequence';
    const reader = await readerPromise;

    let started = false;
    let lastTrimMs = performance.now();
    const queue = new AppendQueue(
      sb,
      {
        evictableRange: () => backBufferRange(audio, QUOTA_KEEP_BACK_S),
        onAppended: () => {
          if (!started) {
            started = true;
            seekIntoBuffer(audio);
            startPlayback(audio, hooks, fail);
            hooks.onStarted();
            return;
          }
          const now = performance.now();
          if (now - lastTrimMs < TRIM_INTERVAL_MS) return;
          lastTrimMs = now;
          const range = backBufferRange(audio, BACK_BUFFER_S);
          if (range) queue.remove(range[0], range[1]);
        },
        onError: fail,
      },
      ac.signal,
    );
    // The live-edge target grows on every rebuffer once playing, like a jitter buffer.
    let targetS = TARGET_AHEAD_S;
    let playing = false;
    const onPlaying = (): void => {
      playing = true;
    };
    const onWaiting = (): void => {
      if (playing) targetS = raiseTarget(targetS);
    };
    audio.addEventListener('playing', onPlaying, { signal: ac.signal });
    audio.addEventListener('waiting', onWaiting, { signal: ac.signal });
    liveEdgeTimer = setInterval(() => {
      if (started) steerToLiveEdge(audio, targetS);
    }, LIVE_EDGE_INTERVAL_MS);

    for (;;) {
      const { done, value } = await withTimeout(reader.read(), STALL_TIMEOUT_MS, 'stream bytes', ac.signal);
      if (done) break;
      queue.append(value);
    }

    // The broadcast ended: append what is queued and let the last fraction of a second play out.
    await withTimeout(queue.idle(), DRAIN_TIMEOUT_MS, 'last appends', ac.signal);
    clearInterval(liveEdgeTimer);
    if (ms.readyState === 'open' && !sb.updating) ms.endOfStream();
    if (started && !audio.paused) {
      const tailMs = Math.min(TAIL_MAX_MS, (bufferAhead(audio) ?? 0) * 1000 + 500);
      await waitForEvent(audio, 'ended', tailMs, ac.signal).catch(() => {});
    }
  } catch (err) {
    if (signal.aborted) throw signal.reason;
    if (failure) throw failure;
    throw toPlayerError(err);
  } finally {
    signal.removeEventListener('abort', onAbort);
    teardown();
  }
}

function toPlayerError(err: unknown): PlayerError {
  if (err instanceof PlayerError) return err;
  if (err instanceof TimeoutError) {
    return err.what === 'stream bytes'
      ? new PlayerError('STALLED', 'the stream stopped sending audio', { cause: err })
      : new PlayerError('TIMEOUT', err.message, { cause: err });
  }
  return new PlayerError('MEDIA', String(err), { cause: err });
}
