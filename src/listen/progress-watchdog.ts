/**
 * The progress watchdog every rung runs: a live player that makes no sound must not look as if it
 * played. Fed a sample of the player's state every tick, it says whether the audio moves, whether the
 * listener should be told ("Catching up…" while bytes arrive, "Reconnecting…" while none do), and
 * when to act: nudge a player that holds audio but does not play it, and restart the session (a new
 * connection, a new MediaSource or decoder) when that did not help, when bytes arrive but never
 * become audio, or when no bytes come at all. Pure: times are passed in, in ms.
 */

/** The ways a live player can be silent, as the page words them. */
export type StallReason = 'catching-up' | 'reconnecting';

export interface ProgressSample {
  nowMs: number;
  /** Position of the audio played (media time, s): must advance while playing. */
  mediaTimeS: number;
  /** Paused on purpose (autoplay refused, the listener or the OS paused it): not a stall. */
  paused: boolean;
  /** Audio held ahead of the position, s (null: unknown). */
  aheadS: number | null;
  /** When the last bytes of the stream arrived. */
  lastBytesMs: number;
  /** Bytes of the stream received so far. */
  bytes: number;
}

export type WatchdogVerdict =
  // The audio moves (`resumed`: after a silence the watchdog had reported).
  | { kind: 'playing'; resumed: boolean }
  // Silent for a while, for this reason; nothing to do yet.
  | { kind: 'silent'; reason: StallReason }
  // Audio is held but does not play: move the playhead a little (hls.js's nudge).
  | { kind: 'nudge'; reason: StallReason }
  // Give up on this session: reconnect.
  | { kind: 'restart'; why: string }
  // Nothing to say (starting, paused).
  | { kind: 'idle' };

export interface WatchdogOptions {
  /**
   * Silent this long while holding audio → nudge. Chromium's MSE waits longer after each underflow
   * before it plays again (a 400 ms network stall every 10 s gave silences of 164, 496, then 854 ms
   * with 0.3–1 s buffered): its audio renderer doubles the decoded audio it wants before resuming at
   * each underrun (AudioRendererImpl → AudioRendererAlgorithm::IncreasePlaybackThreshold, up to its
   * capacity; only a `latencyHint`, not exposed to pages, stops it). A nudge (a seek) restarts it at once.
   */
  nudgeMs: number;
  /** Silent this long → tell the listener. */
  silentMs: number;
  /** Silent this long although audio is held or bytes keep coming → restart. */
  restartMs: number;
  /** No bytes for this long → restart (the connection is dead). */
  deadMs: number;
  /** No bytes for this long → "Reconnecting…" rather than "Catching up…". */
  noBytesMs: number;
  /** Held audio (s) that should be playing. */
  heldS: number;
  /** Bytes that, received during a silence, should have become audio (≈ 0.5 s of 64 kbit/s Opus). */
  heldBytes: number;
}

export const WATCHDOG_DEFAULTS: WatchdogOptions = {
  nudgeMs: 300,
  silentMs: 700,
  restartMs: 1_600,
  deadMs: 4_000,
  noBytesMs: 1_000,
  heldS: 0.25,
  heldBytes: 4_096,
};

export class ProgressWatchdog {
  #lastTimeS: number | null = null;
  #lastMoveMs = 0;
  #bytesAtMove = 0;
  #reported = false;
  #nudged = false;

  constructor(private readonly opts: WatchdogOptions = WATCHDOG_DEFAULTS) {}

  check(s: ProgressSample): WatchdogVerdict {
    if (s.nowMs - s.lastBytesMs > this.opts.deadMs) {
      return { kind: 'restart', why: `no bytes for ${Math.round(s.nowMs - s.lastBytesMs)} ms` };
    }
    const moved = this.#lastTimeS === null || Math.abs(s.mediaTimeS - this.#lastTimeS) > 0.005;
    this.#lastTimeS = s.mediaTimeS;
    if (s.paused || moved) {
      this.#lastMoveMs = s.nowMs;
      this.#bytesAtMove = s.bytes;
      this.#nudged = false;
      const resumed = this.#reported && !s.paused;
      if (!s.paused) this.#reported = false;
      return s.paused ? { kind: 'idle' } : { kind: 'playing', resumed };
    }
    const silentFor = s.nowMs - this.#lastMoveMs;
    const reason: StallReason =
      s.nowMs - s.lastBytesMs > this.opts.noBytesMs ? 'reconnecting' : 'catching-up';
    const held = (s.aheadS ?? 0) >= this.opts.heldS;
    if (held && !this.#nudged && silentFor >= this.opts.nudgeMs) {
      this.#nudged = true;
      this.#reported = true;
      return { kind: 'nudge', reason };
    }
    if (silentFor < this.opts.silentMs) return { kind: 'idle' };
    const fed = s.bytes - this.#bytesAtMove >= this.opts.heldBytes;
    if (silentFor >= this.opts.restartMs && (held || fed)) {
      return {
        kind: 'restart',
        why: held
          ? `no progress for ${Math.round(silentFor)} ms with ${(s.aheadS ?? 0).toFixed(2)} s buffered`
          : `no progress for ${Math.round(silentFor)} ms while ${s.bytes - this.#bytesAtMove} bytes arrived`,
      };
    }
    this.#reported = true;
    return { kind: 'silent', reason };
  }
}
