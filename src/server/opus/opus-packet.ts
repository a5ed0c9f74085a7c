/**
 * Opus packets and headers, shared by the Ogg and WebM sides of the remuxer: the TOC byte (RFC 6716 §3.1),
 * the ID header OpusHead (RFC 7845 §5.1) and the comment header OpusTags (RFC 7845 §5.2).
 */
import { ApiError } from '../errors.js';

/** One Opus packet in stream order: what the Ogg demuxer emits and both muxers take. */
export interface OpusPacket {
  data: Uint8Array;
  /** Presentation time of the packet's first sample, in 48 kHz samples from stream start. */
  pts: number;
  /** Samples in this packet (from the Opus TOC byte, RFC 6716 §3.1). */
  samples: number;
}

export interface OpusHeader {
  /** Output channels, 1–255 (1–2 for mapping family 0). */
  channels: number;
  /** Samples (at 48 kHz) to discard from the decoder output at the start of the stream. */
  preSkip: number;
  /** Sample rate of the encoder's input, informational only (Opus always decodes at 48 kHz here). */
  inputSampleRate: number;
  /** Gain to apply to the output, in the header's Q7.8 fixed point: dB × 256, signed 16-bit. */
  outputGain: number;
  /** Channel mapping family: 0 (mono/stereo, no table), 1 (Vorbis order), 255 (unordered), … */
  mappingFamily: number;
  /** The raw OpusHead packet (RFC 7845 §5.1), mapping table included. */
  raw: Uint8Array;
}

/** The comment header: who encoded it, and `KEY=value` strings (TITLE, ARTIST, …). */
export interface OpusTags {
  vendor: string;
  comments: string[];
}

/** Samples per frame for each TOC configuration number (RFC 6716 §3.1, Table 2), at 48 kHz. */
const FRAME_SAMPLES: readonly number[] = [
  // SILK-only NB, MB, WB: 10, 20, 40, 60 ms.
  480, 960, 1920, 2880, 480, 960, 1920, 2880, 480, 960, 1920, 2880,
  // Hybrid SWB, FB: 10, 20 ms.
  480, 960, 480, 960,
  // CELT-only NB, WB, SWB, FB: 2.5, 5, 10, 20 ms.
  120, 240, 480, 960, 120, 240, 480, 960, 120, 240, 480, 960, 120, 240, 480, 960,
];

/** Longest packet RFC 6716 §3.2.5 allows: 120 ms. */
const MAX_PACKET_SAMPLES = 5760;

const OPUS_HEAD = [0x4f, 0x70, 0x75, 0x73, 0x48, 0x65, 0x61, 0x64] as const; // "OpusHead"
const OPUS_TAGS = [0x4f, 0x70, 0x75, 0x73, 0x54, 0x61, 0x67, 0x73] as const; // "OpusTags"
const OPUS_HEAD_LENGTH = 19;

const utf8Decoder = new TextDecoder('utf-8');
const utf8Encoder = new TextEncoder();

function corrupt(message: string): ApiError {
  return new ApiError('OGG_CORRUPT', message);
}

/** True when `buf` starts with the 8-byte `magic`. */
export function hasMagic(buf: Uint8Array, magic: readonly number[]): boolean {
  if (buf.length < magic.length) return false;
  for (let i = 0; i < magic.length; i++) if (buf[i] !== magic[i]) return false;
  return true;
}

export function isOpusHead(packet: Uint8Array): boolean {
  return hasMagic(packet, OPUS_HEAD);
}

export function isOpusTags(packet: Uint8Array): boolean {
  return hasMagic(packet, OPUS_TAGS);
}

// Returns the samples (at 48 kHz) the packet decodes to: frame size × frame count, read from the TOC byte
// and, for code 3, the frame count byte. Frame lengths inside the packet are not checked.
// Throws OGG_CORRUPT when the packet is empty or its code 3 frame count is missing, zero or above 120 ms.
export function opusPacketSamples(packet: Uint8Array): number {
  if (packet.length === 0) throw corrupt('empty Opus packet: every packet has at least its TOC byte');
  const toc = packet[0] as number;
  const frameSamples = FRAME_SAMPLES[toc >> 3] as number;
  switch (toc & 3) {
    case 0:
      return frameSamples;
    case 1:
    case 2:
      return 2 * frameSamples;
    default: {
      if (packet.length < 2) throw corrupt('Opus packet with frame count code 3 has no frame count byte');
      const count = (packet[1] as number) & 0x3f;
      if (count === 0) throw corrupt('Opus packet with frame count code 3 declares 0 frames');
      const samples = count * frameSamples;
      if (samples > MAX_PACKET_SAMPLES) {
        throw corrupt(`Opus packet declares ${count} frames of ${frameSamples} samples, more than 120 ms`);
      }
      return samples;
    }
  }
}

// Returns the header fields of an OpusHead packet, `raw` being the packet itself (not copied).
// Throws OGG_CORRUPT on a bad magic, an unknown major version (RFC 7845 §5.1: versions 0–15 are
// compatible), a packet shorter than its fields, no channels, or an inconsistent channel mapping.
export function parseOpusHead(raw: Uint8Array): OpusHeader {
  if (!isOpusHead(raw)) throw corrupt('not an Opus ID header: it does not start with "OpusHead"');
  if (raw.length < OPUS_HEAD_LENGTH) {
    throw corrupt(
      `Opus ID header is ${raw.length} bytes, shorter than the ${OPUS_HEAD_LENGTH} its fields take`,
    );
  }
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const version = raw[8] as number;
  if (version > 15) {
    throw corrupt(`Opus ID header version ${version} is not supported: only major version 0 (0–15) is`);
  }
  const channels = raw[9] as number;
  if (channels === 0) throw corrupt('Opus ID header declares 0 channels');
  const mappingFamily = raw[18] as number;
  if (mappingFamily === 0) {
    if (channels > 2) {
      throw corrupt(
        `Opus ID header declares ${channels} channels with mapping family 0, which allows 1 or 2`,
      );
    }
  } else {
    // Stream count, coupled count and one mapping byte per channel follow.
    const need = OPUS_HEAD_LENGTH + 2 + channels;
    if (raw.length < need) {
      throw corrupt(
        `Opus ID header with mapping family ${mappingFamily} is ${raw.length} bytes; ${channels} channels need ${need}`,
      );
    }
    const streams = raw[19] as number;
    const coupled = raw[20] as number;
    if (streams === 0 || coupled > streams) {
      throw corrupt(`Opus ID header declares ${streams} streams of which ${coupled} coupled`);
    }
  }
  return {
    channels,
    preSkip: view.getUint16(10, true),
    inputSampleRate: view.getUint32(12, true),
    outputGain: view.getInt16(16, true),
    mappingFamily,
    raw,
  };
}

export interface MakeOpusHeadOptions {
  /** 1 or 2: mapping family 0 only. */
  channels: number;
  preSkip: number;
  inputSampleRate: number;
  /** Q7.8 dB, signed 16-bit; 0 by default. */
  outputGain?: number;
}

/** Builds a 19-byte OpusHead (version 1, mapping family 0). Throws RangeError on out-of-range fields. */
export function makeOpusHead(h: MakeOpusHeadOptions): Uint8Array {
  const gain = h.outputGain ?? 0;
  checkInt('channels', h.channels, 1, 2);
  checkInt('preSkip', h.preSkip, 0, 0xffff);
  checkInt('inputSampleRate', h.inputSampleRate, 0, 0xffffffff);
  checkInt('outputGain', gain, -0x8000, 0x7fff);
  const raw = new Uint8Array(OPUS_HEAD_LENGTH);
  raw.set(OPUS_HEAD, 0);
  const view = new DataView(raw.buffer);
  raw[8] = 1;
  raw[9] = h.channels;
  view.setUint16(10, h.preSkip, true);
  view.setUint32(12, h.inputSampleRate, true);
  view.setInt16(16, gain, true);
  raw[18] = 0;
  return raw;
}

function checkInt(name: string, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`OpusHead field '${name}' must be an integer in [${min}, ${max}], got ${value}`);
  }
}

// Returns the vendor string and the comments of an OpusTags packet, decoded as UTF-8 (invalid sequences
// become U+FFFD). Binary data after the last comment (RFC 7845 §5.2) is ignored.
// Throws OGG_CORRUPT on a bad magic or a length that runs past the end of the packet.
export function parseOpusTags(raw: Uint8Array): OpusTags {
  if (!isOpusTags(raw)) throw corrupt('not an Opus comment header: it does not start with "OpusTags"');
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  let pos = 8;
  const readString = (what: string): string => {
    if (pos + 4 > raw.length) throw corrupt(`Opus comment header ends before the length of the ${what}`);
    const length = view.getUint32(pos, true);
    pos += 4;
    if (length > raw.length - pos) {
      throw corrupt(
        `Opus comment header: the ${what} declares ${length} bytes but only ${raw.length - pos} remain`,
      );
    }
    const text = utf8Decoder.decode(raw.subarray(pos, pos + length));
    pos += length;
    return text;
  };
  const vendor = readString('vendor string');
  if (pos + 4 > raw.length) throw corrupt('Opus comment header ends before its comment count');
  const count = view.getUint32(pos, true);
  pos += 4;
  // Each comment takes at least its 4-byte length: a count beyond that is a lie, not a reason to loop.
  if (count > (raw.length - pos) / 4) {
    throw corrupt(
      `Opus comment header declares ${count} comments, more than its ${raw.length} bytes can hold`,
    );
  }
  const comments: string[] = [];
  for (let i = 0; i < count; i++) comments.push(readString(`comment ${i + 1} of ${count}`));
  return { vendor, comments };
}

/** Builds an OpusTags packet from a vendor string and `KEY=value` comments, encoded as UTF-8. */
export function makeOpusTags(vendor: string, comments: readonly string[] = []): Uint8Array {
  const encoded = [utf8Encoder.encode(vendor), ...comments.map((c) => utf8Encoder.encode(c))];
  let length = 8 + 4 + 4 * comments.length + 4;
  for (const e of encoded) length += e.length;
  const raw = new Uint8Array(length);
  const view = new DataView(raw.buffer);
  raw.set(OPUS_TAGS, 0);
  let pos = 8;
  encoded.forEach((e, i) => {
    view.setUint32(pos, e.length, true);
    raw.set(e, pos + 4);
    pos += 4 + e.length;
    if (i === 0) {
      view.setUint32(pos, comments.length, true);
      pos += 4;
    }
  });
  return raw;
}
