/**
 * How far behind the arriving audio a live player should play, learnt from how the audio arrives, as
 * WebRTC's NetEq does it. Both rungs use it: the low-latency jitter buffer (in its AudioWorklet) and
 * the MSE live-edge control. Pure: no DOM, no clock of its own; times are passed in, in ms.
 *
 * Each arrival of audio is one sample of its **relative delay** `R = arrivalMs − writtenMs`: when it
 * came, minus where it starts in the player's media time (the audio written before it). A perfect
 * network and a source sending every 20 ms give the same R every time; jitter spreads R, and a
 * source that sends one 1 s page a second gives the same R every second (each page starts where the
 * previous one ended, a second later). The player plays `latency = nowMs − readMs` behind (its
 * playhead `readMs` in the same media time), so the buffer it holds just before arrival i is
 * `latency − R_i`. It never runs dry as long as `latency ≥ R + margin` for every R to come, so:
 *
 * - `requiredMs` is a high quantile (QUANTILE) of the R of the arrivals within the window
 *   (WINDOW_MS, and at least WINDOW_INTERVALS delivery intervals), but only as high as two slots of
 *   the window reached (SLOT_MS: a single outage is not kept), and never less than the R the
 *   next arrival will have if it comes one delivery interval after the last (the server's figure
 *   for the source, `setSourceInterval`, or the one observed; or now, when it is overdue). A late
 *   arrival after an underrun is a sample like any other: the target follows the jitter actually
 *   seen, not a count of underruns.
 * - `excessMs = latency − required − margin`: the player speeds up a little above 0 and drops a
 *   backlog far above it (the audio held back by a stall), without any bookkeeping of what it
 *   dropped: skipping, rate changes and silences move `readMs`, and with it the latency.
 * - Start (and restart after an underrun) once `latency ≥ required + margin`.
 *
 * The delay the buffer adds is capped (`maxMs` over the least delayed arrival in the window), so a
 * single long outage does not leave the player far behind for the whole window.
 */

export interface BufferTargetOptions {
  /** Buffer kept beyond the required latency: what the quantile does not see (timer jitter). */
  marginMs: number;
  /** The delivery interval assumed before any is known (no server figure, fewer than two bursts). */
  defaultIntervalMs: number;
  /** The buffer never adds more than this over the least delayed arrival of the window. */
  maxMs: number;
}

/** Arrivals closer than this belong to one burst (a decoder's outputs, one TCP read split in two). */
export const BURST_GAP_MS = 15;
/** R samples are taken over this long… */
export const WINDOW_MS = 20_000;
/** …and over at least this many delivery intervals. */
export const WINDOW_INTERVALS = 4;
/** The quantile of R the latency covers (NetEq aims at 0.95 and conceals the rest; we play only real audio). */
export const QUANTILE = 0.99;
/**
 * Arrivals are grouped into slots this long; the latency covers a delay only if at least two slots
 * of the window saw it. One outage (a page that lost its main thread for 3 s, a single network
 * stall) is a single slot: it costs its silence once and is not kept as latency for the whole
 * window, while repeated ones (a stall every 10 s, spikes, a 1 s-burst source) are covered.
 */
export const SLOT_MS = 1_000;
/** No backlog is played off or dropped before the history spans this long. */
export const MIN_HISTORY_MS = 3_000;
const MAX_BURSTS = 1_024;

interface Burst {
  atMs: number;
  /** Relative delay: arrival time − media position of its first audio, ms. */
  rMs: number;
}

export class BufferTarget {
  #bursts: Burst[] = [];
  #lastArrivalMs: number | null = null;
  #sourceIntervalMs: number | null = null;
  #underruns = 0;
  /** The quantile and the least R of the history and its median gap, computed once per change of it. */
  #stats: { q: number; floor: number; intervalMs: number | null } | null = null;

  constructor(private readonly opts: BufferTargetOptions) {}

  /** Audio arrived at `nowMs`, its first sample at media position `writtenMs` (what was written before it). */
  arrival(nowMs: number, writtenMs: number): void {
    const last = this.#lastArrivalMs;
    this.#lastArrivalMs = nowMs;
    if (last !== null && nowMs - last < BURST_GAP_MS) return;
    this.#bursts.push({ atMs: nowMs, rMs: nowMs - writtenMs });
    this.#stats = null;
    const keepMs = Math.max(WINDOW_MS, WINDOW_INTERVALS * this.#longestGapMs());
    while (
      this.#bursts.length > MAX_BURSTS ||
      (this.#bursts.length > 0 && nowMs - (this.#bursts[0] as Burst).atMs > keepMs)
    ) {
      this.#bursts.shift();
    }
  }

  /** The source's delivery interval as the server measures it (null: unknown). */
  setSourceInterval(ms: number | null): void {
    this.#sourceIntervalMs = ms !== null && ms > 0 ? ms : null;
  }

  /** The buffer ran dry (counted for the details line; the late arrival that follows is what teaches). */
  underrun(): void {
    this.#underruns++;
  }

  /** Underruns so far. */
  get underruns(): number {
    return this.#underruns;
  }

  /** The usual time between bursts: the median gap of the history, or null before two bursts. */
  intervalMs(): number | null {
    return this.#history()?.intervalMs ?? null;
  }

  /** The delivery interval the next arrival is expected after: the server's, else the observed, else the default. */
  expectedIntervalMs(): number {
    return this.#sourceIntervalMs ?? this.intervalMs() ?? this.opts.defaultIntervalMs;
  }

  /**
   * The latency (now − playhead) the next arrivals need, at `nowMs` with `writtenMs` of media
   * written so far; null before any arrival.
   */
  requiredMs(nowMs: number, writtenMs: number): number | null {
    const last = this.#lastArrivalMs;
    const stats = this.#history();
    if (last === null || stats === null) return null;
    // The next arrival: one interval after the last, or now if it is overdue.
    const next = Math.max(nowMs, last + this.expectedIntervalMs()) - writtenMs;
    return Math.min(Math.max(stats.q, next), stats.floor + this.opts.maxMs);
  }

  /** True when a player that holds audio can (re)start: its latency covers the required one plus the margin. */
  canStart(nowMs: number, readMs: number, writtenMs: number): boolean {
    const required = this.requiredMs(nowMs, writtenMs);
    return required !== null && nowMs - readMs >= required + this.opts.marginMs;
  }

  /**
   * Latency beyond the required one and the margin: > 0 is backlog to play off or drop. Null while the
   * history is too short to tell (then nothing should be dropped or sped up).
   */
  excessMs(nowMs: number, readMs: number, writtenMs: number): number | null {
    const first = this.#bursts[0];
    if (!first || nowMs - first.atMs < Math.max(MIN_HISTORY_MS, 2 * this.#longestGapMs())) return null;
    const required = this.requiredMs(nowMs, writtenMs);
    return required === null ? null : nowMs - readMs - required - this.opts.marginMs;
  }

  /**
   * What the buffer aims to hold just after a burst lands, ms (for the details line): the margin, the
   * spread of the delays it covers, and one delivery interval.
   */
  targetMs(nowMs: number, writtenMs: number): number {
    const required = this.requiredMs(nowMs, writtenMs);
    const stats = this.#history();
    const spread = required === null || stats === null ? 0 : Math.max(0, required - stats.floor);
    return this.opts.marginMs + Math.min(spread, this.opts.maxMs) + this.expectedIntervalMs();
  }

  #history(): { q: number; floor: number; intervalMs: number | null } | null {
    if (this.#bursts.length === 0) return null;
    if (this.#stats === null) {
      const rs = this.#bursts.map((b) => b.rMs);
      const gaps = this.#gaps();
      this.#stats = {
        q: Math.min(quantile(rs, QUANTILE), this.#secondWorstSlot()),
        floor: Math.min(...rs),
        intervalMs: gaps.length === 0 ? null : quantile(gaps, 0.5),
      };
    }
    return this.#stats;
  }

  /** The second highest of the slots' highest R (the highest when there is one slot). */
  #secondWorstSlot(): number {
    const worst = new Map<number, number>();
    for (const b of this.#bursts) {
      const slot = Math.floor(b.atMs / SLOT_MS);
      worst.set(slot, Math.max(worst.get(slot) ?? Number.NEGATIVE_INFINITY, b.rMs));
    }
    const sorted = [...worst.values()].sort((a, b) => b - a);
    return (sorted.length > 1 ? sorted[1] : sorted[0]) as number;
  }

  #gaps(): number[] {
    const out: number[] = [];
    for (let i = 1; i < this.#bursts.length; i++) {
      out.push((this.#bursts[i] as Burst).atMs - (this.#bursts[i - 1] as Burst).atMs);
    }
    return out;
  }

  #longestGapMs(): number {
    let longest = 0;
    for (let i = 1; i < this.#bursts.length; i++) {
      longest = Math.max(longest, (this.#bursts[i] as Burst).atMs - (this.#bursts[i - 1] as Burst).atMs);
    }
    return longest;
  }
}

function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))] as number;
}
