/** The server's own count of bytes received in this broadcast (status socket `bytesIn`), shared with the uploaders. */

export class ServerBytes {
  #value: number | null = null;
  readonly #listeners = new Set<(bytes: number) => void>();

  /** Latest count, or null before the first status message of this broadcast. */
  get latest(): number | null {
    return this.#value;
  }

  /** Forget the count (a new broadcast starts at 0). */
  reset(): void {
    this.#value = null;
  }

  update(bytes: number): void {
    this.#value = bytes;
    for (const fn of [...this.#listeners]) fn(bytes);
  }

  /** Calls `fn` on every update until the returned function is called. */
  subscribe(fn: (bytes: number) => void): () => void {
    this.#listeners.add(fn);
    return () => this.#listeners.delete(fn);
  }
}
