/**
 * Synthetic WebM bytes for unit tests and bench/splitter, and helpers that feed a WebmSplitter and sum up
 * what it emitted.
 */
import {
  ID_CLUSTER,
  ID_CUES,
  ID_EBML,
  ID_INFO,
  ID_SEEK_HEAD,
  ID_SEGMENT,
  ID_SIMPLE_BLOCK,
  ID_TAGS,
  ID_TIMECODE,
  ID_TRACKS,
  ID_VOID,
} from '../src/server/webm/ids.js';
import type { WebmChunk, WebmSplitterOptions } from '../src/server/webm/splitter.js';
import { WebmSplitter } from '../src/server/webm/splitter.js';
import type { Bytes } from './bytes.js';
import { bytes, concatBytes, mulberry32, randomBytes } from './bytes.js';

/** An element ID's bytes (1–4, the marker is part of the ID). */
export function encodeId(id: number): Bytes {
  const length = id >= 0x1000000 ? 4 : id >= 0x10000 ? 3 : id >= 0x100 ? 2 : 1;
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = (id / 256 ** (length - 1 - i)) & 0xff;
  return out;
}

/** A data size as a vint of `width` bytes (default: the shortest that is not all ones). */
export function encodeSize(size: number, width?: number): Bytes {
  let w = width ?? 1;
  if (width === undefined) while (size >= 2 ** (7 * w) - 1) w++;
  if (w < 1 || w > 8 || size >= 2 ** (7 * w) - 1)
    throw new RangeError(`size ${size} does not fit ${w} bytes`);
  const out = new Uint8Array(w);
  let rest = size;
  for (let i = w - 1; i >= 0; i--) {
    out[i] = rest % 256;
    rest = Math.floor(rest / 256);
  }
  out[0] = (out[0] as number) | (0x80 >> (w - 1));
  return out;
}

/** The "unknown" size: every data bit 1, in `width` bytes (Chromium writes 8). */
export function unknownSize(width = 8): Bytes {
  const out = new Uint8Array(width).fill(0xff);
  out[0] = (0x100 >> width) * 2 - 1;
  return out;
}

/** A whole element: ID, size, payload. */
export function ebmlElement(id: number, payload: Bytes | readonly Bytes[] = [], sizeWidth?: number): Bytes {
  const body = payload instanceof Uint8Array ? payload : concatBytes(payload);
  return concatBytes([encodeId(id), encodeSize(body.length, sizeWidth), body]);
}

/** The header of an element of unknown size; its children follow it. */
export function unknownSizeElement(id: number, width = 8): Bytes {
  return concatBytes([encodeId(id), unknownSize(width)]);
}

/** An element holding an unsigned integer (big-endian, shortest). */
export function uintElement(id: number, value: number): Bytes {
  const digits: number[] = [];
  let rest = value;
  do {
    digits.unshift(rest % 256);
    rest = Math.floor(rest / 256);
  } while (rest > 0);
  return ebmlElement(id, Uint8Array.from(digits));
}

export function stringElement(id: number, value: string): Bytes {
  return ebmlElement(id, new TextEncoder().encode(value));
}

/** The EBML header Chromium writes (DocType webm, version 4). */
export function ebmlHeader(docType = 'webm'): Bytes {
  return ebmlElement(ID_EBML, [
    uintElement(0x4286, 1), // EBMLVersion
    uintElement(0x42f7, 1), // EBMLReadVersion
    uintElement(0x42f2, 4), // EBMLMaxIDLength
    uintElement(0x42f3, 8), // EBMLMaxSizeLength
    stringElement(0x4282, docType), // DocType
    uintElement(0x4287, 4), // DocTypeVersion
    uintElement(0x4285, 2), // DocTypeReadVersion
  ]);
}

export function infoElement(): Bytes {
  return ebmlElement(ID_INFO, [uintElement(0x2ad7b1, 1_000_000), stringElement(0x4d80, 'onair-test')]);
}

export function tracksElement(extraBytes = 0): Bytes {
  const opusHead = bytes(
    0x4f,
    0x70,
    0x75,
    0x73,
    0x48,
    0x65,
    0x61,
    0x64,
    1,
    2,
    0x38,
    1,
    0x80,
    0xbb,
    0,
    0,
    0,
    0,
    0,
  );
  return ebmlElement(ID_TRACKS, [
    ebmlElement(0xae, [
      uintElement(0xd7, 1), // TrackNumber
      uintElement(0x73c5, 42), // TrackUID
      uintElement(0x83, 2), // TrackType audio
      stringElement(0x86, 'A_OPUS'), // CodecID
      ebmlElement(0x63a2, opusHead), // CodecPrivate
      ebmlElement(0xec, new Uint8Array(extraBytes)), // padding, to grow the init segment in tests
    ]),
  ]);
}

/** A SimpleBlock on track 1 with `payloadBytes` of deterministic filler standing in for Opus. */
export function simpleBlock(timecode: number, payloadBytes: number, seed = 1): Bytes {
  const body = new Uint8Array(4 + payloadBytes);
  body[0] = 0x81; // track 1
  body[1] = (timecode >> 8) & 0xff;
  body[2] = timecode & 0xff;
  body[3] = 0x80; // keyframe
  body.set(randomBytes(payloadBytes, mulberry32(seed)), 4);
  return ebmlElement(ID_SIMPLE_BLOCK, body);
}

export interface MakeWebmOptions {
  /** Number of Clusters (default 5). */
  clusters?: number;
  /** SimpleBlocks per Cluster (default 3). */
  blocksPerCluster?: number;
  /** Payload bytes per SimpleBlock (default 40); Chromium at 128 kbps writes ≈ 960. */
  blockBytes?: number;
  /** Segment of unknown size, as Chromium writes (default true). */
  unknownSizeSegment?: boolean;
  /** Clusters of unknown size, as Chromium writes (default true). */
  unknownSizeClusters?: boolean;
  /** A SeekHead and a Void before Info, as ffmpeg writes. */
  seekHead?: boolean;
  /** Bytes of Void padding inside Tracks, to grow the init segment. */
  initPadding?: number;
  /** Put a Void between each pair of Clusters. */
  voidBetweenClusters?: boolean;
  /** Put Cues and Tags after the last Cluster, as a finished file has. */
  cuesAndTags?: boolean;
}

export interface SyntheticWebm {
  bytes: Bytes;
  /** Length of everything before the first Cluster. */
  initLength: number;
  /** Stream offset of each Cluster's first ID byte. */
  clusterOffsets: number[];
}

/** A whole synthetic WebM stream, with the offsets a correct splitter must find. */
export function makeWebm(options: MakeWebmOptions = {}): SyntheticWebm {
  const {
    clusters = 5,
    blocksPerCluster = 3,
    blockBytes = 40,
    unknownSizeSegment = true,
    unknownSizeClusters = true,
    seekHead = false,
    initPadding = 0,
    voidBetweenClusters = false,
    cuesAndTags = false,
  } = options;
  const head: Bytes[] = [];
  if (seekHead) {
    head.push(ebmlElement(ID_SEEK_HEAD, ebmlElement(0x4dbb, [ebmlElement(0x53ab, encodeId(ID_INFO))])));
    head.push(ebmlElement(ID_VOID, new Uint8Array(20)));
  }
  head.push(infoElement(), tracksElement(initPadding));
  const body: Bytes[] = [];
  const clusterStarts: number[] = []; // relative to the Segment's body
  let bodyLength = head.reduce((n, p) => n + p.length, 0);
  for (let c = 0; c < clusters; c++) {
    if (voidBetweenClusters && c > 0) {
      const v = ebmlElement(ID_VOID, new Uint8Array(3));
      body.push(v);
      bodyLength += v.length;
    }
    const children: Bytes[] = [uintElement(ID_TIMECODE, c * 120)];
    for (let b = 0; b < blocksPerCluster; b++) children.push(simpleBlock(b * 60, blockBytes, c * 1000 + b));
    const cluster = unknownSizeClusters
      ? concatBytes([unknownSizeElement(ID_CLUSTER), ...children])
      : ebmlElement(ID_CLUSTER, children);
    clusterStarts.push(bodyLength);
    body.push(cluster);
    bodyLength += cluster.length;
  }
  if (cuesAndTags) {
    body.push(ebmlElement(ID_CUES, ebmlElement(0xbb, uintElement(0xb3, 0))));
    body.push(ebmlElement(ID_TAGS, ebmlElement(0x7373, new Uint8Array(8))));
  }
  const segmentBody = concatBytes([...head, ...body]);
  const segmentHeader = unknownSizeSegment
    ? unknownSizeElement(ID_SEGMENT)
    : concatBytes([encodeId(ID_SEGMENT), encodeSize(segmentBody.length, 8)]);
  const prefix = concatBytes([ebmlHeader(), segmentHeader]);
  return {
    bytes: concatBytes([prefix, segmentBody]),
    initLength: prefix.length + (clusterStarts[0] ?? segmentBody.length),
    clusterOffsets: clusterStarts.map((s) => prefix.length + s),
  };
}

export interface SplitOutcome {
  chunks: WebmChunk[];
  /** The init chunk's bytes, or null if none was emitted. */
  init: Bytes | null;
  /** Stream offset at which each sync-point chunk starts. */
  syncOffsets: number[];
  /** All chunk bytes, concatenated. */
  output: Bytes;
  /** Most bytes pushed but not yet emitted after any push once the init chunk was out. */
  maxHeldAfterInit: number;
}

/** Pushes each piece into a new splitter and sums up the result; a throw propagates. */
export function runSplitter(pieces: Iterable<Bytes>, options?: Partial<WebmSplitterOptions>): SplitOutcome {
  const splitter = new WebmSplitter(options);
  const chunks: WebmChunk[] = [];
  let emitted = 0;
  let maxHeldAfterInit = 0;
  for (const piece of pieces) {
    for (const chunk of splitter.push(piece)) {
      chunks.push(chunk);
      emitted += chunk.bytes.length;
    }
    if (splitter.initSegment !== null) {
      maxHeldAfterInit = Math.max(maxHeldAfterInit, splitter.bytesIn - emitted);
    }
  }
  return { chunks, maxHeldAfterInit, ...summarize(chunks) };
}

export function summarize(
  chunks: readonly WebmChunk[],
): Pick<SplitOutcome, 'init' | 'syncOffsets' | 'output'> {
  let init: Bytes | null = null;
  const syncOffsets: number[] = [];
  let at = 0;
  for (const chunk of chunks) {
    if (chunk.kind === 'init') init = chunk.bytes;
    if (chunk.syncPoint) syncOffsets.push(at);
    at += chunk.bytes.length;
  }
  return { init, syncOffsets, output: concatBytes(chunks.map((c) => c.bytes)) };
}
