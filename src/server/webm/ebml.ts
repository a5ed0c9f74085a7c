/**
 * EBML primitives: element IDs, variable-size integers and element headers, read from partial input
 * (the IDs themselves are in `ids.ts`).
 * Each reader takes `base`, the stream offset of `buf[0]`, used only to name the byte in error messages.
 */
import { ApiError } from '../errors.js';
import { hexId } from './ids.js';

/** Returned by a reader when the buffer ends before the value does; call again with more bytes. */
export const NEED_MORE: unique symbol = Symbol('NEED_MORE');
export type NeedMore = typeof NEED_MORE;

/** Size of an element whose data size is all ones ("unknown"): it ends where its parent's next child starts. */
export const UNKNOWN_SIZE: unique symbol = Symbol('UNKNOWN_SIZE');
export type UnknownSize = typeof UNKNOWN_SIZE;

/** Longest element header: a 4-byte ID plus an 8-byte size. */
export const MAX_HEADER_LENGTH = 12;

export interface Vint {
  /** The integer without its length marker, or UNKNOWN_SIZE when all its data bits are 1. */
  value: number | UnknownSize;
  /** Bytes the integer takes, 1–8. */
  length: number;
}

export interface ElementId {
  /** The ID with its length marker, as written in the spec (`0xA3`, `0x1F43B675`). */
  value: number;
  /** Bytes the ID takes, 1–4. */
  length: number;
}

export interface ElementHeader {
  id: number;
  /** Bytes of data after the header, or UNKNOWN_SIZE. */
  size: number | UnknownSize;
  /** Bytes of ID plus size. */
  headerLength: number;
}

/** Data bits of an ID of each length (index 0 is 0, so 1-byte IDs pass the shortest-form check). */
const ID_DATA_MASK = [0, 0x7f, 0x3fff, 0x1fffff, 0xfffffff] as const;

function corrupt(message: string): ApiError {
  return new ApiError('WEBM_CORRUPT', message);
}

function hexByte(b: number): string {
  return `0x${b.toString(16).toUpperCase().padStart(2, '0')}`;
}

// Returns NEED_MORE when `buf` ends before the whole integer at `pos` (including when pos >= buf.length).
// Throws WEBM_CORRUPT when the first byte is 0x00 (longer than 8 bytes) or the value is above 2^53 - 1.
// Else returns {value, length}; value is UNKNOWN_SIZE when every data bit is 1, whatever the width.
export function readVint(buf: Uint8Array, pos: number, base = 0): Vint | NeedMore {
  if (pos >= buf.length) return NEED_MORE;
  const first = buf[pos] as number;
  if (first === 0) {
    throw corrupt(
      `invalid element size at byte ${base + pos}: first byte 0x00 would make it longer than 8 bytes`,
    );
  }
  // 0x80 → 1 byte, 0x40 → 2 bytes, …, 0x01 → 8 bytes.
  const length = Math.clz32(first) - 23;
  if (pos + length > buf.length) return NEED_MORE;
  const mask = 0xff >> length;
  let value = first & mask;
  let allOnes = value === mask;
  for (let i = 1; i < length; i++) {
    const b = buf[pos + i] as number;
    if (b !== 0xff) allOnes = false;
    // Multiply, not shift: sizes go past 32 bits. Exact while below 2^53, and any
    // larger value still lands at or above 2^53, so the check below holds.
    value = value * 256 + b;
  }
  if (allOnes) return { value: UNKNOWN_SIZE, length };
  if (value > Number.MAX_SAFE_INTEGER) {
    throw corrupt(`element size at byte ${base + pos} is larger than 2^53 - 1 bytes; no stream is that long`);
  }
  return { value, length };
}

// Returns NEED_MORE when `buf` ends before the whole ID at `pos` (including when pos >= buf.length).
// Throws WEBM_CORRUPT when the ID would be longer than 4 bytes, its data bits are all 0 or all 1
// (reserved), or it is not in its shortest form. Else returns {value, length}; value keeps the marker.
export function readId(buf: Uint8Array, pos: number, base = 0): ElementId | NeedMore {
  if (pos >= buf.length) return NEED_MORE;
  const first = buf[pos] as number;
  if (first < 0x10) {
    throw corrupt(
      `invalid element ID at byte ${base + pos}: first byte ${hexByte(first)} would make it longer than 4 bytes`,
    );
  }
  const length = Math.clz32(first) - 23;
  if (pos + length > buf.length) return NEED_MORE;
  // At most 0x1FFFFFFF, so 32-bit integer arithmetic stays positive.
  let id = first;
  for (let i = 1; i < length; i++) id = (id << 8) | (buf[pos + i] as number);
  const dataMask = ID_DATA_MASK[length] as number;
  const data = id & dataMask;
  if (data === dataMask || data === 0) {
    throw corrupt(`invalid element ID ${hexId(id)} at byte ${base + pos}: its value is reserved`);
  }
  // RFC 8794 §5: an ID that fits in fewer bytes must use them (all ones being reserved, the
  // largest value of each width is the first that needs the next width).
  if (data < (ID_DATA_MASK[length - 1] as number)) {
    throw corrupt(`invalid element ID ${hexId(id)} at byte ${base + pos}: not in its shortest form`);
  }
  return { value: id, length };
}

// Returns NEED_MORE when `buf` ends before the whole header (ID and size) at `pos`.
// Throws WEBM_CORRUPT on a corrupt ID or size, as readId and readVint do.
// Else returns {id, size, headerLength}; size is UNKNOWN_SIZE when all its data bits are 1.
export function readElementHeader(buf: Uint8Array, pos: number, base = 0): ElementHeader | NeedMore {
  const id = readId(buf, pos, base);
  if (id === NEED_MORE) return NEED_MORE;
  const size = readVint(buf, pos + id.length, base);
  if (size === NEED_MORE) return NEED_MORE;
  return { id: id.value, size: size.value, headerLength: id.length + size.length };
}

/**
 * An element header cut by the end of a push, kept until a later push completes it: the one place the
 * splitter and the demuxer hold header bytes across pushes (at most {@link MAX_HEADER_LENGTH}).
 */
export class HeaderCarry {
  private readonly _bytes = new Uint8Array(MAX_HEADER_LENGTH);
  private _length = 0;
  private _offset = 0;

  /** Bytes held; 0 when no header is cut. */
  get length(): number {
    return this._length;
  }

  /** Stream offset of the held header's first byte. */
  get offset(): number {
    return this._offset;
  }

  /** The held bytes: a view, valid until the next {@link hold}, {@link resume} or {@link clear}. */
  get bytes(): Uint8Array {
    return this._bytes.subarray(0, this._length);
  }

  /**
   * Keeps `buf[pos..]`, a header readElementHeader found short (so fewer than MAX_HEADER_LENGTH bytes),
   * as the start of the header at stream offset `offset`.
   */
  hold(buf: Uint8Array, pos: number, offset: number): void {
    this._bytes.set(buf.subarray(pos), 0);
    this._length = buf.length - pos;
    this._offset = offset;
  }

  // Appends the first bytes of `buf` to the held ones (only as many as a header can take) and reads the header.
  // Returns NEED_MORE when all of `buf` went in and the header is still short: the bytes stay held.
  // Throws WEBM_CORRUPT on a corrupt ID or size, as readElementHeader does. Else returns the header; its data
  // starts at `headerLength - before` in `buf` (`before`: the held length before this call). The bytes stay
  // held, all of the header and maybe more, until clear().
  resume(buf: Uint8Array): ElementHeader | NeedMore {
    const before = this._length;
    const take = Math.min(MAX_HEADER_LENGTH - before, buf.length);
    this._bytes.set(buf.subarray(0, take), before);
    this._length = before + take;
    return readElementHeader(this.bytes, 0, this._offset);
  }

  /** Forgets the held bytes. */
  clear(): void {
    this._length = 0;
  }
}
