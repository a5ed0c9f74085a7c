/**
 * WebM → Opus packets: reads the Opus track of a live WebM stream, fed the chunks WebmSplitter emits, and
 * returns each packet as soon as its block is complete, with a sample-exact pts for Ogg granule positions.
 */
import { ApiError } from '../errors.js';
import type { OpusHeader, OpusPacket } from '../opus/opus-packet.js';
import { makeOpusHead, opusPacketSamples, parseOpusHead } from '../opus/opus-packet.js';
import type { ElementHeader } from './ebml.js';
import { NEED_MORE, readVint, UNKNOWN_SIZE } from './ebml.js';
import { EbmlReader } from './ebml-reader.js';
import {
  describeId,
  ID_AUDIO,
  ID_BLOCK,
  ID_BLOCK_GROUP,
  ID_CHANNELS,
  ID_CLUSTER,
  ID_CODEC_DELAY,
  ID_CODEC_ID,
  ID_CODEC_PRIVATE,
  ID_CONTENT_ENCODINGS,
  ID_EBML,
  ID_INFO,
  ID_SAMPLING_FREQUENCY,
  ID_SEGMENT,
  ID_SIMPLE_BLOCK,
  ID_SIMPLE_TAG,
  ID_TAG,
  ID_TAG_NAME,
  ID_TAG_STRING,
  ID_TAG_TRACK_UID,
  ID_TAGS,
  ID_TARGETS,
  ID_TIMECODE,
  ID_TIMECODE_SCALE,
  ID_TITLE,
  ID_TRACK_ENTRY,
  ID_TRACK_NUMBER,
  ID_TRACK_TYPE,
  ID_TRACKS,
  isSegmentLevel,
} from './ids.js';

/** Largest Block or SimpleBlock of the Opus track the demuxer holds while it arrives (WEBM_ELEMENT_TOO_LARGE). */
export const DEFAULT_MAX_BLOCK_BYTES = 1024 * 1024;
/** Info TimecodeScale when the stream gives none: 1 ms ticks. */
export const DEFAULT_TIMECODE_SCALE_NS = 1_000_000;
/** A block stamped this much later than the counted pts marks a gap (40 ms): pts re-syncs to its timecode. */
export const RESYNC_SAMPLES = 1920;

export interface WebmOpusDemuxerOptions {
  /** Cap on a Block or SimpleBlock of the Opus track, the only elements held across pushes. */
  maxBlockBytes: number;
}

/** Where packets go between pushes: nowhere (a push sets its own list). */
const NO_PACKETS: OpusPacket[] = [];

const TRACK_TYPE_AUDIO = 2;
const LACING_NONE = 0;
const LACING_XIPH = 1;
const LACING_FIXED = 2;
const LACING_EBML = 3;
const LACING_NAMES = ['no', 'Xiph', 'fixed-size', 'EBML'] as const;

/** What the media parser does with the bytes at its position (the reader passes over skipped bodies). */
type Step = 'header' | 'block-head' | 'block-data' | 'timecode';

/** The audio track the init segment describes. */
interface AudioTrack {
  number: number;
  codecId: string;
  codecPrivate: Uint8Array | null;
  codecDelayNs: number;
  channels: number;
  samplingFrequency: number;
  contentEncoded: boolean;
}

function corrupt(message: string, cause?: unknown): ApiError {
  return new ApiError('WEBM_CORRUPT', message, cause === undefined ? {} : { cause });
}

/** A child element of a whole (non-streamed) buffer: its ID and where its data lies. */
interface Child {
  id: number;
  offset: number;
  start: number;
  end: number;
}

// Returns the children of buf[start, end) in order; `base` is the stream offset of buf[0].
// Throws WEBM_CORRUPT when a child is cut off, overruns `end`, or has an unknown size, except that the
// last child may be a Segment (`open`): its data then runs to `end`, since the init stops at the first Cluster.
function childrenOf(buf: Uint8Array, start: number, end: number, base: number, open = false): Child[] {
  const out: Child[] = [];
  // The init is whole: the one streaming reader, given it as a single push, walks one level of it.
  const reader = new EbmlReader();
  reader.begin(buf.subarray(0, end), base);
  reader.pos = start;
  for (;;) {
    const h = reader.next();
    if (h === NEED_MORE) {
      if (reader.cut) throw corrupt(`init segment ends inside an element header at byte ${reader.offset}`);
      return out;
    }
    const pos = reader.start;
    const dataStart = reader.pos;
    const isOpen = open && h.id === ID_SEGMENT;
    let dataEnd: number;
    if (h.size === UNKNOWN_SIZE) {
      if (!isOpen) {
        throw corrupt(`${describeId(h.id)} at byte ${base + pos} has an unknown size in the init segment`);
      }
      dataEnd = end;
    } else {
      dataEnd = dataStart + h.size;
      if (dataEnd > end) {
        if (!isOpen) {
          throw corrupt(
            `${describeId(h.id)} at byte ${base + pos} (${h.size} bytes) runs past the end of its parent at byte ${base + end}`,
          );
        }
        dataEnd = end;
      }
    }
    out.push({ id: h.id, offset: base + pos, start: dataStart, end: dataEnd });
    reader.skip(dataEnd - dataStart);
  }
}

// Returns the unsigned integer in buf[start, end) (0 when empty). Throws WEBM_CORRUPT beyond 8 bytes.
function readUint(buf: Uint8Array, c: Child): number {
  const length = c.end - c.start;
  if (length > 8)
    throw corrupt(`${describeId(c.id)} at byte ${c.offset} is a ${length}-byte integer; at most 8`);
  let v = 0;
  for (let i = c.start; i < c.end; i++) v = v * 256 + (buf[i] as number);
  return v;
}

// Returns the float in buf[start, end): 0, 4 or 8 bytes. Throws WEBM_CORRUPT on any other length.
function readFloat(buf: Uint8Array, c: Child): number {
  const length = c.end - c.start;
  if (length === 0) return 0;
  const view = new DataView(buf.buffer, buf.byteOffset + c.start, length);
  if (length === 4) return view.getFloat32(0);
  if (length === 8) return view.getFloat64(0);
  throw corrupt(`${describeId(c.id)} at byte ${c.offset} is a ${length}-byte float; must be 4 or 8`);
}

function readString(buf: Uint8Array, c: Child): string {
  let end = c.end;
  while (end > c.start && buf[end - 1] === 0) end--;
  return new TextDecoder().decode(buf.subarray(c.start, end));
}

/** Longest tag value kept (bytes); longer ones are left out, never cut. */
const MAX_TAG_BYTES = 1024;
/** Most tags read from one init segment. */
const MAX_TAGS = 64;

/**
 * The stream's own titles in an init segment, as Vorbis-comment style `NAME=value` strings: Info's
 * Title as `TITLE=…` (where ffmpeg puts `-metadata title=…`), then each SimpleTag of a Tag that targets
 * the whole Segment (no TagTrackUID), e.g. `ARTIST=…`. Tags written after the first Cluster are not
 * read (a live source has no way to send them before its end). Never throws: a malformed init may yield
 * fewer or no tags (the demuxer reports the fault itself).
 */
export function webmTitleTags(init: Uint8Array): string[] {
  const out: string[] = [];
  const add = (name: string, buf: Uint8Array, c: Child): void => {
    if (out.length >= MAX_TAGS || c.end - c.start > MAX_TAG_BYTES || name === '') return;
    out.push(`${name.toUpperCase()}=${readString(buf, c)}`);
  };
  try {
    for (const top of childrenOf(init, 0, init.length, 0, true)) {
      if (top.id !== ID_SEGMENT) continue;
      for (const c of childrenOf(init, top.start, top.end, 0)) {
        if (c.id === ID_INFO) {
          for (const i of childrenOf(init, c.start, c.end, 0)) if (i.id === ID_TITLE) add('TITLE', init, i);
        } else if (c.id === ID_TAGS) {
          for (const tag of childrenOf(init, c.start, c.end, 0)) {
            if (tag.id !== ID_TAG) continue;
            const children = childrenOf(init, tag.start, tag.end, 0);
            const targets = children.find((x) => x.id === ID_TARGETS);
            if (
              targets &&
              childrenOf(init, targets.start, targets.end, 0).some((t) => t.id === ID_TAG_TRACK_UID)
            ) {
              continue;
            }
            for (const simple of children) {
              if (simple.id !== ID_SIMPLE_TAG) continue;
              const parts = childrenOf(init, simple.start, simple.end, 0);
              const name = parts.find((x) => x.id === ID_TAG_NAME);
              const value = parts.find((x) => x.id === ID_TAG_STRING);
              if (name && value && name.end - name.start <= 64) add(readString(init, name), init, value);
            }
          }
        }
      }
    }
  } catch {
    // A malformed init: the tags read so far stand; the demuxer reports the fault.
  }
  return out;
}

function parseTrackEntry(buf: Uint8Array, entry: Child): { type: number; track: AudioTrack } {
  let type = 0;
  const track: AudioTrack = {
    number: 0,
    codecId: '',
    codecPrivate: null,
    codecDelayNs: 0,
    channels: 1,
    samplingFrequency: 48000,
    contentEncoded: false,
  };
  for (const c of childrenOf(buf, entry.start, entry.end, 0)) {
    switch (c.id) {
      case ID_TRACK_NUMBER:
        track.number = readUint(buf, c);
        break;
      case ID_TRACK_TYPE:
        type = readUint(buf, c);
        break;
      case ID_CODEC_ID:
        track.codecId = readString(buf, c);
        break;
      case ID_CODEC_PRIVATE:
        track.codecPrivate = buf.slice(c.start, c.end);
        break;
      case ID_CODEC_DELAY:
        track.codecDelayNs = readUint(buf, c);
        break;
      case ID_CONTENT_ENCODINGS:
        track.contentEncoded = c.end > c.start;
        break;
      case ID_AUDIO:
        for (const a of childrenOf(buf, c.start, c.end, 0)) {
          if (a.id === ID_CHANNELS) track.channels = readUint(buf, a);
          else if (a.id === ID_SAMPLING_FREQUENCY) track.samplingFrequency = readFloat(buf, a);
        }
        break;
    }
  }
  return { type, track };
}

/** Runs an Opus helper on stream bytes; any error it throws becomes WEBM_CORRUPT with `context`. */
function opusCall<T>(context: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw corrupt(`${context}: ${reason}`, err);
  }
}

/**
 * Demuxes the Opus track of a live WebM stream. Call `pushInit()` with the splitter's init chunk, then
 * `pushMedia()` with every media chunk in order; each returns what its bytes complete.
 *
 * Packets are returned as soon as their block is whole. Their `data` is a view of the pushed bytes when the
 * block lay in one push, else of a copy (callers must not reuse a pushed buffer). Only an incomplete block
 * of the Opus track is held between pushes, capped by `maxBlockBytes`; every other element is skipped as
 * it streams past. pts counts samples from the first packet (pts 0): each packet starts where the previous
 * one ended, unless its block is stamped more than 40 ms later (a gap), when pts follows the timestamp.
 * Only ApiError is thrown, and a throw is final: every later push throws too.
 */
export class WebmOpusDemuxer {
  private readonly maxBlockBytes: number;

  private _header: OpusHeader | null = null;
  private track = 0;
  /** 48 kHz samples per timestamp tick (TimecodeScale × 48 kHz). */
  private samplesPerTick = 48;
  private failure: ApiError | null = null;
  /** Stream offset of the next pushed byte (the init segment counts), for error messages. */
  private bytesIn = 0;

  // Where the parser is: the reader reads headers and bodies across pushes.
  private readonly reader = new EbmlReader();
  private step: Step = 'header';
  /** Stream offset where the current Cluster ends: -1 outside one, Infinity when its size is unknown. */
  private clusterEnd = -1;
  private clusterStart = -1;
  /** The current BlockGroup's end offset, -1 outside one. */
  private groupEnd = -1;
  private clusterTimecode: number | null = null;

  // The element being read: its offset and the data bytes it has left to read.
  private elementOffset = 0;
  private elementLeft = 0;

  // The block being read: its whole data size, and once its head is read, its time and lacing.
  private blockSize = 0;
  private blockTime = 0;
  private blockLacing = LACING_NONE;

  // pts: samples counted from the first packet, and the timestamp (in samples) that pts 0 stands for.
  private origin = 0;
  private nextPts = -1;

  // Where the packets of the push being parsed go.
  private out: OpusPacket[] = NO_PACKETS;

  constructor(options: Partial<WebmOpusDemuxerOptions> = {}) {
    const max = options.maxBlockBytes ?? DEFAULT_MAX_BLOCK_BYTES;
    if (!Number.isSafeInteger(max) || max <= 0) {
      throw new RangeError(`WebmOpusDemuxer option 'maxBlockBytes' must be a positive integer, got ${max}`);
    }
    this.maxBlockBytes = max;
  }

  /** The Opus header from the init segment, once `pushInit()` has run. */
  get header(): OpusHeader | null {
    return this._header;
  }

  /** Number of the Opus track in the stream's blocks, 0 before `pushInit()`. */
  get trackNumber(): number {
    return this.track;
  }

  /**
   * Reads the init chunk (EBML header, Segment, Info, Tracks: every byte before the first Cluster) and
   * returns the Opus header: the track's CodecPrivate, or one built from its Channels and CodecDelay.
   * Throws WEBM_CORRUPT when the stream has no audio track, or its codec is not Opus.
   */
  pushInit(init: Uint8Array): OpusHeader {
    this.checkFailure();
    try {
      if (this._header !== null) throw corrupt('the init segment was already pushed; a stream has one');
      const header = this.parseInit(init);
      this.bytesIn = init.length;
      this._header = header;
      return header;
    } catch (err) {
      throw this.fail(err);
    }
  }

  /** Parses the next media bytes (Clusters, cut anywhere) and returns the packets they complete, in order. */
  pushMedia(bytes: Uint8Array): OpusPacket[] {
    this.checkFailure();
    const out: OpusPacket[] = [];
    if (this._header === null) throw this.fail(corrupt('media bytes arrived before the init segment'));
    if (bytes.length === 0) return out;
    this.reader.begin(bytes, this.bytesIn);
    this.bytesIn += bytes.length;
    this.out = out;
    try {
      this.parse();
    } catch (err) {
      throw this.fail(err);
    } finally {
      this.reader.end();
      this.out = NO_PACKETS;
    }
    return out;
  }

  /** Throws again, as a ApiError naming it, the failure that ended this demuxer, if any. */
  private checkFailure(): void {
    const cause = this.failure;
    if (cause === null) return;
    throw new ApiError(cause.code, `WebM demuxer cannot continue after an earlier error: ${cause.message}`, {
      cause,
    });
  }

  /** Records `err` as final and returns it as a ApiError (INTERNAL for anything else: a bug here). */
  private fail(err: unknown): ApiError {
    let failure: ApiError;
    if (err instanceof ApiError) failure = err;
    else {
      const reason = err instanceof Error ? err.message : String(err);
      failure = new ApiError('INTERNAL', `WebM demuxer failed: ${reason}`, { cause: err });
    }
    this.failure = failure;
    return failure;
  }

  private parseInit(init: Uint8Array): OpusHeader {
    let scale = DEFAULT_TIMECODE_SCALE_NS;
    // The first Opus track, else the first audio track (to name its codec).
    let audio: AudioTrack | null = null;
    let sawEbml = false;
    for (const top of childrenOf(init, 0, init.length, 0, true)) {
      if (top.id === ID_EBML) {
        sawEbml = true;
        continue;
      }
      if (top.id !== ID_SEGMENT) continue;
      for (const c of childrenOf(init, top.start, top.end, 0)) {
        if (c.id === ID_INFO) {
          for (const i of childrenOf(init, c.start, c.end, 0)) {
            if (i.id === ID_TIMECODE_SCALE) scale = readUint(init, i);
          }
        } else if (c.id === ID_TRACKS) {
          for (const e of childrenOf(init, c.start, c.end, 0)) {
            if (e.id !== ID_TRACK_ENTRY) continue;
            const { type, track } = parseTrackEntry(init, e);
            if (type !== TRACK_TYPE_AUDIO) continue;
            if (audio === null || (audio.codecId !== 'A_OPUS' && track.codecId === 'A_OPUS')) audio = track;
          }
        }
      }
    }
    if (!sawEbml) throw corrupt('not a WebM stream: the init segment has no EBML header');
    if (audio === null) throw corrupt('the WebM stream has no audio track');
    if (audio.codecId !== 'A_OPUS') {
      throw corrupt(
        `only Opus is supported: the audio track (number ${audio.number}) is ${audio.codecId || 'without a CodecID'}`,
      );
    }
    if (audio.number <= 0) throw corrupt('the Opus track has no TrackNumber');
    if (audio.contentEncoded) {
      throw corrupt(
        'the Opus track uses ContentEncodings (compression or encryption), which is not supported',
      );
    }
    if (scale <= 0) throw corrupt('Info TimecodeScale is 0');
    this.track = audio.number;
    this.samplesPerTick = (scale * 48) / 1_000_000;
    const track = audio;
    if (track.codecPrivate !== null && track.codecPrivate.length > 0) {
      const raw = track.codecPrivate;
      return opusCall('the Opus track CodecPrivate is not a valid OpusHead', () => parseOpusHead(raw));
    }
    // No OpusHead: build one. Beyond two channels the channel mapping is unknown.
    if (track.channels < 1 || track.channels > 2) {
      throw corrupt(
        `the Opus track has no CodecPrivate (OpusHead) and ${track.channels} channels; without one only 1 or 2 can be played`,
      );
    }
    const rate = Math.round(track.samplingFrequency);
    const raw = makeOpusHead({
      channels: track.channels,
      preSkip: Math.min(0xffff, Math.round((track.codecDelayNs * 48) / 1_000_000)),
      inputSampleRate: rate > 0 && rate <= 0xffffffff ? rate : 48000,
    });
    return opusCall('cannot build an OpusHead from the Opus track', () => parseOpusHead(raw));
  }

  private parse(): void {
    const reader = this.reader;
    for (;;) {
      switch (this.step) {
        case 'header': {
          const header = reader.next();
          if (header === NEED_MORE) return;
          this.closeEndedParents(reader.offset);
          this.startElement(header, reader.offset);
          break;
        }
        case 'timecode': {
          const data = reader.read(this.elementLeft);
          if (data === NEED_MORE) return;
          let v = 0;
          for (const b of data) v = v * 256 + b;
          this.clusterTimecode = v;
          this.step = 'header';
          break;
        }
        case 'block-head':
          if (!this.readBlockHead()) return;
          break;
        case 'block-data': {
          const data = reader.read(this.elementLeft);
          if (data === NEED_MORE) return;
          this.emitBlock(data);
          this.step = 'header';
          break;
        }
      }
    }
  }

  /** At an element boundary: leaves the BlockGroup and the Cluster of known size that end there. */
  private closeEndedParents(offset: number): void {
    if (offset === this.groupEnd) this.groupEnd = -1;
    if (offset === this.clusterEnd) this.leaveCluster();
  }

  private leaveCluster(): void {
    this.clusterEnd = -1;
    this.clusterStart = -1;
    this.clusterTimecode = null;
  }

  /** Acts on a whole element header at stream offset `offset`; the parser stands at its data. */
  private startElement(h: ElementHeader, offset: number): void {
    const { id } = h;
    if (id === ID_EBML) {
      throw corrupt(`second EBML header at byte ${offset}: a new WebM stream began inside this one`);
    }
    if (this.groupEnd >= 0) {
      if (isSegmentLevel(id) || id === ID_SIMPLE_BLOCK || id === ID_BLOCK_GROUP || id === ID_TIMECODE) {
        throw corrupt(`${describeId(id)} at byte ${offset} cannot appear inside a BlockGroup`);
      }
      const size = this.knownSize(h, offset, this.groupEnd, 'BlockGroup');
      if (id === ID_BLOCK) this.startBlock(size, offset);
      else this.skipData(size);
      return;
    }
    if (this.clusterEnd >= 0) {
      if (isSegmentLevel(id)) {
        if (this.clusterEnd !== Number.POSITIVE_INFINITY) {
          throw corrupt(
            `${describeId(id)} at byte ${offset} cannot appear inside the Cluster that starts at byte ${this.clusterStart}`,
          );
        }
        // An element of the Segment's level ends a Cluster of unknown size.
        this.leaveCluster();
      } else {
        const size = this.knownSize(h, offset, this.clusterEnd, 'Cluster');
        switch (id) {
          case ID_TIMECODE:
            if (size > 8)
              throw corrupt(`Cluster Timecode at byte ${offset} is ${size} bytes long; at most 8`);
            if (size === 0) this.clusterTimecode = 0;
            else this.expect('timecode', size, offset);
            return;
          case ID_SIMPLE_BLOCK:
            this.startBlock(size, offset);
            return;
          case ID_BLOCK_GROUP:
            this.groupEnd = offset + h.headerLength + size;
            return;
          default:
            this.skipData(size);
            return;
        }
      }
    }
    // Segment level.
    if (id === ID_CLUSTER) {
      this.clusterStart = offset;
      this.clusterEnd = h.size === UNKNOWN_SIZE ? Number.POSITIVE_INFINITY : offset + h.headerLength + h.size;
      this.clusterTimecode = null;
      return;
    }
    if (id === ID_SIMPLE_BLOCK || id === ID_BLOCK_GROUP || id === ID_TIMECODE || id === ID_BLOCK) {
      throw corrupt(`${describeId(id)} at byte ${offset} is outside any Cluster`);
    }
    this.skipData(this.knownSize(h, offset, Number.POSITIVE_INFINITY, 'Segment'));
  }

  /** The element's data size; throws WEBM_CORRUPT when it is unknown or runs past its parent's end. */
  private knownSize(h: ElementHeader, offset: number, parentEnd: number, parent: string): number {
    if (h.size === UNKNOWN_SIZE) {
      throw corrupt(
        `${describeId(h.id)} at byte ${offset} has an unknown size; only a Cluster may have one here`,
      );
    }
    if (offset + h.headerLength + h.size > parentEnd) {
      throw corrupt(
        `${describeId(h.id)} at byte ${offset} (${h.size} bytes) runs past the end of its ${parent} at byte ${parentEnd}`,
      );
    }
    return h.size;
  }

  private skipData(size: number): void {
    this.reader.skip(size);
    this.step = 'header';
  }

  /** Reads `size` data bytes next, in step `step`. */
  private expect(step: Step, size: number, offset: number): void {
    this.step = step;
    this.elementOffset = offset;
    this.elementLeft = size;
  }

  private startBlock(size: number, offset: number): void {
    if (this.clusterTimecode === null) {
      throw corrupt(`block at byte ${offset} comes before its Cluster's Timecode`);
    }
    this.blockSize = size;
    this.expect('block-head', size, offset);
  }

  // Reads a block's head (track number, relative timecode, flags), up to 11 bytes that may span pushes.
  // Returns false when the push ends first. Else sets the next step: skip a block of another track, or
  // read the Opus block's data (throwing WEBM_ELEMENT_TOO_LARGE beyond maxBlockBytes).
  private readBlockHead(): boolean {
    const size = this.blockSize;
    const offset = this.elementOffset;
    const reader = this.reader;
    if (!reader.gathering) {
      // The track number's first byte gives the head's length.
      const first = reader.peek();
      if (first < 0) return false;
      if (first === 0) throw corrupt(`block at byte ${offset} has an invalid track number`);
      const headLength = Math.clz32(first) - 23 + 3;
      if (headLength > size) {
        throw corrupt(`block at byte ${offset} is ${size} bytes, shorter than its ${headLength}-byte head`);
      }
      this.elementLeft = headLength;
    }
    const head = reader.read(this.elementLeft);
    if (head === NEED_MORE) return false;
    const track = readVint(head, 0, offset);
    if (track === NEED_MORE || track.value === UNKNOWN_SIZE) {
      throw corrupt(`block at byte ${offset} has an invalid track number`);
    }
    const dataSize = size - head.length;
    if (track.value !== this.track) {
      this.step = 'header';
      this.skipData(dataSize);
      return true;
    }
    if (size > this.maxBlockBytes) {
      throw new ApiError(
        'WEBM_ELEMENT_TOO_LARGE',
        `block at byte ${offset} is ${size} bytes, more than the ${this.maxBlockBytes}-byte limit (maxBlockBytes)`,
      );
    }
    // A signed 16-bit timecode, relative to the Cluster's.
    const rel = (((head[track.length] as number) << 24) >> 16) | (head[track.length + 1] as number);
    this.blockTime = (this.clusterTimecode ?? 0) + rel;
    this.blockLacing = ((head[track.length + 2] as number) >> 1) & 3;
    if (dataSize === 0) {
      this.step = 'header';
      this.emitBlock(head.subarray(head.length));
    } else {
      this.expect('block-data', dataSize, offset);
    }
    return true;
  }

  /** Splits a whole Opus block's data into its laced frames and emits each as a packet. */
  private emitBlock(data: Uint8Array): void {
    const offset = this.elementOffset;
    const stamped = Math.round(this.blockTime * this.samplesPerTick);
    if (this.blockLacing === LACING_NONE) {
      this.emitPacket(data, stamped, offset);
      return;
    }
    const lacing = LACING_NAMES[this.blockLacing];
    const short = (): ApiError =>
      corrupt(`block at byte ${offset}: ${lacing} lacing runs past the block's end`);
    if (data.length < 1) throw short();
    const count = (data[0] as number) + 1;
    const sizes: number[] = [];
    let pos = 1;
    if (this.blockLacing === LACING_XIPH) {
      for (let i = 0; i < count - 1; i++) {
        let frame = 0;
        let b: number;
        do {
          if (pos >= data.length) throw short();
          b = data[pos++] as number;
          frame += b;
        } while (b === 255);
        sizes.push(frame);
      }
    } else if (this.blockLacing === LACING_EBML) {
      let frame = 0;
      for (let i = 0; i < count - 1; i++) {
        const v = readVint(data, pos, 0);
        if (v === NEED_MORE) throw short();
        if (v.value === UNKNOWN_SIZE) throw corrupt(`block at byte ${offset}: reserved EBML lace size`);
        // The first size is unsigned; each later one is a signed difference from the one before.
        frame = i === 0 ? v.value : frame + v.value - (2 ** (7 * v.length - 1) - 1);
        if (frame < 0) throw corrupt(`block at byte ${offset}: negative EBML lace size`);
        sizes.push(frame);
        pos += v.length;
      }
    } else if (this.blockLacing === LACING_FIXED) {
      const each = (data.length - pos) / count;
      if (!Number.isInteger(each)) {
        throw corrupt(
          `block at byte ${offset}: ${data.length - pos} bytes do not split into ${count} equal frames`,
        );
      }
      for (let i = 0; i < count - 1; i++) sizes.push(each);
    }
    let used = 0;
    for (const s of sizes) used += s;
    if (pos + used > data.length) throw short();
    sizes.push(data.length - pos - used);
    for (let i = 0; i < sizes.length; i++) {
      const end = pos + (sizes[i] as number);
      // Frames after the first have no timestamp of their own: they follow on.
      this.emitPacket(data.subarray(pos, end), i === 0 ? stamped : null, offset);
      pos = end;
    }
  }

  /** Emits one Opus packet; `stamped` is its block's timestamp in samples, or null for a later laced frame. */
  private emitPacket(data: Uint8Array, stamped: number | null, offset: number): void {
    const samples = opusCall(`block at byte ${offset} is not a valid Opus packet`, () =>
      opusPacketSamples(data),
    );
    let pts: number;
    if (this.nextPts < 0) {
      this.origin = stamped ?? 0;
      pts = 0;
    } else if (stamped === null) {
      pts = this.nextPts;
    } else {
      const drift = stamped - this.origin - this.nextPts;
      if (drift > RESYNC_SAMPLES) {
        // A gap: the stream skipped time, so must the granule.
        pts = stamped - this.origin;
      } else {
        pts = this.nextPts;
        // Timestamps went back: count on, and measure later gaps from here.
        if (drift < -RESYNC_SAMPLES) this.origin = stamped - pts;
      }
    }
    this.nextPts = pts + samples;
    this.out.push({ data, pts, samples });
  }
}
