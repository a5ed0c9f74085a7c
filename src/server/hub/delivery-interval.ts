/**
 * How often a mount's source delivers audio: the median time between its pushes, measured where the
 * packets output publishes them (one per source push, local or relayed). The listener pages take it
 * from the status as the floor of their buffer, so a source that sends one Ogg page a second is
 * covered from the first second instead of after a few underruns. Pure: times are passed in.
 */

/** Gaps the median is taken over. */
export const INTERVAL_GAPS = 16;
/** No figure before this many gaps (the first push of a broadcast comes at an odd time). */
export const MIN_GAPS = 2;
/** The announced figure changes only when the median moves by more than this fraction of it... */
export const CHANGE_FRACTION = 0.25;
/** ...and is rounded to this many ms. */
export const ROUND_MS = 10;

export class DeliveryInterval {
  #gaps: number[] = [];
  #lastMs: number | null = null;
  #announcedMs: number | null = null;

  /** A push at `nowMs`; true when the announced interval changed (status watchers should hear of it). */
  push(nowMs: number): boolean {
    const last = this.#lastMs;
    this.#lastMs = nowMs;
    if (last === null) return false;
    this.#gaps.push(nowMs - last);
    if (this.#gaps.length > INTERVAL_GAPS) this.#gaps.shift();
    if (this.#gaps.length < MIN_GAPS) return false;
    const sorted = [...this.#gaps].sort((a, b) => a - b);
    const median = sorted[Math.floor(sorted.length / 2)] as number;
    const rounded = Math.max(ROUND_MS, Math.round(median / ROUND_MS) * ROUND_MS);
    const announced = this.#announcedMs;
    if (announced !== null && Math.abs(rounded - announced) <= CHANGE_FRACTION * announced) return false;
    this.#announcedMs = rounded;
    return true;
  }

  /** The source's delivery interval in ms, or null while unknown. */
  get ms(): number | null {
    return this.#announcedMs;
  }

  /** Forgets everything (a new broadcast). */
  reset(): void {
    this.#gaps = [];
    this.#lastMs = null;
    this.#announcedMs = null;
  }
}
