/**
 * The streaming EBML reader the splitter and the demuxer share (Icecast's `format_ebml.c` is the
 * model): fed a stream cut anywhere, push by push, it stops at every element header, passes over the
 * bodies its owner skips and hands over the bodies its owner reads. A header cut by the end of a push
 * is carried into the next one; a body read across pushes is gathered into one copy. It knows no
 * element ID: what an element means and where it may be are its owner's business (IDs in `ids.ts`).
 */
import type { ElementHeader, NeedMore, UnknownSize } from './ebml.js';
import { HeaderCarry, NEED_MORE, readElementHeader } from './ebml.js';

const EMPTY: Uint8Array = new Uint8Array(0);

export class EbmlReader implements ElementHeader {
  // The header next() met last. next() returns the reader itself as that header (valid until the next
  // call), so reading a header allocates nothing whether or not the caller's loop inlines next().
  id = 0;
  size: number | UnknownSize = 0;
  headerLength = 0;
  /** The push being read. */
  cur: Uint8Array = EMPTY;
  /** Where in `cur` the reader stands. */
  pos = 0;
  /** Stream offset of `cur[0]`. */
  base = 0;
  /** The bytes of the header last cut by the end of a push; they stay readable until the next cut. */
  readonly carry = new HeaderCarry();
  /** Where the header `next()` last met starts in `cur`: -1 when it began in an earlier push. */
  start = 0;
  /** Stream offset of the header `next()` last met (returned, or cut). */
  offset = 0;
  /** A push ended inside a header: `next()` completes it first. */
  private _cut = false;
  /** Body bytes still to pass over before the next header. */
  private _skip = 0;
  /** A body being read across pushes, and how much of it has arrived. */
  private gather: Uint8Array | null = null;
  private gathered = 0;

  /** True while a header cut by the end of a push waits for the next push. */
  get cut(): boolean {
    return this._cut;
  }

  /** True while a body read with `read()` has part of its bytes gathered from earlier pushes. */
  get gathering(): boolean {
    return this.gather !== null;
  }

  /** Starts reading `bytes`, whose first byte is at stream offset `base`. */
  begin(bytes: Uint8Array, base: number): void {
    this.cur = bytes;
    this.pos = 0;
    this.base = base;
  }

  /** Lets go of the push, so a caller's buffer is not kept between pushes. */
  end(): void {
    this.cur = EMPTY;
  }

  // Passes over what is left of a skipped body, then reads the header there (first completing one cut by
  // the end of the last push). Returns NEED_MORE when the push ends first: inside a body, at a boundary, or
  // inside a header (then `cut` is true, and `start`/`offset` say where it began). Throws WEBM_CORRUPT on a
  // corrupt ID or size. Else returns the header (the reader itself, valid until the next call;
  // `start`/`offset` say where) and stands at its data.
  next(): ElementHeader | NeedMore {
    // Kept small, the rare paths in methods of their own: the splitter's loop inlines it, and with it
    // readElementHeader, whose results then never reach the heap.
    if (this._cut) return this.resume();
    const cur = this.cur;
    const pos = this.pos + this._skip;
    if (pos >= cur.length) {
      this._skip = pos - cur.length;
      this.pos = cur.length;
      return NEED_MORE;
    }
    this._skip = 0;
    const offset = this.base + pos;
    this.start = pos;
    this.offset = offset;
    const header = readElementHeader(cur, pos, this.base);
    if (header === NEED_MORE) return this.hold(pos, offset);
    this.pos = pos + header.headerLength;
    return this.met(header);
  }

  private met(header: ElementHeader): ElementHeader {
    this.id = header.id;
    this.size = header.size;
    this.headerLength = header.headerLength;
    return this;
  }

  /** The push ends inside the header at `pos`: carries it to the next push. */
  private hold(pos: number, offset: number): NeedMore {
    this.carry.hold(this.cur, pos, offset);
    this._cut = true;
    this.pos = this.cur.length;
    return NEED_MORE;
  }

  /** Completes the carried header with this push's first bytes (NEED_MORE while still short). */
  private resume(): ElementHeader | NeedMore {
    const cur = this.cur;
    const carry = this.carry;
    const before = carry.length;
    const header = carry.resume(cur);
    this.start = -1;
    this.offset = carry.offset;
    if (header === NEED_MORE) {
      this.pos = cur.length;
      return NEED_MORE;
    }
    this._cut = false;
    this.pos = header.headerLength - before;
    return this.met(header);
  }

  /** Passes over the next `size` bytes, in this push or later ones (the body `next()` stands at). */
  skip(size: number): void {
    this._skip += size;
  }

  /** The byte at the reader's position without taking it; -1 at the end of the push. */
  peek(): number {
    return this.pos < this.cur.length ? (this.cur[this.pos] as number) : -1;
  }

  // Returns the next `n` bytes: a view of the push when they are all in it and none came earlier, else a
  // copy gathered across pushes. Returns NEED_MORE, keeping what this push had, when the push ends first;
  // call again with the same `n` once more bytes are pushed.
  read(n: number): Uint8Array | NeedMore {
    const cur = this.cur;
    const available = cur.length - this.pos;
    if (this.gather === null) {
      if (n <= available) {
        const view = cur.subarray(this.pos, this.pos + n);
        this.pos += n;
        return view;
      }
      // Nothing of it here yet: it may all come in the next push, and be a view of that.
      if (available === 0) return NEED_MORE;
      this.gather = new Uint8Array(n);
      this.gathered = 0;
    }
    const gather = this.gather;
    const take = Math.min(gather.length - this.gathered, available);
    gather.set(cur.subarray(this.pos, this.pos + take), this.gathered);
    this.gathered += take;
    this.pos += take;
    if (this.gathered < gather.length) return NEED_MORE;
    this.gather = null;
    return gather;
  }
}
