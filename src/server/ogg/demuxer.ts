/**
 * Ogg Opus demuxer: reads a live Ogg stream (RFC 3533) cut anywhere and emits its Opus headers
 * (RFC 7845 §5), its audio packets with timestamps, and its raw audio pages for relaying as they are.
 */
import { ApiError } from '../errors.js';
import type { OpusHeader, OpusPacket } from '../opus/opus-packet.js';
import {
  hasMagic,
  isOpusHead,
  opusPacketSamples,
  parseOpusHead,
  parseOpusTags,
} from '../opus/opus-packet.js';
import type { OggPage } from './page.js';
import {
  FLAG_BOS,
  FLAG_CONTINUED,
  FLAG_EOS,
  MAX_SEGMENTS,
  NEED_MORE,
  NO_GRANULE,
  PAGE_HEADER_BYTES,
  peekPageLength,
  readPage,
} from './page.js';

/** Cap on one packet reassembled across pages (the comment header included, cover art and all). */
export const DEFAULT_MAX_PACKET_BYTES = 256 * 1024;

export interface OggOpusDemuxerOptions {
  /** Largest packet accepted, in bytes; a larger one fails with OGG_PAGE_TOO_LARGE. */
  maxPacketBytes: number;
}

export type OggOutput =
  /** A logical stream starts: its ID header. Once per chained link. */
  | { kind: 'header'; header: OpusHeader; serial: number }
  | {
      /** The comment header, which ends the link's header pages. */
      kind: 'tags';
      vendor: string;
      /** `KEY=value` strings, as stored (TITLE=…, ARTIST=…). */
      comments: string[];
      /**
       * The link's header pages exactly as received (the ID header page, then the comment header pages):
       * what a listener of the relayed pages needs first. A copy.
       */
      headerPages: Uint8Array;
    }
  | {
      kind: 'packet';
      packet: OpusPacket;
      /**
       * Set (true) on the last packet of a link, the last one ending on its end-of-stream page. A muxer
       * should end its own link with it: `muxer.packets(pagePackets, {endOfStream, discardSamples})`.
       */
      endOfStream?: boolean;
      /**
       * Samples to drop from the end of this packet's decoded audio: set (above 0) only on the last packet
       * of a link whose final granule position trims it (RFC 7845 §4.4).
       */
      discardSamples?: number;
    }
  | {
      /** One audio page of the Opus stream, byte for byte, after the packets it completes. */
      kind: 'page';
      bytes: Uint8Array;
      /** True when the page starts with a fresh packet (not a continued one): a listener may start here. */
      syncPoint: boolean;
    };

/** What the demuxer expects from the next page of the Opus stream. */
type State = 'first-bos' | 'tags' | 'audio' | 'ended';

const EMPTY: Uint8Array = new Uint8Array(0);

/** First bytes of the first packet of other Ogg codecs, to name them when refusing them. */
const OTHER_CODECS: ReadonlyArray<readonly [string, readonly number[]]> = [
  ['Vorbis', [0x01, 0x76, 0x6f, 0x72, 0x62, 0x69, 0x73]],
  ['FLAC', [0x7f, 0x46, 0x4c, 0x41, 0x43]],
  ['Speex', [0x53, 0x70, 0x65, 0x65, 0x78, 0x20, 0x20, 0x20]],
  ['Theora', [0x80, 0x74, 0x68, 0x65, 0x6f, 0x72, 0x61]],
  ['Skeleton', [0x66, 0x69, 0x73, 0x68, 0x65, 0x61, 0x64, 0x00]],
  ['Kate', [0x80, 0x6b, 0x61, 0x74, 0x65, 0x00, 0x00, 0x00]],
  ['CELT', [0x43, 0x45, 0x4c, 0x54, 0x20, 0x20, 0x20, 0x20]],
];

function codecName(packet: Uint8Array): string {
  for (const [name, magic] of OTHER_CODECS) if (hasMagic(packet, magic)) return name;
  return 'an unknown codec';
}

function corrupt(message: string): ApiError {
  return new ApiError('OGG_CORRUPT', message);
}

function concat(parts: readonly Uint8Array[], length: number): Uint8Array {
  const out = new Uint8Array(length);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function internalError(err: unknown): ApiError {
  const reason = err instanceof Error ? err.message : String(err);
  return new ApiError('INTERNAL', `Ogg demuxer failed: ${reason}`, { cause: err });
}

function checkLimit(name: keyof OggOpusDemuxerOptions, value: unknown): void {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value <= 0) {
    throw new RangeError(`OggOpusDemuxer option '${name}' must be a positive integer, got ${String(value)}`);
  }
}

/**
 * Demuxes a live Ogg Opus stream as it arrives. Feed every received piece to `push()`; it returns what
 * those bytes complete, in stream order: per link (chained streams restart with a new BOS page) one
 * `header`, one `tags`, then for each audio page its completed `packet`s followed by the `page` itself.
 *
 * Timestamps count samples: the first audio packet has pts 0 and each next one starts where the previous
 * ended, across chained links too, whatever the granule positions say. Granule positions only locate the
 * stream's start (a stream joined mid-way starts above 0), reveal end trimming, and count jumps.
 *
 * Only the first logical stream of each link is read; pages of other streams multiplexed with it are
 * skipped and not relayed. Empty audio packets (Liquidsoap ends a link with one) are skipped and counted
 * ({@link emptyPackets}). Packets and pages are views of the pushed bytes when they lie in one push
 * (callers must not reuse a pushed buffer), else copies. Every failure is a ApiError: OGG_CORRUPT, or
 * OGG_PAGE_TOO_LARGE for a packet above `maxPacketBytes`. A throw is final: the outputs of the failing
 * push are lost and every later push throws too.
 */
export class OggOpusDemuxer {
  private readonly maxPacketBytes: number;

  private state: State = 'first-bos';
  private _bytesIn = 0;
  private failure: unknown = null;

  // The current link.
  private serial = -1;
  private nextSequence = 0;
  private _header: OpusHeader | null = null;
  private _headerPages: Uint8Array | null = null;
  private headerParts: Uint8Array[] = [];
  private headerPartsLength = 0;
  /** Samples of the link's packets so far. */
  private linkSamples = 0;
  /** Granule position minus samples counted, from the link's first page where a packet ends; null before. */
  private granuleOffset: number | null = null;

  /** Pts of the next packet. */
  private pts = 0;
  private _granuleJumps = 0;
  private _emptyPackets = 0;
  private _links = 0;

  // A packet begun on an earlier page.
  private partial: Uint8Array[] = [];
  private partialLength = 0;

  // A page cut by the end of a push: its first bytes, copied.
  private pending = EMPTY;
  private pendingLength = 0;
  private pendingOffset = 0;

  private out: OggOutput[] = [];

  constructor(options: Partial<OggOpusDemuxerOptions> = {}) {
    const opts: OggOpusDemuxerOptions = { maxPacketBytes: DEFAULT_MAX_PACKET_BYTES, ...options };
    checkLimit('maxPacketBytes', opts.maxPacketBytes);
    this.maxPacketBytes = opts.maxPacketBytes;
  }

  /** Bytes pushed so far. */
  get bytesIn(): number {
    return this._bytesIn;
  }

  /** The current link's ID header, once seen. */
  get header(): OpusHeader | null {
    return this._header;
  }

  /** The current link's header pages as received (the `tags` output's `headerPages`), once complete. */
  get headerPages(): Uint8Array | null {
    return this._headerPages;
  }

  /** Pts the next packet will get: the samples emitted so far. */
  get nextPts(): number {
    return this.pts;
  }

  /** Pages whose granule position disagreed with the samples counted (each re-bases the check). */
  get granuleJumps(): number {
    return this._granuleJumps;
  }

  /** Empty audio packets skipped (a packet of zero bytes decodes to nothing). */
  get emptyPackets(): number {
    return this._emptyPackets;
  }

  /** Logical streams (links) begun so far: 1 for an unchained stream. */
  get links(): number {
    return this._links;
  }

  /** Parses `bytes` and returns what they complete, in stream order. Throws ApiError on bad input. */
  push(bytes: Uint8Array): OggOutput[] {
    if (this.failure !== null) {
      const cause = this.failure;
      const code = cause instanceof ApiError ? cause.code : 'INTERNAL';
      const reason = cause instanceof Error ? cause.message : String(cause);
      throw new ApiError(code, `Ogg demuxer cannot continue after an earlier error: ${reason}`, { cause });
    }
    const out: OggOutput[] = [];
    if (bytes.length === 0) return out;
    const base = this._bytesIn;
    this._bytesIn += bytes.length;
    this.out = out;
    try {
      this.parse(bytes, base);
    } catch (err) {
      // Contract: only ApiError leaves push(); anything else is a bug, reported as such.
      const failure = err instanceof ApiError ? err : internalError(err);
      this.failure = failure;
      throw failure;
    } finally {
      this.out = [];
    }
    return out;
  }

  private parse(bytes: Uint8Array, base: number): void {
    let pos = 0;
    if (this.pendingLength > 0) {
      pos = this.fillPending(bytes);
      if (pos < 0) return;
    }
    const len = bytes.length;
    while (pos < len) {
      const length = peekPageLength(bytes, pos, base);
      if (length === NEED_MORE || pos + length > len) {
        this.hold(bytes, pos, length, base + pos);
        return;
      }
      const read = readPage(bytes, pos, base);
      if (read === NEED_MORE) throw new Error('a complete page read as incomplete');
      this.onPage(read.page, bytes.subarray(pos, pos + length), base + pos);
      pos += length;
    }
  }

  /** Copies the start of a page cut by the end of this push, `length` being its size when known. */
  private hold(bytes: Uint8Array, pos: number, length: number | typeof NEED_MORE, offset: number): void {
    const rest = bytes.length - pos;
    this.pending = new Uint8Array(length === NEED_MORE ? PAGE_HEADER_BYTES + MAX_SEGMENTS : length);
    this.pending.set(bytes.subarray(pos), 0);
    this.pendingLength = rest;
    this.pendingOffset = offset;
  }

  /** Completes the held page from `bytes`; returns where the rest of `bytes` starts, or -1 if it ran out. */
  private fillPending(bytes: Uint8Array): number {
    let pos = 0;
    for (;;) {
      const held = this.pending.subarray(0, this.pendingLength);
      const length = peekPageLength(held, 0, this.pendingOffset);
      if (length !== NEED_MORE && this.pendingLength === length) {
        const read = readPage(held, 0, this.pendingOffset);
        if (read === NEED_MORE) throw new Error('a complete held page read as incomplete');
        // The buffer now belongs to the outputs: never reuse it.
        this.pending = EMPTY;
        this.pendingLength = 0;
        this.onPage(read.page, held, this.pendingOffset);
        return pos;
      }
      if (pos >= bytes.length) return -1;
      let target: number;
      if (length !== NEED_MORE) target = length;
      else if (this.pendingLength < PAGE_HEADER_BYTES) target = PAGE_HEADER_BYTES;
      else target = PAGE_HEADER_BYTES + (this.pending[26] as number);
      if (length !== NEED_MORE && this.pending.length !== length) {
        const exact = new Uint8Array(length);
        exact.set(held, 0);
        this.pending = exact;
      }
      const take = Math.min(target - this.pendingLength, bytes.length - pos);
      this.pending.set(bytes.subarray(pos, pos + take), this.pendingLength);
      this.pendingLength += take;
      pos += take;
    }
  }

  private onPage(page: OggPage, bytes: Uint8Array, offset: number): void {
    if (page.headerType & FLAG_BOS) {
      if (this.state === 'tags') {
        if (page.serial === this.serial) {
          throw corrupt(`second beginning-of-stream page for serial ${page.serial} at byte ${offset}`);
        }
        return; // Another stream grouped with ours: skipped.
      }
      // The first link, or a new link chained after the current one (ended or not).
      this.startLink(page, bytes, offset);
      return;
    }
    if (this.state === 'first-bos') {
      throw corrupt(`the Ogg stream does not start with a beginning-of-stream page (byte ${offset})`);
    }
    if (page.serial !== this.serial || this.state === 'ended') return;
    if (page.sequence !== this.nextSequence) this.onGap(page, offset);
    this.nextSequence = (page.sequence + 1) >>> 0;
    if (this.state === 'tags') this.onTagsPage(page, bytes, offset);
    else this.onAudioPage(page, bytes, offset);
    if (page.headerType & FLAG_EOS) {
      this.state = 'ended';
      this.dropPartial();
    }
  }

  private startLink(page: OggPage, bytes: Uint8Array, offset: number): void {
    this.dropPartial();
    const segments = page.segments;
    let size = 0;
    let i = 0;
    while (i < segments.length && segments[i] === 255) {
      size += 255;
      i++;
    }
    const ends = i < segments.length;
    if (ends) size += segments[i] as number;
    const first = page.body.subarray(0, size);
    if (!isOpusHead(first)) {
      throw corrupt(
        `only Ogg Opus is supported: the first logical stream (serial ${page.serial}, page at byte ${offset}) ` +
          `carries ${codecName(first)}`,
      );
    }
    if (!ends || i !== segments.length - 1 || page.headerType & FLAG_CONTINUED) {
      throw corrupt(`the Opus ID header must be alone on its page (RFC 7845 §3); page at byte ${offset}`);
    }
    if (page.headerType & FLAG_EOS) throw corrupt(`the Opus stream at byte ${offset} ends on its first page`);
    const header = parseOpusHead(first.slice());
    this.serial = page.serial;
    this.nextSequence = (page.sequence + 1) >>> 0;
    this._header = header;
    this._headerPages = null;
    this.headerParts = [bytes];
    this.headerPartsLength = bytes.length;
    this.linkSamples = 0;
    this.granuleOffset = null;
    this.state = 'tags';
    this._links++;
    this.out.push({ kind: 'header', header, serial: page.serial });
  }

  private onGap(page: OggPage, offset: number): void {
    if (this.state === 'tags') {
      throw corrupt(
        `Ogg page ${page.sequence} at byte ${offset} follows page ${this.nextSequence - 1}: ` +
          'pages of the comment header are missing',
      );
    }
    // Lost pages: the packet they were carrying cannot be completed.
    this.dropPartial();
  }

  private onTagsPage(page: OggPage, bytes: Uint8Array, offset: number): void {
    this.headerParts.push(bytes);
    this.headerPartsLength += bytes.length;
    const segments = page.segments;
    const continued = (page.headerType & FLAG_CONTINUED) !== 0;
    if (continued !== this.partialLength > 0) {
      throw corrupt(
        continued
          ? `Ogg page at byte ${offset} continues a packet, but the Opus comment header starts there`
          : `Ogg page at byte ${offset} breaks off the Opus comment header it should continue`,
      );
    }
    let i = 0;
    let size = 0;
    while (i < segments.length && segments[i] === 255) {
      size += 255;
      i++;
    }
    if (i === segments.length) {
      this.addPartial(page.body.subarray(0, size), offset);
      return;
    }
    size += segments[i] as number;
    const raw = this.completePacket(page.body.subarray(0, size), offset);
    if (i !== segments.length - 1) {
      throw corrupt(
        `audio data must begin on a fresh page after the Opus comment header (RFC 7845 §3); page at byte ${offset}`,
      );
    }
    const tags = parseOpusTags(raw);
    const headerPages = concat(this.headerParts, this.headerPartsLength);
    this._headerPages = headerPages;
    this.headerParts = [];
    this.headerPartsLength = 0;
    this.state = 'audio';
    this.out.push({ kind: 'tags', vendor: tags.vendor, comments: tags.comments, headerPages });
  }

  private onAudioPage(page: OggPage, bytes: Uint8Array, offset: number): void {
    const segments = page.segments;
    const body = page.body;
    let i = 0;
    let at = 0;
    if (page.headerType & FLAG_CONTINUED) {
      if (this.partialLength === 0) {
        // The start of this packet was lost (or never sent): skip its remaining segments.
        while (i < segments.length) {
          const v = segments[i++] as number;
          at += v;
          if (v < 255) break;
        }
      }
    } else if (this.partialLength > 0) {
      // The previous page promised a continuation this page does not carry.
      this.dropPartial();
    }
    let last: Extract<OggOutput, { kind: 'packet' }> | null = null;
    let start = at;
    while (i < segments.length) {
      const v = segments[i++] as number;
      at += v;
      if (v === 255) continue;
      const data = this.completePacket(body.subarray(start, at), offset);
      start = at;
      if (data.length === 0) {
        // Not an Opus packet (each has its TOC byte), but harmless: encoders (Liquidsoap at a track
        // change) write one to end a link. Nothing to decode, so it is skipped and counted.
        this._emptyPackets++;
        continue;
      }
      const samples = opusPacketSamples(data);
      last = { kind: 'packet', packet: { data, pts: this.pts, samples } };
      this.out.push(last);
      this.pts += samples;
      this.linkSamples += samples;
    }
    if (start < at) this.addPartial(body.subarray(start, at), offset);
    if (last !== null) {
      this.checkGranule(page, last);
      if (page.headerType & FLAG_EOS) last.endOfStream = true;
    }
    this.out.push({ kind: 'page', bytes, syncPoint: (page.headerType & FLAG_CONTINUED) === 0 });
  }

  /** Compares the page's granule position with the samples counted, after a packet ended on the page. */
  private checkGranule(page: OggPage, last: Extract<OggOutput, { kind: 'packet' }>): void {
    const granule = page.granule;
    if (granule === NO_GRANULE) {
      this._granuleJumps++;
      return;
    }
    const eos = (page.headerType & FLAG_EOS) !== 0;
    if (this.granuleOffset === null) {
      // RFC 7845 §4.5: a stream may start above 0 (a live stream joined mid-way); below is only allowed
      // on a one-page stream, as end trimming.
      if (eos && granule < this.linkSamples) {
        this.granuleOffset = 0;
      } else {
        this.granuleOffset = granule - this.linkSamples;
        return;
      }
    }
    const expected = this.granuleOffset + this.linkSamples;
    if (granule === expected) return;
    if (eos && granule < expected) {
      last.discardSamples = Math.min(expected - granule, last.packet.samples);
      return;
    }
    this._granuleJumps++;
    this.granuleOffset = granule - this.linkSamples;
  }

  /** A packet ends with `tail`: returns it whole, joined to the parts begun on earlier pages. */
  private completePacket(tail: Uint8Array, offset: number): Uint8Array {
    if (this.partialLength === 0) {
      this.checkPacketSize(tail.length, offset);
      return tail;
    }
    const length = this.partialLength + tail.length;
    this.checkPacketSize(length, offset);
    this.partial.push(tail);
    const whole = concat(this.partial, length);
    this.partial = [];
    this.partialLength = 0;
    return whole;
  }

  private addPartial(part: Uint8Array, offset: number): void {
    const length = this.partialLength + part.length;
    this.checkPacketSize(length, offset);
    this.partial.push(part);
    this.partialLength = length;
  }

  private checkPacketSize(length: number, offset: number): void {
    if (length > this.maxPacketBytes) {
      throw new ApiError(
        'OGG_PAGE_TOO_LARGE',
        `Ogg packet reaching the page at byte ${offset} is at least ${length} bytes, more than the ` +
          `${this.maxPacketBytes}-byte limit (maxPacketBytes)`,
      );
    }
  }

  private dropPartial(): void {
    this.partial = [];
    this.partialLength = 0;
  }
}
