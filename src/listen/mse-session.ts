/** One attempt at the live stream through MediaSource: fetch → serial appends → play, until the response ends. */
import { WEBM_OPUS_MSE_MIME } from '../shared/protocol.js';
import { waitForEvent, withTimeout } from '../web/wait.js';
import { AppendQueue } from './append-queue.js';
import { runAttempt, STREAM_BYTES } from './attempt.js';
import { BufferTarget } from './buffer-target.js';
import { type ElementHooks, startPlayback, watchElement } from './element.js';
import { openStream } from './fetch-stream.js';
import {
  BACK_BUFFER_S,
  backBufferRange,
  bufferAhead,
  bufferedEnd,
  DEFAULT_INTERVAL_S,
  MARGIN_S,
  MAX_TARGET_S,
  NUDGE_S,
  seekIntoBuffer,
  steerToLiveEdge,
} from './live-edge.js';
import { attachWithAirPlayAlternative } from './native-hls.js';

/** Longest wait for `sourceopen` after attaching the MediaSource. */
export const SOURCE_OPEN_TIMEOUT_MS = 5_000;
/** No bytes for this long while live means the connection is dead (the watchdog acts sooner, at 4 s). */
export const STALL_TIMEOUT_MS = 10_000;
/** Back-buffer trims run at most this often. */
export const TRIM_INTERVAL_MS = 4_000;
/** How often the live-edge control and the progress watchdog look at the element. */
export const LIVE_EDGE_INTERVAL_MS = 250;
/** Back buffer kept when a QuotaExceededError forces an eviction. */
export const QUOTA_KEEP_BACK_S = 1;
/** Longest wait for the queue to drain once the response has ended. */
export const DRAIN_TIMEOUT_MS = 2_000;
/**
 * Longest play() waits, after the first append, for the buffer to reach the latency the arrivals
 * need (BufferTarget.canStart): a bursty source's first page may be all there is for a second.
 */
export const MAX_START_WAIT_MS = 1_500;
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
  /** ManagedMediaSource only opens with remote playback disabled, or with `airplayUrl`. */
  managed: boolean;
  /** An AirPlay-playable alternative (the mount's HLS playlist) given beside the MediaSource. */
  airplayUrl?: string;
  signal: AbortSignal;
  hooks: SessionHooks;
  /** The source's delivery interval from the status (ms; null: unknown): the floor of the live-edge target. */
  sourceIntervalMs?(): number | null;
}

/**
 * Plays one response of `url` into `audio`. Resolves when the response ends (the broadcast ended);
 * rejects with a PlayerError on failure and with the abort reason on abort. Always leaves `audio`
 * without a source; on abort that happens synchronously, so the next session can attach at once.
 */
export function runMseSession(opts: MseSessionOptions): Promise<void> {
  const { audio, url, hooks } = opts;
  return runAttempt(opts.signal, async (attempt) => {
    const { signal, fail } = attempt;
    const ms = new opts.MediaSource();
    const objectUrl = URL.createObjectURL(ms);
    attempt.onEnd(() => {
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
    });
    attempt.onEnd(watchElement(audio, hooks, fail));

    const readerPromise = openStream(url, signal);
    readerPromise.catch(() => {});
    if (opts.airplayUrl) {
      attempt.onEnd(attachWithAirPlayAlternative(audio, objectUrl, opts.airplayUrl));
    } else {
      if (opts.managed) audio.disableRemotePlayback = true;
      audio.src = objectUrl;
    }
    await waitForEvent(ms, 'sourceopen', SOURCE_OPEN_TIMEOUT_MS, signal);
    const sb = ms.addSourceBuffer(WEBM_OPUS_MSE_MIME);
    // 'segments' would place a late joiner at its Cluster's timecode, where playback never starts.
    sb.mode = 'sequence';
    const reader = await readerPromise;

    let started = false;
    // Bytes appended so far: with `bytes` (received) and the buffered end, the watchdog's record tells
    // a stuck append (received, not appended) from a demuxer that takes bytes and makes no audio
    // (appended, end still) and from a renderer that does not play what is buffered (end moves).
    let appended = 0;
    let atProgress = { appended: 0, bytes: 0, end: 0 };
    let lastTrimMs = performance.now();
    const queue = new AppendQueue(
      sb,
      {
        evictableRange: () => backBufferRange(audio, QUOTA_KEEP_BACK_S),
        onAppended: (n) => {
          appended += n;
          if (!started) {
            started = true;
            firstAppendMs = performance.now();
            seekIntoBuffer(audio);
            hooks.onStarted();
          }
          maybePlay();
          const now = performance.now();
          if (now - lastTrimMs < TRIM_INTERVAL_MS) return;
          lastTrimMs = now;
          const range = backBufferRange(audio, BACK_BUFFER_S);
          if (range) queue.remove(range[0], range[1]);
        },
        onError: fail,
      },
      signal,
    );
    // The live-edge target learns the delivery pattern (buffer-target.ts): how late each arrival comes
    // relative to where its audio starts (the buffered end), in media time against the playhead.
    const buffer = new BufferTarget({
      marginMs: MARGIN_S * 1000,
      defaultIntervalMs: DEFAULT_INTERVAL_S * 1000,
      maxMs: MAX_TARGET_S * 1000,
    });
    let firstAppendMs = 0;
    let playCalled = false;
    // play() once the buffer holds what the arrivals need (or after MAX_START_WAIT_MS): starting
    // short of it only means an underrun a moment later.
    const maybePlay = (): void => {
      const end = bufferedEnd(audio);
      if (playCalled || !started || end === null) return;
      const now = performance.now();
      const ready = buffer.canStart(now, audio.currentTime * 1000, end * 1000);
      if (!ready && now - firstAppendMs < MAX_START_WAIT_MS) return;
      playCalled = true;
      startPlayback(audio, hooks, fail);
    };
    let playing = false;
    const onPlaying = (): void => {
      playing = true;
    };
    const onWaiting = (): void => {
      if (playing) buffer.underrun();
      playing = false;
    };
    audio.addEventListener('playing', onPlaying, { signal });
    audio.addEventListener('waiting', onWaiting, { signal });
    let bytes = 0;
    let lastBytesMs = performance.now();
    let steering = true;
    attempt.watch({
      audio,
      hooks,
      intervalMs: LIVE_EDGE_INTERVAL_MS,
      tick: (now) => {
        buffer.setSourceInterval(opts.sourceIntervalMs?.() ?? null);
        maybePlay();
        if (!started || !steering || !playCalled) return null;
        const written = (bufferedEnd(audio) ?? 0) * 1000;
        const excess = buffer.excessMs(now, audio.currentTime * 1000, written);
        steerToLiveEdge(audio, excess === null ? null : excess / 1000);
        showTarget(audio, buffer, now, written);
        return {
          mediaTimeS: audio.currentTime,
          paused: audio.paused,
          aheadS: bufferAhead(audio),
          lastBytesMs,
          bytes,
        };
      },
      playing: (resumed) => {
        atProgress = { appended, bytes, end: bufferedEnd(audio) ?? 0 };
        if (resumed) hooks.onPlaying();
      },
      nudge: () => nudge(audio),
      describeStall: (why) =>
        `${describeStall(audio, why)}; since the audio stopped: ${bytes - atProgress.bytes} bytes received, ` +
        `${appended - atProgress.appended} appended, buffered end ${atProgress.end.toFixed(2)} → ${bufferedEnd(audio)?.toFixed(2)}`,
    });

    for (;;) {
      const { done, value } = await withTimeout(reader.read(), STALL_TIMEOUT_MS, STREAM_BYTES, signal);
      if (done) break;
      lastBytesMs = performance.now();
      bytes += value.byteLength;
      // These bytes start where the buffered media ends (earlier bytes are appended by now, unless
      // they came within the same burst): one sample of the arrivals' relative delay.
      buffer.arrival(lastBytesMs, (bufferedEnd(audio) ?? 0) * 1000);
      queue.append(value);
    }

    // The broadcast ended: append what is queued and let the last fraction of a second play out.
    await withTimeout(queue.idle(), DRAIN_TIMEOUT_MS, 'last appends', signal);
    steering = false;
    if (ms.readyState === 'open' && !sb.updating) ms.endOfStream();
    if (started && !audio.paused) {
      const tailMs = Math.min(TAIL_MAX_MS, (bufferAhead(audio) ?? 0) * 1000 + 500);
      await waitForEvent(audio, 'ended', tailMs, signal).catch(() => {});
    }
  });
}

/** The target and the rebuffers, for the details line and tests (`#player[data-target-ms]`). */
function showTarget(audio: HTMLAudioElement, buffer: BufferTarget, nowMs: number, writtenMs: number): void {
  audio.dataset.targetMs = buffer.targetMs(nowMs, writtenMs).toFixed(0);
  audio.dataset.underruns = String(buffer.underruns);
}

/**
 * Moves a playhead that holds audio but does not play: to the next buffered range when it sits in a
 * gap, else a little forward within its range.
 */
function nudge(audio: HTMLAudioElement): void {
  const b = audio.buffered;
  const t = audio.currentTime;
  for (let i = 0; i < b.length; i++) {
    if (b.start(i) > t) {
      audio.currentTime = b.start(i);
      return;
    }
    if (b.end(i) > t + NUDGE_S) {
      audio.currentTime = t + NUDGE_S;
      return;
    }
  }
}

/** The element's state when the watchdog gave up on it (kept on `data-last-stall`, for the record). */
function describeStall(audio: HTMLAudioElement, why: string): string {
  const ranges: string[] = [];
  for (let i = 0; i < audio.buffered.length; i++) {
    ranges.push(`${audio.buffered.start(i).toFixed(2)}-${audio.buffered.end(i).toFixed(2)}`);
  }
  return (
    `${why}; t=${audio.currentTime.toFixed(2)} end=${bufferedEnd(audio)?.toFixed(2)} ranges=${ranges.join(',')}` +
    ` readyState=${audio.readyState} networkState=${audio.networkState} seeking=${audio.seeking}` +
    ` rate=${audio.playbackRate} paused=${audio.paused}`
  );
}
