/**
 * Synthetic Opus-in-WebM bytes for the demuxer and muxer tests (Tracks, laced blocks, BlockGroups), plus
 * helpers that run real files through WebmSplitter and WebmOpusDemuxer, and ffmpeg decoding.
 */
import { existsSync } from 'node:fs';
import type { OpusHeader, OpusPacket } from '../../src/server/opus/opus-packet.js';
import {
  ID_BLOCK_GROUP,
  ID_CLUSTER,
  ID_INFO,
  ID_SEGMENT,
  ID_SIMPLE_BLOCK,
  ID_TIMECODE,
  ID_TRACKS,
} from '../../src/server/webm/ids.js';
import { WebmOpusDemuxer } from '../../src/server/webm/opus-demuxer.js';
import type { WebmChunk } from '../../src/server/webm/splitter.js';
import { WebmSplitter } from '../../src/server/webm/splitter.js';
import type { Bytes } from '../../tools/bytes.js';
import { concatBytes, mulberry32, randomBytes } from '../../tools/bytes.js';
import { decodeFileWithFfmpeg } from '../../tools/ffmpeg.js';
import {
  ebmlElement,
  ebmlHeader,
  encodeSize,
  stringElement,
  uintElement,
  unknownSizeElement,
} from '../../tools/webm.js';

export const FFMPEG = process.env.FFMPEG_PATH ?? '/usr/bin/ffmpeg';
export const FFPROBE = process.env.FFPROBE_PATH ?? '/usr/bin/ffprobe';
export const HAS_FFMPEG = existsSync(FFMPEG) && existsSync(FFPROBE);

const ID_TIMECODE_SCALE = 0x2ad7b1;
const ID_BLOCK = 0xa1;
const ID_DISCARD_PADDING = 0x75a2;

/** Lacing of a block: none, Xiph, fixed-size, EBML. */
export type Lacing = 'none' | 'xiph' | 'fixed' | 'ebml';
const LACING_BITS: Record<Lacing, number> = { none: 0, xiph: 0x02, fixed: 0x04, ebml: 0x06 };

/**
 * An Opus packet of CELT fullband frames (TOC config 31): `frames` × 20 ms, `bytes` long in all, filled
 * with deterministic noise after the TOC (and, for more than 2 frames, the frame count byte).
 */
export function opusPacket(frames: 1 | 2 | 3 | 4 | 5 | 6, bytes: number, seed = 1): Bytes {
  const out = randomBytes(bytes, mulberry32(seed));
  let header = 1;
  if (frames === 1) out[0] = 0xf8;
  else if (frames === 2) out[0] = 0xf9;
  else {
    out[0] = 0xfb;
    out[1] = frames;
    header = 2;
  }
  if (bytes < header) throw new RangeError(`an Opus packet of ${frames} frames needs ${header} bytes`);
  return out;
}

/** A 19-byte OpusHead (version 1, mapping family 0). */
export function opusHead(channels = 1, preSkip = 312, inputSampleRate = 48000): Bytes {
  const raw = new Uint8Array(19);
  raw.set([0x4f, 0x70, 0x75, 0x73, 0x48, 0x65, 0x61, 0x64, 1, channels], 0);
  const view = new DataView(raw.buffer);
  view.setUint16(10, preSkip, true);
  view.setUint32(12, inputSampleRate, true);
  return raw;
}

export interface TrackOptions {
  number?: number;
  /** 1 video, 2 audio (default). */
  type?: number;
  codecId?: string;
  /** Default: an OpusHead for 1 channel; null leaves CodecPrivate out. */
  codecPrivate?: Bytes | null;
  channels?: number;
  samplingFrequency?: number;
  codecDelayNs?: number;
}

export function trackEntry(options: TrackOptions = {}): Bytes {
  const {
    number = 1,
    type = 2,
    codecId = 'A_OPUS',
    codecPrivate = opusHead(),
    channels,
    samplingFrequency,
    codecDelayNs,
  } = options;
  const children: Bytes[] = [
    uintElement(0xd7, number),
    uintElement(0x73c5, 1000 + number),
    uintElement(0x83, type),
    stringElement(0x86, codecId),
  ];
  if (codecPrivate !== null) children.push(ebmlElement(0x63a2, codecPrivate));
  if (codecDelayNs !== undefined) children.push(uintElement(0x56aa, codecDelayNs));
  const audio: Bytes[] = [];
  if (samplingFrequency !== undefined) {
    const f = new Uint8Array(8);
    new DataView(f.buffer).setFloat64(0, samplingFrequency);
    audio.push(ebmlElement(0xb5, f));
  }
  if (channels !== undefined) audio.push(uintElement(0x9f, channels));
  if (audio.length > 0) children.push(ebmlElement(0xe1, audio));
  return ebmlElement(0xae, children);
}

/** EBML header + Segment of unknown size + Info + Tracks: an init segment as WebmSplitter emits it. */
export function opusInit(tracks: readonly Bytes[] = [trackEntry()], timecodeScale?: number): Bytes {
  const info: Bytes[] = [stringElement(0x4d80, 'onair-test')];
  if (timecodeScale !== undefined) info.unshift(uintElement(ID_TIMECODE_SCALE, timecodeScale));
  return concatBytes([
    ebmlHeader(),
    unknownSizeElement(ID_SEGMENT),
    ebmlElement(ID_INFO, info),
    ebmlElement(ID_TRACKS, tracks),
  ]);
}

/** A block's data: track number, signed 16-bit relative timecode, flags, lace header and frames. */
export function blockBody(
  track: number,
  rel: number,
  frames: readonly Bytes[],
  lacing: Lacing = 'none',
): Bytes {
  if (lacing === 'none' && frames.length !== 1) throw new RangeError('an unlaced block holds one frame');
  const head = [...encodeSize(track), (rel >> 8) & 0xff, rel & 0xff, 0x80 | LACING_BITS[lacing]];
  const lace: number[] = [];
  if (lacing !== 'none') {
    lace.push(frames.length - 1);
    if (lacing === 'xiph') {
      for (const f of frames.slice(0, -1)) {
        let n = f.length;
        while (n >= 255) {
          lace.push(255);
          n -= 255;
        }
        lace.push(n);
      }
    } else if (lacing === 'ebml') {
      let prev = 0;
      frames.slice(0, -1).forEach((f, i) => {
        if (i === 0) lace.push(...encodeSize(f.length));
        else lace.push(...signedVint(f.length - prev));
        prev = f.length;
      });
    }
  }
  return concatBytes([Uint8Array.from(head), Uint8Array.from(lace), ...frames]);
}

/** A signed EBML lace size difference, as a 2-byte vint. */
function signedVint(diff: number): number[] {
  const raw = diff + (2 ** 13 - 1);
  return [0x40 | (raw >> 8), raw & 0xff];
}

export function simpleBlockOf(
  track: number,
  rel: number,
  frames: readonly Bytes[],
  lacing: Lacing = 'none',
): Bytes {
  return ebmlElement(ID_SIMPLE_BLOCK, blockBody(track, rel, frames, lacing));
}

/** A BlockGroup holding a Block, plus a DiscardPadding as ffmpeg writes for the last packet. */
export function blockGroupOf(
  track: number,
  rel: number,
  frames: readonly Bytes[],
  lacing: Lacing = 'none',
): Bytes {
  return ebmlElement(ID_BLOCK_GROUP, [
    ebmlElement(ID_BLOCK, blockBody(track, rel, frames, lacing)),
    ebmlElement(ID_DISCARD_PADDING, Uint8Array.of(0x02, 0x88)),
  ]);
}

/** A Cluster with its Timecode and `children`: unknown size (Chromium) or known size (ffmpeg). */
export function clusterOf(timecode: number, children: readonly Bytes[], unknownSize = true): Bytes {
  const body = [uintElement(ID_TIMECODE, timecode), ...children];
  return unknownSize ? concatBytes([unknownSizeElement(ID_CLUSTER), ...body]) : ebmlElement(ID_CLUSTER, body);
}

export interface Demuxed {
  header: OpusHeader;
  packets: OpusPacket[];
  chunks: WebmChunk[];
}

/** Runs `pieces` of a WebM stream through WebmSplitter then WebmOpusDemuxer. */
export function demuxPieces(pieces: Iterable<Bytes>): Demuxed {
  const splitter = new WebmSplitter();
  const demuxer = new WebmOpusDemuxer();
  const chunks: WebmChunk[] = [];
  const packets: OpusPacket[] = [];
  let header: OpusHeader | null = null;
  for (const piece of pieces) {
    for (const chunk of splitter.push(piece)) {
      chunks.push(chunk);
      if (chunk.kind === 'init') header = demuxer.pushInit(chunk.bytes);
      else packets.push(...demuxer.pushMedia(chunk.bytes));
    }
  }
  if (header === null) throw new Error('the stream has no init segment');
  return { header, packets, chunks };
}

/** Decodes a WebM (or any) file with FFMPEG to 48 kHz mono s16le samples; throws if ffmpeg fails. */
export function decodeWebm(path: string): Int16Array {
  return decodeFileWithFfmpeg(path, { ffmpeg: FFMPEG, check: true }).samples;
}
