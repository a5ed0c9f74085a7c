/** Capped exponential backoff, the one both pages use between attempts (status socket, uploads, player). */

export class Backoff {
  readonly minMs: number;
  readonly maxMs: number;
  #nextMs: number;

  constructor(minMs: number, maxMs: number) {
    this.minMs = minMs;
    this.maxMs = maxMs;
    this.#nextMs = minMs;
  }

  /** The wait before the next attempt: minMs first, then double the last one, at most maxMs. */
  next(): number {
    const ms = this.#nextMs;
    this.#nextMs = Math.min(ms * 2, this.maxMs);
    return ms;
  }

  /** An attempt worked: the next wait is minMs again. */
  reset(): void {
    this.#nextMs = this.minMs;
  }
}
