/**
 * Opus packets → live WebM for MSE listeners: an init segment Chromium accepts as `audio/webm; codecs="opus"`,
 * then Clusters of unknown size, each opening a chunk marked as a sync point.
 */
import type { OpusHeader, OpusPacket } from '../opus/opus-packet.js';
import {
  element,
  float32Element,
  idBytes,
  sizeWidth,
  stringElement,
  UNKNOWN_SIZE_BYTES,
  uintElement,
  uintLength,
} from './ebml-writer.js';
import {
  CLUSTER_ID_BYTES,
  ID_AUDIO,
  ID_CHANNELS,
  ID_CODEC_DELAY,
  ID_CODEC_ID,
  ID_CODEC_PRIVATE,
  ID_DOC_TYPE,
  ID_DOC_TYPE_READ_VERSION,
  ID_DOC_TYPE_VERSION,
  ID_EBML,
  ID_EBML_MAX_ID_LENGTH,
  ID_EBML_MAX_SIZE_LENGTH,
  ID_EBML_READ_VERSION,
  ID_EBML_VERSION,
  ID_INFO,
  ID_MUXING_APP,
  ID_SAMPLING_FREQUENCY,
  ID_SEEK_PRE_ROLL,
  ID_SEGMENT,
  ID_SIMPLE_BLOCK,
  ID_TIMECODE,
  ID_TIMECODE_SCALE,
  ID_TRACK_ENTRY,
  ID_TRACK_NUMBER,
  ID_TRACK_TYPE,
  ID_TRACK_UID,
  ID_TRACKS,
  ID_WRITING_APP,
} from './ids.js';

/** Default audio per Cluster: a late joiner starts at a Cluster, so this bounds how stale its start is. */
export const DEFAULT_CLUSTER_MS = 100;
/** Seek pre-roll the Matroska Opus mapping asks for: 80 ms. */
const SEEK_PRE_ROLL_NS = 80_000_000;
/** Block timecodes are signed 16-bit, relative to their Cluster's. */
const MAX_RELATIVE_TIMECODE = 0x7fff;
const TRACK_NUMBER = 1;
const TRACK_UID = 1;
const MUXING_APP = 'onair';

export interface WebmOpusMuxerOptions {
  /** Start a new Cluster once the current one holds this much audio, in ms (default 100). */
  clusterMs: number;
}

export interface WebmMediaChunk {
  bytes: Uint8Array;
  /** True when `bytes` begins at a Cluster's ID: a listener may start here, right after the init segment. */
  syncPoint: boolean;
}

/** Cluster ID, unknown size, Timecode ID and size byte: the Timecode's value follows. */
const CLUSTER_HEAD_LENGTH = 4 + 8 + 2;

/** The Cluster timecode (ms) of a packet: its pts at 48 kHz, rounded; 0 for a negative or non-finite pts. */
function ptsToMs(pts: number): number {
  return Number.isFinite(pts) && pts > 0 ? Math.round(pts / 48) : 0;
}

/**
 * Muxes Opus packets into a live WebM stream. `init()` gives the init segment a listener must get first;
 * `packets()` gives the bytes that follow, cut into one chunk per Cluster started (a sync point) plus a
 * leading chunk continuing the open Cluster. Each call builds one Uint8Array and returns views of it, so
 * a chunk can be queued for every listener as is. Timecodes are in ms (TimecodeScale 1 ms).
 */
export class WebmOpusMuxer {
  private readonly clusterMs: number;
  /** Timecode (ms) of the open Cluster, or -1 before the first. */
  private clusterTimecode = -1;

  constructor(options: Partial<WebmOpusMuxerOptions> = {}) {
    const clusterMs = options.clusterMs ?? DEFAULT_CLUSTER_MS;
    if (!Number.isSafeInteger(clusterMs) || clusterMs <= 0 || clusterMs > MAX_RELATIVE_TIMECODE) {
      throw new RangeError(
        `WebmOpusMuxer option 'clusterMs' must be an integer in [1, ${MAX_RELATIVE_TIMECODE}], got ${clusterMs}`,
      );
    }
    this.clusterMs = clusterMs;
  }

  /**
   * The init segment for `header`'s stream: EBML header (webm v4), a Segment of unknown size, Info and
   * Tracks with one Opus track. Starts a new stream: the next `packets()` call opens a Cluster.
   */
  init(header: OpusHeader): Uint8Array {
    this.clusterTimecode = -1;
    const ebml = element(ID_EBML, [
      ...uintElement(ID_EBML_VERSION, 1),
      ...uintElement(ID_EBML_READ_VERSION, 1),
      ...uintElement(ID_EBML_MAX_ID_LENGTH, 4),
      ...uintElement(ID_EBML_MAX_SIZE_LENGTH, 8),
      ...stringElement(ID_DOC_TYPE, 'webm'),
      ...uintElement(ID_DOC_TYPE_VERSION, 4),
      ...uintElement(ID_DOC_TYPE_READ_VERSION, 2),
    ]);
    const info = element(ID_INFO, [
      ...uintElement(ID_TIMECODE_SCALE, 1_000_000),
      ...stringElement(ID_MUXING_APP, MUXING_APP),
      ...stringElement(ID_WRITING_APP, MUXING_APP),
    ]);
    const tracks = element(ID_TRACKS, [
      ...element(ID_TRACK_ENTRY, [
        ...uintElement(ID_TRACK_NUMBER, TRACK_NUMBER),
        ...uintElement(ID_TRACK_UID, TRACK_UID),
        ...uintElement(ID_TRACK_TYPE, 2),
        ...stringElement(ID_CODEC_ID, 'A_OPUS'),
        ...element(ID_CODEC_PRIVATE, header.raw),
        // Pre-skip in ns: 48 kHz samples × 20833.3 ns.
        ...uintElement(ID_CODEC_DELAY, Math.round((header.preSkip * 1_000_000_000) / 48_000)),
        ...uintElement(ID_SEEK_PRE_ROLL, SEEK_PRE_ROLL_NS),
        ...element(ID_AUDIO, [
          ...float32Element(ID_SAMPLING_FREQUENCY, 48_000),
          ...uintElement(ID_CHANNELS, header.channels),
        ]),
      ]),
    ]);
    return Uint8Array.from([...ebml, ...idBytes(ID_SEGMENT), ...UNKNOWN_SIZE_BYTES, ...info, ...tracks]);
  }

  /**
   * The stream bytes for `pkts`, in order: a chunk for the rest of the open Cluster (syncPoint false), then
   * one chunk per new Cluster (syncPoint true, starting at its ID). A Cluster is started for the first
   * packet, once the open one holds `clusterMs` of audio, and whenever a block's timecode relative to it
   * would fall outside 0…32767 ms.
   */
  packets(pkts: readonly OpusPacket[]): WebmMediaChunk[] {
    if (pkts.length === 0) return [];
    // First pass: sizes, with the same Cluster decisions the second pass makes.
    let cluster = this.clusterTimecode;
    let total = 0;
    for (const p of pkts) {
      const ms = ptsToMs(p.pts);
      if (this.needsCluster(cluster, ms)) {
        cluster = ms;
        total += CLUSTER_HEAD_LENGTH + uintLength(ms);
      }
      const body = 4 + p.data.length;
      total += 1 + sizeWidth(body) + body;
    }
    // Second pass: write, cutting a chunk at each Cluster.
    const buf = new Uint8Array(total);
    const chunks: WebmMediaChunk[] = [];
    let pos = 0;
    let chunkStart = 0;
    let chunkSync = false;
    for (const p of pkts) {
      const ms = ptsToMs(p.pts);
      if (this.needsCluster(this.clusterTimecode, ms)) {
        if (pos > chunkStart) chunks.push({ bytes: buf.subarray(chunkStart, pos), syncPoint: chunkSync });
        chunkStart = pos;
        chunkSync = true;
        this.clusterTimecode = ms;
        pos = writeClusterHead(buf, pos, ms);
      }
      pos = writeSimpleBlock(buf, pos, ms - this.clusterTimecode, p.data);
    }
    chunks.push({ bytes: buf.subarray(chunkStart, pos), syncPoint: chunkSync });
    return chunks;
  }

  private needsCluster(cluster: number, ms: number): boolean {
    if (cluster < 0) return true;
    const rel = ms - cluster;
    return rel >= this.clusterMs || rel < 0 || rel > MAX_RELATIVE_TIMECODE;
  }
}

/** Writes a Cluster of unknown size and its Timecode `ms` at `pos`; returns the position after them. */
function writeClusterHead(buf: Uint8Array, pos: number, ms: number): number {
  let at = pos;
  for (const b of CLUSTER_ID_BYTES) buf[at++] = b;
  for (const b of UNKNOWN_SIZE_BYTES) buf[at++] = b;
  const length = uintLength(ms);
  buf[at++] = ID_TIMECODE;
  buf[at++] = 0x80 | length;
  for (let i = length - 1; i >= 0; i--) buf[at++] = Math.floor(ms / 2 ** (8 * i)) % 256;
  return at;
}

/** Writes a SimpleBlock of track 1 (keyframe, no lacing) at `pos`; returns the position after it. */
function writeSimpleBlock(buf: Uint8Array, pos: number, rel: number, data: Uint8Array): number {
  let at = pos;
  buf[at++] = ID_SIMPLE_BLOCK;
  const body = 4 + data.length;
  const width = sizeWidth(body);
  for (let i = width - 1; i >= 0; i--) {
    let b = Math.floor(body / 2 ** (8 * i)) % 256;
    if (i === width - 1) b |= 0x80 >> (width - 1);
    buf[at++] = b;
  }
  buf[at++] = 0x80 | TRACK_NUMBER;
  buf[at++] = (rel >> 8) & 0xff;
  buf[at++] = rel & 0xff;
  buf[at++] = 0x80; // keyframe: every Opus packet decodes on its own (after pre-roll)
  buf.set(data, at);
  return at + data.length;
}
