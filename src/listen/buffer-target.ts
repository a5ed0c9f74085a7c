/**
 * How much audio a live player should keep, learnt from how the audio arrives (the idea of WebRTC's
 * NetEq, kept small). Both rungs use it: the low-latency jitter buffer (in its AudioWorklet) and the
 * MSE live-edge control. Pure: no DOM, no clock of its own; times are passed in, in ms.
 *
 * Audio arrives in bursts: a recorder chunk every 60–120 ms, an Ogg page or a WebM Cluster once a
 * second from ffmpeg with its default settings, a backlog after a network stall. Between bursts the
 * buffer only drains, so the level is a sawtooth and what matters is its trough: the level just
 * before a burst lands. The player aims that trough at `targetMs` (a safety margin), so the latency
 * follows the delivery interval by itself: a 1 s-burst source gets ≈ 1 s plus the margin, a 60 ms
 * one ≈ 60 ms plus the margin. Controlling the instantaneous level instead (as before) makes the
 * player eat the top of every burst and run dry before the next one.
 *
 * - The trough is the lowest pre-burst level over a window that spans several delivery intervals
 *   (at least MIN_WINDOW_MS), so one long interval is always in view.
 * - Jitter needs no estimate of its own: the trough is the level before the latest burst of the
 *   window, so the latency settles at interval + worst lateness + margin. (An estimate from the
 *   intervals between arrivals was tried: a 1 s page reaches the player in two or three pieces more
 *   than 15 ms apart, and the "jitter" came out at 950 ms.)
 * - The margin grows fast on repeated underruns (STEP_MS times the underruns of the last
 *   REPEAT_WINDOW_MS) and shrinks by SHRINK_MS after each CALM_MS without an underrun.
 * - `excessMs` (trough − margin) tells the player to speed up (a little above 0) or drop the backlog
 *   at once (far above 0, e.g. the audio held back by a stall): a late backlog is not piled up.
 */

export interface BufferTargetOptions {
  /** The margin never goes below this, nor above `maxMs`; it starts at `startMs`. */
  minMs: number;
  startMs: number;
  maxMs: number;
}

/** Arrivals closer than this belong to one burst (a decoder's outputs, one TCP read split in two). */
export const BURST_GAP_MS = 15;
/** The trough window spans at least this long… */
export const MIN_WINDOW_MS = 3_000;
/** …and at least this many delivery intervals. */
export const WINDOW_INTERVALS = 3;
/** History kept (arrivals older than this are forgotten; at most MAX_BURSTS of them). */
export const HISTORY_MS = 10_000;
const MAX_BURSTS = 512;
/** Margin added per underrun, times the underruns within REPEAT_WINDOW_MS (20, 40, 60 ms…). */
export const STEP_MS = 20;
export const REPEAT_WINDOW_MS = 30_000;
/** The margin shrinks by SHRINK_MS after each CALM_MS without an underrun. */
export const SHRINK_MS = 5;
export const CALM_MS = 10_000;

interface Burst {
  atMs: number;
  /** Buffer level just before the burst landed, ms. */
  levelMs: number;
  /** Time since the previous burst, ms (null for the first). */
  gapMs: number | null;
}

export class BufferTarget {
  #bursts: Burst[] = [];
  #lastArrivalMs: number | null = null;
  #underrunsAt: number[] = [];
  #marginMs: number;
  #lastCalmCheckMs: number | null = null;
  #underruns = 0;

  constructor(private readonly opts: BufferTargetOptions) {
    this.#marginMs = opts.startMs;
  }

  /** Audio arrived at `nowMs`, the buffer holding `levelMs` just before it. */
  arrival(nowMs: number, levelMs: number): void {
    const last = this.#lastArrivalMs;
    this.#lastArrivalMs = nowMs;
    if (last !== null && nowMs - last < BURST_GAP_MS) return;
    const prev = this.#bursts[this.#bursts.length - 1];
    this.#bursts.push({ atMs: nowMs, levelMs, gapMs: prev ? nowMs - prev.atMs : null });
    while (
      this.#bursts.length > MAX_BURSTS ||
      (this.#bursts.length > 0 && nowMs - (this.#bursts[0] as Burst).atMs > HISTORY_MS)
    ) {
      this.#bursts.shift();
    }
    this.#calm(nowMs);
  }

  /** The buffer ran dry at `nowMs` (silence): the margin grows, the faster the more often it happens. */
  underrun(nowMs: number): void {
    this.#underruns++;
    this.#underrunsAt = this.#underrunsAt.filter((t) => nowMs - t < REPEAT_WINDOW_MS);
    this.#underrunsAt.push(nowMs);
    this.#marginMs = Math.min(this.opts.maxMs, this.#marginMs + STEP_MS * this.#underrunsAt.length);
    this.#lastCalmCheckMs = nowMs;
  }

  /** Underruns so far. */
  get underruns(): number {
    return this.#underruns;
  }

  /** The usual time between bursts: the median gap of the history, or null before two bursts. */
  intervalMs(): number | null {
    const gaps = this.#gaps();
    return gaps.length === 0 ? null : quantile(gaps, 0.5);
  }

  /** The margin the trough aims at, ms. */
  targetMs(): number {
    return Math.min(this.opts.maxMs, Math.max(this.#marginMs, this.opts.minMs));
  }

  /** The window the trough is taken over, ms. */
  windowMs(): number {
    const gaps = this.#gaps();
    const longest = gaps.length === 0 ? 0 : Math.max(...gaps);
    return Math.max(MIN_WINDOW_MS, WINDOW_INTERVALS * longest);
  }

  /**
   * The lowest pre-burst level within the window ending at `nowMs`, or null while the history does not
   * cover the window yet (then nothing should be dropped or sped up).
   */
  troughMs(nowMs: number): number | null {
    const first = this.#bursts[0];
    const windowMs = this.windowMs();
    if (!first || nowMs - first.atMs < windowMs) return null;
    let min = Number.POSITIVE_INFINITY;
    for (let i = this.#bursts.length - 1; i >= 0; i--) {
      const b = this.#bursts[i] as Burst;
      if (nowMs - b.atMs > windowMs) break;
      min = Math.min(min, b.levelMs);
    }
    return Number.isFinite(min) ? min : null;
  }

  /** Trough − target: > 0 is backlog to play off or drop; null while unknown. */
  excessMs(nowMs: number): number | null {
    const trough = this.troughMs(nowMs);
    return trough === null ? null : trough - this.targetMs();
  }

  /**
   * The backlog was dropped (or skipped): every level in the history is `ms` lower from now on, so the
   * trough does not ask for the same drop twice.
   */
  dropped(ms: number): void {
    for (const b of this.#bursts) b.levelMs -= ms;
  }

  #gaps(): number[] {
    const out: number[] = [];
    for (const b of this.#bursts) if (b.gapMs !== null) out.push(b.gapMs);
    return out;
  }

  #calm(nowMs: number): void {
    if (this.#lastCalmCheckMs === null) {
      this.#lastCalmCheckMs = nowMs;
      return;
    }
    if (nowMs - this.#lastCalmCheckMs >= CALM_MS) {
      this.#lastCalmCheckMs = nowMs;
      this.#marginMs = Math.max(this.opts.minMs, this.#marginMs - SHRINK_MS);
    }
  }
}

function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))] as number;
}
