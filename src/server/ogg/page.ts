/**
 * Ogg pages (RFC 3533 §6): reading one from partial input, checking its CRC, and writing one with its
 * lacing table. Readers take `base`, the stream offset of `buf[0]`, used only to name bytes in error messages.
 */
import { ApiError } from '../errors.js';
import { oggCrc32 } from './crc.js';

/** Returned by a reader when the buffer ends before the page does; call again with more bytes. */
export const NEED_MORE: unique symbol = Symbol('NEED_MORE');
export type NeedMore = typeof NEED_MORE;

// Header type flags (byte 5).
/** The page's first segment continues a packet begun on an earlier page. */
export const FLAG_CONTINUED = 0x01;
/** First page of a logical stream. */
export const FLAG_BOS = 0x02;
/** Last page of a logical stream. */
export const FLAG_EOS = 0x04;

/** Bytes before the lacing table: capture pattern through segment count. */
export const PAGE_HEADER_BYTES = 27;
/** Lacing values a page holds at most. */
export const MAX_SEGMENTS = 255;
/** Largest page the format allows: a full lacing table of full segments. */
export const MAX_PAGE_BYTES = PAGE_HEADER_BYTES + MAX_SEGMENTS + MAX_SEGMENTS * 255;
/** Largest packet that fits on one page: 254 full segments and a 254-byte terminator. */
export const MAX_SINGLE_PAGE_PACKET = MAX_SEGMENTS * 255 - 1;
/** Granule position of a page on which no packet ends. */
export const NO_GRANULE = -1;

const CAPTURE = [0x4f, 0x67, 0x67, 0x53] as const; // "OggS"
const CRC_OFFSET = 22;
const ZERO_CRC = new Uint8Array(4);
const TWO_32 = 0x1_0000_0000;
/** 2^53 / 2^32: a granule whose high word reaches this is not a safe integer. */
const MAX_SAFE_HIGH = 0x20_0000;

export interface OggPage {
  /** FLAG_CONTINUED | FLAG_BOS | FLAG_EOS. */
  headerType: number;
  /** Codec-defined position after the last packet ending on this page; NO_GRANULE (-1) when none does. */
  granule: number;
  serial: number;
  sequence: number;
  /** The lacing table: one value per segment; a value below 255 ends a packet. A view, not a copy. */
  segments: Uint8Array;
  /** The page's data (the segments back to back). A view, not a copy. */
  body: Uint8Array;
}

export interface PageRead {
  page: OggPage;
  /** Bytes the page takes: header, lacing table and body. */
  length: number;
}

export interface PageFields {
  headerType?: number;
  granule: number;
  serial: number;
  sequence: number;
}

function corrupt(message: string): ApiError {
  return new ApiError('OGG_CORRUPT', message);
}

function hex32(v: number): string {
  return `0x${(v >>> 0).toString(16).toUpperCase().padStart(8, '0')}`;
}

function readU32(buf: Uint8Array, at: number): number {
  return (
    ((buf[at] as number) |
      ((buf[at + 1] as number) << 8) |
      ((buf[at + 2] as number) << 16) |
      ((buf[at + 3] as number) << 24)) >>>
    0
  );
}

function writeU32(buf: Uint8Array, at: number, v: number): void {
  buf[at] = v & 0xff;
  buf[at + 1] = (v >>> 8) & 0xff;
  buf[at + 2] = (v >>> 16) & 0xff;
  buf[at + 3] = (v >>> 24) & 0xff;
}

// Returns NEED_MORE when `buf` ends before the page's header and lacing table (including pos >= length).
// Throws OGG_CORRUPT as soon as the bytes present contradict a page start: no "OggS", a version other than 0,
// or unknown header type flags. Else returns the whole page's length in bytes (at most MAX_PAGE_BYTES).
export function peekPageLength(buf: Uint8Array, pos: number, base = 0): number | NeedMore {
  const available = buf.length - pos;
  if (available <= 0) return NEED_MORE;
  const prefix = Math.min(available, CAPTURE.length);
  for (let i = 0; i < prefix; i++) {
    if (buf[pos + i] !== CAPTURE[i]) {
      throw corrupt(`no Ogg page at byte ${base + pos}: expected the capture pattern "OggS"`);
    }
  }
  if (available > 4 && buf[pos + 4] !== 0) {
    throw corrupt(`Ogg page at byte ${base + pos} has stream structure version ${buf[pos + 4]}, not 0`);
  }
  if (available > 5 && (buf[pos + 5] as number) > 7) {
    throw corrupt(
      `Ogg page at byte ${base + pos} has unknown header type flags 0x${buf[pos + 5]?.toString(16)}`,
    );
  }
  if (available < PAGE_HEADER_BYTES) return NEED_MORE;
  const count = buf[pos + 26] as number;
  const headerLength = PAGE_HEADER_BYTES + count;
  if (available < headerLength) return NEED_MORE;
  let length = headerLength;
  for (let i = pos + PAGE_HEADER_BYTES, end = pos + headerLength; i < end; i++) length += buf[i] as number;
  return length;
}

// Returns NEED_MORE when `buf` ends before the whole page at `pos`.
// Throws OGG_CORRUPT on a bad page start (as peekPageLength), a CRC mismatch, or a granule position that
// is neither -1 nor in [0, 2^53 - 1]. Else returns {page, length}; the page's fields are views into `buf`.
export function readPage(buf: Uint8Array, pos: number, base = 0): PageRead | NeedMore {
  const length = peekPageLength(buf, pos, base);
  if (length === NEED_MORE || pos + length > buf.length) return NEED_MORE;
  const stored = readU32(buf, pos + CRC_OFFSET);
  let crc = oggCrc32(buf, pos, pos + CRC_OFFSET);
  crc = oggCrc32(ZERO_CRC, 0, 4, crc);
  crc = oggCrc32(buf, pos + CRC_OFFSET + 4, pos + length, crc);
  if (crc !== stored) {
    throw corrupt(
      `Ogg page at byte ${base + pos} fails its CRC check: stored ${hex32(stored)}, computed ${hex32(crc)}`,
    );
  }
  const low = readU32(buf, pos + 6);
  const high = readU32(buf, pos + 10);
  let granule: number;
  if (high < MAX_SAFE_HIGH) granule = high * TWO_32 + low;
  else if (high === 0xffffffff && low === 0xffffffff) granule = NO_GRANULE;
  else {
    throw corrupt(
      `Ogg page at byte ${base + pos} has granule position ${hex32(high)}${hex32(low).slice(2)}, outside [-1, 2^53 - 1]`,
    );
  }
  const count = buf[pos + 26] as number;
  const bodyStart = pos + PAGE_HEADER_BYTES + count;
  return {
    page: {
      headerType: buf[pos + 5] as number,
      granule,
      serial: readU32(buf, pos + 14),
      sequence: readU32(buf, pos + 18),
      segments: buf.subarray(pos + PAGE_HEADER_BYTES, bodyStart),
      body: buf.subarray(bodyStart, pos + length),
    },
    length,
  };
}

/** Lacing values a packet of `bytes` takes: one per full 255 bytes, plus a final value below 255 (maybe 0). */
export function lacingCount(bytes: number): number {
  return Math.floor(bytes / 255) + 1;
}

/**
 * Writes the 27 fixed header bytes of a page with `segmentCount` lacing values at `dst[at]`, CRC field zeroed.
 * Throws RangeError on a field out of range (a caller bug, not bad input).
 */
export function writePageHeader(dst: Uint8Array, at: number, fields: PageFields, segmentCount: number): void {
  const { headerType = 0, granule, serial, sequence } = fields;
  if (!Number.isInteger(headerType) || headerType < 0 || headerType > 7) {
    throw new RangeError(`Ogg header type must be a combination of the flags 1, 2 and 4, got ${headerType}`);
  }
  if (!(Number.isSafeInteger(granule) && granule >= NO_GRANULE)) {
    throw new RangeError(`Ogg granule position must be -1 or a safe non-negative integer, got ${granule}`);
  }
  checkU32('serial', serial);
  checkU32('sequence', sequence);
  if (!Number.isInteger(segmentCount) || segmentCount < 0 || segmentCount > MAX_SEGMENTS) {
    throw new RangeError(`an Ogg page holds 0–255 lacing values, got ${segmentCount}`);
  }
  dst.set(CAPTURE, at);
  dst[at + 4] = 0;
  dst[at + 5] = headerType;
  if (granule === NO_GRANULE) {
    writeU32(dst, at + 6, 0xffffffff);
    writeU32(dst, at + 10, 0xffffffff);
  } else {
    writeU32(dst, at + 6, granule % TWO_32);
    writeU32(dst, at + 10, Math.floor(granule / TWO_32));
  }
  writeU32(dst, at + 14, serial);
  writeU32(dst, at + 18, sequence);
  writeU32(dst, at + CRC_OFFSET, 0);
  dst[at + 26] = segmentCount;
}

function checkU32(name: string, v: number): void {
  if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) {
    throw new RangeError(`Ogg ${name} must be an unsigned 32-bit integer, got ${v}`);
  }
}

/** Computes the CRC of the complete page `dst[at, at + length)` and stores it in the page's CRC field. */
export function sealPage(dst: Uint8Array, at: number, length: number): void {
  writeU32(dst, at + CRC_OFFSET, 0);
  writeU32(dst, at + CRC_OFFSET, oggCrc32(dst, at, at + length));
}

/**
 * Builds one page holding `packets`, each ending on it (so each is at most MAX_SINGLE_PAGE_PACKET bytes and
 * their lacing values fit in 255). A packet whose length is a multiple of 255 gets a 0 terminator.
 * Throws RangeError when they do not fit. To continue a packet across pages, use writeRawPage.
 */
export function writePage(fields: PageFields, packets: readonly Uint8Array[]): Uint8Array {
  let segmentCount = 0;
  let bodyLength = 0;
  for (const p of packets) {
    segmentCount += lacingCount(p.length);
    bodyLength += p.length;
  }
  if (segmentCount > MAX_SEGMENTS) {
    throw new RangeError(
      `packets of ${bodyLength} bytes need ${segmentCount} lacing values; a page holds 255`,
    );
  }
  const length = PAGE_HEADER_BYTES + segmentCount + bodyLength;
  const out = new Uint8Array(length);
  writePageHeader(out, 0, fields, segmentCount);
  let lace = PAGE_HEADER_BYTES;
  let body = PAGE_HEADER_BYTES + segmentCount;
  for (const p of packets) {
    for (let left = p.length; ; left -= 255) {
      if (left < 255) {
        out[lace++] = left;
        break;
      }
      out[lace++] = 255;
    }
    out.set(p, body);
    body += p.length;
  }
  sealPage(out, 0, length);
  return out;
}

/**
 * Builds one page from a lacing table and the body it describes, for pages that begin or end inside a packet.
 * Throws RangeError when `segments` has more than 255 values or does not add up to `body.length`.
 */
export function writeRawPage(fields: PageFields, segments: ArrayLike<number>, body: Uint8Array): Uint8Array {
  let sum = 0;
  for (let i = 0; i < segments.length; i++) sum += segments[i] as number;
  if (sum !== body.length) {
    throw new RangeError(`lacing values add up to ${sum} bytes but the body has ${body.length}`);
  }
  const length = PAGE_HEADER_BYTES + segments.length + body.length;
  const out = new Uint8Array(length);
  writePageHeader(out, 0, fields, segments.length);
  for (let i = 0; i < segments.length; i++) {
    const v = segments[i] as number;
    if (!Number.isInteger(v) || v < 0 || v > 255) throw new RangeError(`a lacing value is 0–255, got ${v}`);
    out[PAGE_HEADER_BYTES + i] = v;
  }
  out.set(body, PAGE_HEADER_BYTES + segments.length);
  sealPage(out, 0, length);
  return out;
}
