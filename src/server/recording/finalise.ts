/**
 * Finalisation: a crash-safe recording (a live WebM stream: Segment and Clusters of unknown size, no
 * Duration, no Cues) → a WebM a browser can seek: Segment of known size, SeekHead, Info with Duration,
 * Tracks, Cues (a CuePoint every {@link CUE_INTERVAL_MS}), then the same Clusters with known sizes and
 * timecodes that start at 0. Our own EBML code, no ffmpeg.
 *
 * Two passes over the file, never the whole of it in memory: the first reads the Clusters' headers,
 * Timecodes and block heads (what each Cluster will take in the output, where the cues go, the
 * duration); the second reads the same Clusters again and copies their blocks. Memory: a read window,
 * a write buffer and the cue list. A file cut short (a crash mid-broadcast) or corrupt past some point
 * keeps everything up to its last complete block.
 */
import fs from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { open } from 'node:fs/promises';
import { ApiError } from '../errors.js';
import { opusPacketSamples } from '../opus/opus-packet.js';
import type { ElementHeader } from '../webm/ebml.js';
import { NEED_MORE, readElementHeader, UNKNOWN_SIZE } from '../webm/ebml.js';
import {
  element,
  float64Element,
  idBytes,
  UNKNOWN_SIZE_BYTES,
  uintElement,
  utf8Element,
  writeSize,
} from '../webm/ebml-writer.js';
import {
  ID_BLOCK,
  ID_BLOCK_GROUP,
  ID_CLUSTER,
  ID_CUE_CLUSTER_POSITION,
  ID_CUE_POINT,
  ID_CUE_TIME,
  ID_CUE_TRACK,
  ID_CUE_TRACK_POSITIONS,
  ID_CUES,
  ID_DURATION,
  ID_EBML,
  ID_INFO,
  ID_SEEK,
  ID_SEEK_HEAD,
  ID_SEEK_ID,
  ID_SEEK_POSITION,
  ID_SEGMENT,
  ID_SIMPLE_BLOCK,
  ID_TIMECODE,
  ID_TIMECODE_SCALE,
  ID_TITLE,
  ID_TRACKS,
  isClusterChild,
  isSegmentChild,
  isSegmentLevel,
} from '../webm/ids.js';
import { WebmOpusDemuxer } from '../webm/opus-demuxer.js';

/** A CuePoint at the first Cluster, then at the first Cluster at least this long after the last one. */
export const CUE_INTERVAL_MS = 2_000;
/** Largest Info or Tracks element read (the live ingest caps its whole init segment at 128 KiB too). */
const MAX_HEAD_ELEMENT_BYTES = 128 * 1024;
/** Bytes read from the source at a time. */
const READ_WINDOW_BYTES = 64 * 1024;
/** Bytes gathered before a write. */
const WRITE_BUFFER_BYTES = 256 * 1024;
/** Width of the integers whose values depend on output positions: their elements' sizes then do not. */
const POSITION_WIDTH = 8;
/** An Opus block without a readable TOC counts as 20 ms. */
const DEFAULT_BLOCK_SAMPLES = 960;
/** Bytes of a block's head read: track number (≤ 8), timecode (2), flags (1), lace count or TOC (≤ 2). */
const BLOCK_HEAD_BYTES = 13;

export interface FinaliseResult {
  /** Length of the finalised recording, from its first block to the end of its last, in ms. */
  durationMs: number;
  clusters: number;
  cues: number;
  /** Bytes of the finalised file. */
  bytes: number;
  /** Where reading stopped before the end of the source (a cut or corrupt tail), or null. */
  stoppedAt: number | null;
}

export interface FinaliseOptions {
  /** Written as the Segment's Title (the title the broadcast had when it began). */
  title?: string | null;
  signal?: AbortSignal;
}

function corrupt(message: string): ApiError {
  return new ApiError('WEBM_CORRUPT', message);
}

/** A window on a file: reads it in {@link READ_WINDOW_BYTES} pieces, so memory stays flat. */
class FileWindow {
  private readonly fd: FileHandle;
  readonly size: number;
  private buf = new Uint8Array(READ_WINDOW_BYTES);
  private start = 0;
  private length = 0;

  constructor(fd: FileHandle, size: number) {
    this.fd = fd;
    this.size = size;
  }

  // Returns up to `n` bytes at `pos` (fewer only at the end of the file): a view valid until the next call.
  async bytes(pos: number, n: number): Promise<Uint8Array> {
    const want = Math.min(n, this.size - pos);
    if (want <= 0) return this.buf.subarray(0, 0);
    if (pos < this.start || pos + want > this.start + this.length) {
      if (want > this.buf.length) this.buf = new Uint8Array(want);
      const { bytesRead } = await this.fd.read(this.buf, 0, Math.min(this.buf.length, this.size - pos), pos);
      this.start = pos;
      this.length = bytesRead;
    }
    const at = pos - this.start;
    return this.buf.subarray(at, at + Math.min(want, this.length - at));
  }

  // Returns the element header at `pos`, or null when the file (or `end`) stops inside it or it is corrupt.
  async header(pos: number, end: number): Promise<ElementHeader | null> {
    const head = await this.bytes(pos, Math.min(12, end - pos));
    try {
      const h = readElementHeader(head, 0, pos);
      return h === NEED_MORE ? null : h;
    } catch {
      return null;
    }
  }
}

/** Gathers writes into one buffer; copies ranges of another file through it. */
class BufferedWriter {
  private readonly fd: FileHandle;
  private readonly buf = new Uint8Array(WRITE_BUFFER_BYTES);
  private fill = 0;
  written = 0;

  constructor(fd: FileHandle) {
    this.fd = fd;
  }

  async write(bytes: readonly number[] | Uint8Array): Promise<void> {
    let done = 0;
    while (done < bytes.length) {
      if (this.fill === this.buf.length) await this.flush();
      const n = Math.min(bytes.length - done, this.buf.length - this.fill);
      for (let i = 0; i < n; i++) this.buf[this.fill + i] = bytes[done + i] as number;
      this.fill += n;
      done += n;
    }
  }

  /**
   * Copies `src[start, end)` through its window (the second pass has just read those bytes, so they
   * are usually there already); throws when the file is shorter than that.
   */
  async copy(src: FileWindow, start: number, end: number): Promise<void> {
    let pos = start;
    while (pos < end) {
      if (this.fill === this.buf.length) await this.flush();
      const chunk = await src.bytes(pos, Math.min(end - pos, this.buf.length - this.fill));
      if (chunk.length === 0) throw new Error(`source ended at byte ${pos}, before ${end}`);
      this.buf.set(chunk, this.fill);
      this.fill += chunk.length;
      pos += chunk.length;
    }
  }

  async flush(): Promise<void> {
    let done = 0;
    while (done < this.fill) {
      const { bytesWritten } = await this.fd.write(this.buf, done, this.fill - done);
      done += bytesWritten;
    }
    this.written += this.fill;
    this.fill = 0;
  }
}

/** What the first pass learns of one Cluster; the second pass reads it again to the same result. */
interface ClusterScan {
  /** Its data, and the end of its last complete child (a cut child is left out). */
  dataStart: number;
  completeEnd: number;
  /** Where the element after it starts. */
  next: number;
  timecode: number;
  /** The Timecode element's bytes, left out of the copy (a rebased one is written first). */
  tcStart: number;
  tcEnd: number;
  /** Blocks of the audio track it holds. */
  blocks: number;
  /** End of its last audio block, in TimecodeScale ticks × 48 000 / ticks per second: kept in ns. */
  endNs: number;
  /** Reading stopped inside it: nothing after it is read. */
  stop: boolean;
}

interface Head {
  ebml: Uint8Array;
  info: Uint8Array;
  tracks: Uint8Array;
  /** Info's children without Duration and Title (those are written anew). */
  infoKept: Uint8Array[];
  timecodeScaleNs: number;
  track: number;
  /** Offset of the first Cluster, or -1 when there is none. */
  firstCluster: number;
  segmentEnd: number;
}

function readUint(bytes: Uint8Array): number {
  let v = 0;
  for (const b of bytes) v = v * 256 + b;
  return v;
}

// Returns the children of a whole element body: each as its bytes (header included) and ID.
// Throws WEBM_CORRUPT on a child cut off or of unknown size.
function childrenOf(body: Uint8Array, base: number): { id: number; bytes: Uint8Array; data: Uint8Array }[] {
  const out: { id: number; bytes: Uint8Array; data: Uint8Array }[] = [];
  let pos = 0;
  while (pos < body.length) {
    const h = readElementHeader(body, pos, base);
    if (h === NEED_MORE || h.size === UNKNOWN_SIZE || pos + h.headerLength + h.size > body.length) {
      throw corrupt(`element at byte ${base + pos} is cut off or of unknown size`);
    }
    const end = pos + h.headerLength + h.size;
    out.push({ id: h.id, bytes: body.subarray(pos, end), data: body.subarray(pos + h.headerLength, end) });
    pos = end;
  }
  return out;
}

/** Reads the EBML header, the Segment and its elements before the first Cluster. */
async function readHead(win: FileWindow): Promise<Head> {
  const ebmlHeader = await win.header(0, win.size);
  if (ebmlHeader?.id !== ID_EBML || ebmlHeader.size === UNKNOWN_SIZE) {
    throw corrupt('not a WebM recording: no EBML header');
  }
  const ebmlEnd = ebmlHeader.headerLength + ebmlHeader.size;
  if (ebmlEnd > MAX_HEAD_ELEMENT_BYTES) throw corrupt('the EBML header is too large');
  const ebml = (await win.bytes(0, ebmlEnd)).slice();
  if (ebml.length < ebmlEnd) throw corrupt('the recording ends inside its EBML header');
  const seg = await win.header(ebmlEnd, win.size);
  if (seg?.id !== ID_SEGMENT) throw corrupt(`no Segment at byte ${ebmlEnd}`);
  const segStart = ebmlEnd + seg.headerLength;
  const segmentEnd = seg.size === UNKNOWN_SIZE ? win.size : Math.min(win.size, segStart + seg.size);
  let info: Uint8Array | null = null;
  let tracks: Uint8Array | null = null;
  let pos = segStart;
  let firstCluster = -1;
  while (pos < segmentEnd) {
    const h = await win.header(pos, segmentEnd);
    if (h === null) break;
    if (h.id === ID_CLUSTER) {
      firstCluster = pos;
      break;
    }
    if (h.size === UNKNOWN_SIZE)
      throw corrupt(`element at byte ${pos} before the first Cluster has an unknown size`);
    const total = h.headerLength + h.size;
    if (h.id === ID_INFO || h.id === ID_TRACKS) {
      if (total > MAX_HEAD_ELEMENT_BYTES)
        throw corrupt(`${h.id === ID_INFO ? 'Info' : 'Tracks'} is too large`);
      const bytes = (await win.bytes(pos, total)).slice();
      if (bytes.length < total) break;
      if (h.id === ID_INFO) info ??= bytes;
      else tracks ??= bytes;
    }
    pos += total;
  }
  if (info === null || tracks === null)
    throw corrupt('the recording has no Info or no Tracks before its Clusters');
  // The live demuxer checks the track is Opus and names its number.
  const demuxer = new WebmOpusDemuxer();
  demuxer.pushInit(
    Uint8Array.from([...ebml, ...idBytes(ID_SEGMENT), ...UNKNOWN_SIZE_BYTES, ...info, ...tracks]),
  );
  const infoHeader = readElementHeader(info, 0) as ElementHeader;
  let timecodeScaleNs = 1_000_000;
  const infoKept: Uint8Array[] = [];
  for (const c of childrenOf(info.subarray(infoHeader.headerLength), 0)) {
    if (c.id === ID_TIMECODE_SCALE) timecodeScaleNs = readUint(c.data) || 1_000_000;
    if (c.id !== ID_DURATION && c.id !== ID_TITLE) infoKept.push(c.bytes);
  }
  return {
    ebml,
    info,
    tracks,
    infoKept,
    timecodeScaleNs,
    track: demuxer.trackNumber,
    firstCluster,
    segmentEnd,
  };
}

/** Samples of the block whose head is `head` (its data after the track number starts at `at`). */
function blockSamples(head: Uint8Array, at: number, last: number): number {
  const flags = head[at + 2] ?? 0;
  const lacing = (flags >> 1) & 3;
  if (lacing !== 0) return ((head[at + 3] ?? 0) + 1) * last;
  try {
    return opusPacketSamples(head.subarray(at + 3));
  } catch {
    return last;
  }
}

/**
 * Reads the Cluster at `pos` (first pass and second alike). Returns null when there is no whole Cluster
 * header there. `lastSamples` carries the last block's length for laced blocks.
 */
async function scanCluster(
  win: FileWindow,
  pos: number,
  segmentEnd: number,
  head: Head,
  state: { lastSamples: number },
): Promise<ClusterScan | null> {
  const h = await win.header(pos, segmentEnd);
  if (h?.id !== ID_CLUSTER) return null;
  const dataStart = pos + h.headerLength;
  const known = h.size !== UNKNOWN_SIZE;
  const declaredEnd = h.size === UNKNOWN_SIZE ? segmentEnd : dataStart + h.size;
  const end = Math.min(declaredEnd, segmentEnd);
  const scan: ClusterScan = {
    dataStart,
    completeEnd: dataStart,
    next: end,
    timecode: -1,
    tcStart: dataStart,
    tcEnd: dataStart,
    blocks: 0,
    endNs: 0,
    stop: declaredEnd > segmentEnd,
  };
  let p = dataStart;
  while (p < end) {
    const c = await win.header(p, end);
    if (c === null) {
      scan.stop = true;
      break;
    }
    if (!known && isSegmentLevel(c.id)) {
      scan.next = p;
      break;
    }
    if (!isClusterChild(c.id) || c.size === UNKNOWN_SIZE || p + c.headerLength + c.size > end) {
      scan.stop = true;
      break;
    }
    const dataAt = p + c.headerLength;
    const childEnd = dataAt + c.size;
    if (c.id === ID_TIMECODE) {
      if (c.size > 8) {
        scan.stop = true;
        break;
      }
      scan.timecode = readUint(await win.bytes(dataAt, c.size));
      scan.tcStart = p;
      scan.tcEnd = childEnd;
    } else if (c.id === ID_SIMPLE_BLOCK || c.id === ID_BLOCK_GROUP) {
      let blockAt = dataAt;
      let blockSize = c.size;
      if (c.id === ID_BLOCK_GROUP) {
        const b = await win.header(dataAt, childEnd);
        blockAt = b?.id === ID_BLOCK && b.size !== UNKNOWN_SIZE ? dataAt + b.headerLength : -1;
        blockSize = b?.id === ID_BLOCK && b.size !== UNKNOWN_SIZE ? b.size : 0;
      }
      if (blockAt >= 0 && scan.timecode >= 0) {
        const blockHead = (await win.bytes(blockAt, Math.min(BLOCK_HEAD_BYTES, blockSize))).slice();
        const trackLength = blockHead.length > 0 ? Math.clz32(blockHead[0] as number) - 23 : 9;
        if (trackLength <= 8 && blockHead.length >= trackLength + 4) {
          const track = readUint(blockHead.subarray(0, trackLength)) - 2 ** (7 * trackLength);
          if (track === head.track) {
            const rel =
              (((blockHead[trackLength] as number) << 24) >> 16) | (blockHead[trackLength + 1] as number);
            const samples = blockSamples(blockHead, trackLength, state.lastSamples);
            state.lastSamples = samples;
            const endNs = (scan.timecode + rel) * head.timecodeScaleNs + (samples * 1e9) / 48_000;
            scan.endNs = Math.max(scan.endNs, endNs);
            scan.blocks++;
          }
        }
      }
    }
    p = childEnd;
    scan.completeEnd = p;
  }
  return scan;
}

/** Walks every Cluster of the recording in order, as far as it can be read. */
async function forEachCluster(
  win: FileWindow,
  head: Head,
  signal: AbortSignal | undefined,
  visit: (c: ClusterScan) => Promise<void>,
): Promise<number | null> {
  const state = { lastSamples: DEFAULT_BLOCK_SAMPLES };
  let pos = head.firstCluster;
  if (pos < 0) return null;
  while (pos < head.segmentEnd) {
    signal?.throwIfAborted();
    const h = await win.header(pos, head.segmentEnd);
    if (h === null) return pos;
    if (h.id !== ID_CLUSTER) {
      // Cues, Tags, Void after the Clusters: passed over; the new file has its own.
      if (h.size === UNKNOWN_SIZE || !isSegmentChild(h.id)) return pos;
      pos += h.headerLength + h.size;
      continue;
    }
    const c = await scanCluster(win, pos, head.segmentEnd, head, state);
    if (c === null) return pos;
    await visit(c);
    if (c.stop) return c.completeEnd < head.segmentEnd ? c.completeEnd : null;
    pos = c.next;
  }
  return null;
}

/** Whether the Cluster goes into the finalised file: it has a Timecode and audio, and time does not run back. */
function kept(c: ClusterScan, firstTimecode: number): boolean {
  return c.timecode >= 0 && c.blocks > 0 && (firstTimecode < 0 || c.timecode >= firstTimecode);
}

function clusterTimecodeElement(c: ClusterScan, firstTimecode: number): number[] {
  return uintElement(ID_TIMECODE, c.timecode - firstTimecode);
}

/** Bytes the Cluster takes in the finalised file: ID, 8-byte size, the rebased Timecode, its other children. */
function clusterBody(c: ClusterScan, firstTimecode: number): number {
  return (
    clusterTimecodeElement(c, firstTimecode).length + (c.completeEnd - c.dataStart) - (c.tcEnd - c.tcStart)
  );
}

const CLUSTER_HEADER_BYTES = 4 + 8;

/**
 * Writes the finalised form of the recording `src` to `dst` (created, or truncated) and fsyncs it.
 * Throws WEBM_CORRUPT when `src` has no readable head (EBML header, Info, Opus track) or no audio;
 * AbortError when `signal` aborts. The caller renames `dst` into place.
 */
export async function finaliseRecording(
  src: string,
  dst: string,
  options: FinaliseOptions = {},
): Promise<FinaliseResult> {
  const { signal } = options;
  const input = await open(src, 'r');
  try {
    const win = new FileWindow(input, (await input.stat()).size);
    const head = await readHead(win);
    // First pass: the Clusters kept, where each lands (from the first Cluster's start), the cues, the end.
    let firstTimecode = -1;
    let clusters = 0;
    let mediaBytes = 0;
    let endNs = 0;
    const cueTimes: number[] = [];
    const cuePositions: number[] = [];
    const cueEvery = (CUE_INTERVAL_MS * 1_000_000) / head.timecodeScaleNs;
    const stoppedAt = await forEachCluster(win, head, signal, async (c) => {
      if (!kept(c, firstTimecode)) return;
      if (firstTimecode < 0) firstTimecode = c.timecode;
      const time = c.timecode - firstTimecode;
      const lastCue = cueTimes[cueTimes.length - 1];
      if (lastCue === undefined || time - lastCue >= cueEvery) {
        cueTimes.push(time);
        cuePositions.push(mediaBytes);
      }
      mediaBytes += CLUSTER_HEADER_BYTES + clusterBody(c, firstTimecode);
      endNs = Math.max(endNs, c.endNs);
      clusters++;
    });
    if (clusters === 0) throw corrupt('the recording holds no audio');
    const durationTicks = (endNs - firstTimecode * head.timecodeScaleNs) / head.timecodeScaleNs;

    // The head of the new file: sizes first (positions are fixed-width, so no size depends on a position).
    const infoBody: number[] = [];
    for (const c of head.infoKept) infoBody.push(...c);
    infoBody.push(...float64Element(ID_DURATION, durationTicks));
    if (options.title) infoBody.push(...utf8Element(ID_TITLE, options.title));
    const info = element(ID_INFO, infoBody);
    const cueTrack = uintElement(ID_CUE_TRACK, head.track);
    const cueBytes = (time: number, position: number): number[] =>
      element(ID_CUE_POINT, [
        ...uintElement(ID_CUE_TIME, time, POSITION_WIDTH),
        ...element(ID_CUE_TRACK_POSITIONS, [
          ...cueTrack,
          ...uintElement(ID_CUE_CLUSTER_POSITION, position, POSITION_WIDTH),
        ]),
      ]);
    const seekHead = (infoAt: number, tracksAt: number, cuesAt: number): number[] => {
      const seek = (id: number, at: number): number[] =>
        element(ID_SEEK, [
          ...element(ID_SEEK_ID, idBytes(id)),
          ...uintElement(ID_SEEK_POSITION, at, POSITION_WIDTH),
        ]);
      return element(ID_SEEK_HEAD, [
        ...seek(ID_INFO, infoAt),
        ...seek(ID_TRACKS, tracksAt),
        ...seek(ID_CUES, cuesAt),
      ]);
    };
    const seekHeadLength = seekHead(0, 0, 0).length;
    const infoAt = seekHeadLength;
    const tracksAt = infoAt + info.length;
    const cuesAt = tracksAt + head.tracks.length;
    const cuePointsLength = cueTimes.length * cueBytes(0, 0).length;
    const cuesHeader = idBytes(ID_CUES);
    writeSize(cuesHeader, cuePointsLength);
    const clustersAt = cuesAt + cuesHeader.length + cuePointsLength;
    const segmentSize = clustersAt + mediaBytes;

    const output = await open(dst, 'w', 0o600);
    try {
      const out = new BufferedWriter(output);
      await out.write(head.ebml);
      const segmentHeader = idBytes(ID_SEGMENT);
      writeSize(segmentHeader, segmentSize, 8);
      await out.write(segmentHeader);
      await out.write(seekHead(infoAt, tracksAt, cuesAt));
      await out.write(info);
      await out.write(head.tracks);
      await out.write(cuesHeader);
      for (let i = 0; i < cueTimes.length; i++) {
        await out.write(cueBytes(cueTimes[i] as number, clustersAt + (cuePositions[i] as number)));
      }
      // Second pass: the same Clusters, with known sizes and rebased Timecodes.
      let written = 0;
      let first = -1;
      await forEachCluster(win, head, signal, async (c) => {
        if (!kept(c, first)) return;
        if (first < 0) first = c.timecode;
        const body = clusterBody(c, first);
        const clusterHeader = idBytes(ID_CLUSTER);
        writeSize(clusterHeader, body, 8);
        await out.write(clusterHeader);
        await out.write(clusterTimecodeElement(c, first));
        await out.copy(win, c.dataStart, c.tcStart);
        await out.copy(win, c.tcEnd, c.completeEnd);
        written += CLUSTER_HEADER_BYTES + body;
      });
      if (written !== mediaBytes) {
        throw new ApiError(
          'INTERNAL',
          `finalisation read ${written} bytes of Clusters, ${mediaBytes} expected`,
        );
      }
      await out.flush();
      await output.sync();
      return {
        durationMs: (durationTicks * head.timecodeScaleNs) / 1_000_000,
        clusters,
        cues: cueTimes.length,
        bytes: out.written,
        stoppedAt,
      };
    } finally {
      await output.close();
    }
  } finally {
    await input.close();
  }
}

/** What the head of a recording file says: finalised (seekable) or not, and its length. */
export interface RecordingHead {
  finalised: boolean;
  /** From Info/Duration, in ms; null when the file has none. */
  durationMs: number | null;
}

/** Bytes of a file's head read to tell a finalised recording: its SeekHead and Info come first. */
const PROBE_BYTES = 4096;

// Returns whether `head` (a file's first bytes; the file is `fileSize` long) is a finalised recording: a
// Segment of known size that ends with the file, a SeekHead that points at Cues, and Info with a Duration.
export function probeRecordingHead(head: Uint8Array, fileSize: number): RecordingHead {
  const none: RecordingHead = { finalised: false, durationMs: null };
  try {
    const ebml = readElementHeader(head, 0);
    if (ebml === NEED_MORE || ebml.id !== ID_EBML || ebml.size === UNKNOWN_SIZE) return none;
    const segAt = ebml.headerLength + ebml.size;
    const seg = readElementHeader(head, segAt);
    if (seg === NEED_MORE || seg.id !== ID_SEGMENT || seg.size === UNKNOWN_SIZE) return none;
    const segStart = segAt + seg.headerLength;
    if (segStart + seg.size !== fileSize) return none;
    let pos = segStart;
    let hasCues = false;
    let durationMs: number | null = null;
    let scaleNs = 1_000_000;
    let duration: number | null = null;
    for (let i = 0; i < 2; i++) {
      const h = readElementHeader(head, pos);
      if (h === NEED_MORE || h.size === UNKNOWN_SIZE) return none;
      const body = head.subarray(pos + h.headerLength, pos + h.headerLength + h.size);
      if (body.length < h.size) return none;
      if (h.id === ID_SEEK_HEAD) {
        for (const seek of childrenOf(body, 0)) {
          for (const f of childrenOf(seek.data, 0)) {
            if (f.id === ID_SEEK_ID && readUint(f.data) === ID_CUES) hasCues = true;
          }
        }
      } else if (h.id === ID_INFO) {
        for (const c of childrenOf(body, 0)) {
          if (c.id === ID_TIMECODE_SCALE) scaleNs = readUint(c.data) || 1_000_000;
          if (c.id === ID_DURATION && (c.data.length === 4 || c.data.length === 8)) {
            const view = new DataView(c.data.buffer, c.data.byteOffset, c.data.length);
            duration = c.data.length === 4 ? view.getFloat32(0) : view.getFloat64(0);
          }
        }
      }
      pos += h.headerLength + h.size;
    }
    if (duration !== null && Number.isFinite(duration)) durationMs = (duration * scaleNs) / 1_000_000;
    return { finalised: hasCues && durationMs !== null, durationMs };
  } catch {
    return none;
  }
}

/** Reads the head of `file` and probes it; a file that cannot be read is not finalised. */
export function probeRecording(file: string): RecordingHead {
  let fd: number | null = null;
  try {
    fd = fs.openSync(file, 'r');
    const size = fs.fstatSync(fd).size;
    const buf = new Uint8Array(Math.min(PROBE_BYTES, size));
    const bytesRead = fs.readSync(fd, buf, 0, buf.length, 0);
    return probeRecordingHead(buf.subarray(0, bytesRead), size);
  } catch {
    return { finalised: false, durationMs: null };
  } finally {
    if (fd !== null) fs.closeSync(fd);
  }
}
