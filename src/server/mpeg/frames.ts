/**
 * MPEG audio (MP3, layers I–III) and AAC in ADTS: frame headers and a frame-sync splitter, so a
 * passthrough source (`MpegPipeline` in ingest/pipeline.ts) is cut on frame boundaries: a late joiner
 * starts on a whole frame.
 */
import { ApiError } from '../errors.js';
import type { FrameFormat } from '../hub/types.js';

export const NEED_MORE: unique symbol = Symbol('NEED_MORE');
export type NeedMore = typeof NEED_MORE;

export type { FrameFormat };

export interface FrameHeader {
  format: FrameFormat;
  /** Whole frame length in bytes, header included. */
  length: number;
  /** Samples per channel the frame decodes to. */
  samples: number;
  sampleRate: number;
  /** 1 or 2 for MP3; the ADTS channel configuration (0 = in the stream, 1–7) for AAC. */
  channels: number;
  /** Bit rate in kbit/s (MP3 only; 0 for AAC, whose frames carry none). */
  bitrateKbps: number;
}

// Bit rates (kbit/s) by index 1–14: MPEG-1 layers I, II, III; MPEG-2/2.5 layer I, layers II and III.
const V1_L1 = [0, 32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448];
const V1_L2 = [0, 32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384];
const V1_L3 = [0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320];
const V2_L1 = [0, 32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256];
const V2_L23 = [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160];
const MP3_RATES: Readonly<Record<number, readonly number[]>> = {
  3: [44100, 48000, 32000], // MPEG-1
  2: [22050, 24000, 16000], // MPEG-2
  0: [11025, 12000, 8000], // MPEG-2.5
};
const ADTS_RATES = [96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350];

/**
 * The frame format a source's content type names (`audio/mpeg`: MP3; `audio/aac`, `audio/aacp`: AAC
 * in ADTS), or null for any other (Opus).
 */
export function frameFormatOf(contentType: string | undefined): FrameFormat | null {
  if (contentType === 'audio/mpeg') return 'mp3';
  if (contentType === 'audio/aac' || contentType === 'audio/aacp') return 'aac';
  return null;
}

/** Bytes a frame header needs to be read: 4 for MP3, 7 for ADTS. */
const HEADER_BYTES: Readonly<Record<FrameFormat, number>> = { mp3: 4, aac: 7 };

/** Largest frame either format can declare (ADTS: 13-bit length). */
export const MAX_FRAME_BYTES = 8191;

/**
 * Reads the frame header of `format` at `pos`.
 * Returns the header, NEED_MORE when `buf` ends first, or null when the bytes there are not a valid
 * header (no sync word, a reserved or forbidden value). Never throws.
 */
export function readFrameHeader(
  buf: Uint8Array,
  pos: number,
  format: FrameFormat,
): FrameHeader | NeedMore | null {
  if (pos + HEADER_BYTES[format] > buf.length) {
    // Even a cut header must start with the sync bits to be worth waiting for.
    if (pos < buf.length && buf[pos] !== 0xff) return null;
    if (pos + 1 < buf.length && ((buf[pos + 1] as number) & 0xe0) !== 0xe0) return null;
    return NEED_MORE;
  }
  const b1 = buf[pos + 1] as number;
  const b2 = buf[pos + 2] as number;
  const b3 = buf[pos + 3] as number;
  if (buf[pos] !== 0xff) return null;
  return format === 'mp3' ? mp3Header(b1, b2, b3) : adtsHeader(buf, pos, b1, b2, b3);
}

function mp3Header(b1: number, b2: number, b3: number): FrameHeader | null {
  if ((b1 & 0xe0) !== 0xe0) return null;
  const version = (b1 >> 3) & 3; // 0: 2.5, 1: reserved, 2: MPEG-2, 3: MPEG-1
  const layer = (b1 >> 1) & 3; // 1: III, 2: II, 3: I, 0: reserved
  const rates = MP3_RATES[version];
  if (!rates || layer === 0) return null;
  const bitrateIndex = b2 >> 4;
  const rateIndex = (b2 >> 2) & 3;
  // Free format (0) has no length in its header; 15 is forbidden.
  if (bitrateIndex === 0 || bitrateIndex === 15 || rateIndex === 3) return null;
  const padding = (b2 >> 1) & 1;
  const sampleRate = rates[rateIndex] as number;
  const v1 = version === 3;
  const table =
    layer === 3 ? (v1 ? V1_L1 : V2_L1) : layer === 2 ? (v1 ? V1_L2 : V2_L23) : v1 ? V1_L3 : V2_L23;
  const bitrateKbps = table[bitrateIndex] as number;
  const bps = bitrateKbps * 1000;
  let length: number;
  let samples: number;
  if (layer === 3) {
    length = (Math.floor((12 * bps) / sampleRate) + padding) * 4;
    samples = 384;
  } else if (layer === 2 || v1) {
    length = Math.floor((144 * bps) / sampleRate) + padding;
    samples = 1152;
  } else {
    length = Math.floor((72 * bps) / sampleRate) + padding;
    samples = 576;
  }
  const channels = b3 >> 6 === 3 ? 1 : 2;
  return { format: 'mp3', length, samples, sampleRate, channels, bitrateKbps };
}

function adtsHeader(buf: Uint8Array, pos: number, b1: number, b2: number, b3: number): FrameHeader | null {
  // Sync 0xFFF, then layer 00.
  if ((b1 & 0xf6) !== 0xf0) return null;
  const protectionAbsent = b1 & 1;
  const rateIndex = (b2 >> 2) & 0xf;
  const sampleRate = ADTS_RATES[rateIndex];
  if (sampleRate === undefined) return null;
  const channels = ((b2 & 1) << 2) | (b3 >> 6);
  const b4 = buf[pos + 4] as number;
  const b5 = buf[pos + 5] as number;
  const b6 = buf[pos + 6] as number;
  const length = ((b3 & 3) << 11) | (b4 << 3) | (b5 >> 5);
  const headerLength = protectionAbsent ? 7 : 9;
  if (length <= headerLength) return null;
  const samples = 1024 * ((b6 & 3) + 1);
  return { format: 'aac', length, samples, sampleRate, channels, bitrateKbps: 0 };
}

export interface Frame {
  bytes: Uint8Array;
  header: FrameHeader;
}

export interface FrameSplitterOptions {
  /** Bytes skipped while looking for frame sync before the source is refused (MPEG_CORRUPT). */
  maxSkipBytes: number;
}

const DEFAULT_OPTIONS: FrameSplitterOptions = { maxSkipBytes: 64 * 1024 };

/** Size of an ID3v2 tag at `pos` (header included), NEED_MORE if cut, or 0 when there is none. */
function id3Length(buf: Uint8Array, pos: number): number | NeedMore {
  if (pos + 3 > buf.length) {
    const want = [0x49, 0x44, 0x33];
    for (let i = pos; i < buf.length; i++) if (buf[i] !== want[i - pos]) return 0;
    return NEED_MORE;
  }
  if (buf[pos] !== 0x49 || buf[pos + 1] !== 0x44 || buf[pos + 2] !== 0x33) return 0;
  if (pos + 10 > buf.length) return NEED_MORE;
  let size = 0;
  for (let i = 6; i < 10; i++) size = (size << 7) | ((buf[pos + i] as number) & 0x7f);
  const footer = (buf[pos + 5] as number) & 0x10 ? 10 : 0;
  return 10 + size + footer;
}

/**
 * Cuts an MP3 or ADTS byte stream, pushed in pieces of any size, into whole frames. Out of sync (at
 * the start, after garbage) a frame is taken only once the next frame's header confirms it, so a stray
 * 0xFFF in garbage is not taken for sync; in sync, each frame goes out as soon as it is whole. Garbage and ID3v2 tags are skipped and counted in
 * {@link skippedBytes}; more than `maxSkipBytes` skipped in a row throws MPEG_CORRUPT. Held bytes are
 * capped at two frames plus the skip window. The format's parameters may change from frame to frame
 * (a source's bit rate does, with VBR); {@link formatChanges} counts changes of sample rate or channels.
 */
export class FrameSplitter {
  readonly format: FrameFormat;
  readonly #options: FrameSplitterOptions;
  #held: Uint8Array = new Uint8Array(0);
  #skipped = 0;
  #skipRun = 0;
  #frames = 0;
  #formatChanges = 0;
  #last: FrameHeader | null = null;
  /** Bytes of an ID3 tag still to skip. */
  #id3Left = 0;
  /** The next byte follows a frame taken: a valid header there needs no confirmation. */
  #inSync = false;

  constructor(format: FrameFormat, options: Partial<FrameSplitterOptions> = {}) {
    this.format = format;
    this.#options = { ...DEFAULT_OPTIONS, ...options };
    if (!Number.isSafeInteger(this.#options.maxSkipBytes) || this.#options.maxSkipBytes <= 0) {
      throw new RangeError(`FrameSplitter option 'maxSkipBytes' must be a positive integer`);
    }
  }

  get skippedBytes(): number {
    return this.#skipped;
  }

  get frames(): number {
    return this.#frames;
  }

  get formatChanges(): number {
    return this.#formatChanges;
  }

  /** The newest frame's header: what the source is sending now. */
  get current(): FrameHeader | null {
    return this.#last;
  }

  /** Returns the whole frames `bytes` complete (confirmed by the next header), in order. */
  push(bytes: Uint8Array): Frame[] {
    const buf = this.#held.length === 0 ? bytes : concat(this.#held, bytes);
    const out: Frame[] = [];
    let pos = 0;
    let skipFrom = -1;
    while (pos < buf.length) {
      if (this.#id3Left > 0) {
        const n = Math.min(this.#id3Left, buf.length - pos);
        this.#id3Left -= n;
        this.#skipped += n;
        pos += n;
        continue;
      }
      const id3 = this.#last === null ? id3Length(buf, pos) : 0;
      if (id3 === NEED_MORE) break;
      if (id3 > 0) {
        this.#id3Left = id3;
        continue;
      }
      const header = readFrameHeader(buf, pos, this.format);
      if (header === NEED_MORE) break;
      if (header !== null) {
        const next = pos + header.length;
        // In sync (this header follows a frame just taken): the frame goes out as soon as it is whole.
        // Out of sync: only once the next frame's header confirms it.
        const confirm = this.#inSync
          ? next <= buf.length
            ? header
            : NEED_MORE
          : readFrameHeader(buf, next, this.format);
        if (confirm === NEED_MORE) break;
        if (confirm !== null) {
          this.#take(out, buf.subarray(pos, next), header);
          this.#inSync = true;
          this.#skipRun = 0;
          pos = next;
          continue;
        }
      }
      this.#inSync = false;
      // Not a confirmed frame start: skip one byte.
      if (skipFrom < 0) skipFrom = pos;
      pos++;
      this.#skipped++;
      if (++this.#skipRun > this.#options.maxSkipBytes) {
        throw new ApiError(
          'MPEG_CORRUPT',
          `No ${this.format === 'mp3' ? 'MP3' : 'AAC (ADTS)'} frame sync in ${this.#options.maxSkipBytes} bytes.`,
        );
      }
    }
    this.#held = pos < buf.length ? buf.slice(pos) : new Uint8Array(0);
    return out;
  }

  #take(out: Frame[], bytes: Uint8Array, header: FrameHeader): void {
    const last = this.#last;
    if (last && (last.sampleRate !== header.sampleRate || last.channels !== header.channels))
      this.#formatChanges++;
    this.#last = header;
    this.#frames++;
    out.push({ bytes: bytes.slice(), header });
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}
