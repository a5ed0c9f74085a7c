/**
 * WebM splitter: cuts a live WebM byte stream, split anywhere, into one init chunk (every byte before the
 * first Cluster) and media chunks, each Cluster starting a new chunk marked as a sync point.
 */
import { ApiError } from '../errors.js';
import type { ElementHeader } from './ebml.js';
import { NEED_MORE, readId, UNKNOWN_SIZE } from './ebml.js';
import { EbmlReader } from './ebml-reader.js';
import {
  CLUSTER_ID_BYTES,
  describeId,
  ID_CLUSTER,
  ID_EBML,
  ID_SEGMENT,
  isClusterChild,
  isSegmentChild,
} from './ids.js';

export const DEFAULT_MAX_INIT_BYTES = 128 * 1024;
export const DEFAULT_MAX_ELEMENT_BYTES = 4 * 1024 * 1024;

export interface WebmSplitterOptions {
  /** Cap on everything before the first Cluster (EBML header, Segment header, Info, Tracks, …). */
  maxInitBytes: number;
  /** Cap on the declared size of every element after the init segment, Clusters themselves excepted. */
  maxElementBytes: number;
}

export interface WebmChunk {
  /** `init`: every byte before the first Cluster, emitted once. `media`: the rest of the stream, in order. */
  kind: 'init' | 'media';
  bytes: Uint8Array;
  /** True when `bytes` begins at the first byte of a Cluster's ID: a listener may start here. */
  syncPoint: boolean;
}

/** What the splitter expects at the next element boundary. */
type State = 'ebml-header' | 'segment-header' | 'segment' | 'cluster' | 'after-segment';

const EMPTY: Uint8Array = new Uint8Array(0);
const INITIAL_INIT_CAPACITY = 4096;

/** True when the first `length` bytes of `buf` (fewer than 4) could begin a Cluster ID. */
function isClusterIdPrefix(buf: Uint8Array, length: number): boolean {
  for (let i = 0; i < length; i++) if (buf[i] !== CLUSTER_ID_BYTES[i]) return false;
  return true;
}

function corrupt(message: string): ApiError {
  return new ApiError('WEBM_CORRUPT', message);
}

function checkLimit(name: keyof WebmSplitterOptions, value: unknown): void {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value <= 0) {
    throw new RangeError(`WebmSplitter option '${name}' must be a positive integer, got ${String(value)}`);
  }
}

/**
 * Splits a live WebM stream as it arrives. Feed every received piece to `push()`; it returns the chunks
 * those bytes complete. Concatenating every returned chunk gives back the input exactly.
 *
 * Parsing skips element bodies, so its cost follows the number of elements, not of bytes. Media chunks are
 * views of the pushed bytes (callers must not reuse a pushed buffer); only the init segment and up to 3
 * held-back bytes (a Cluster ID cut by the end of a push) are copied. A throw is final: the chunks of the
 * failing push are lost and every later push throws too.
 */
export class WebmSplitter {
  private readonly maxInitBytes: number;
  private readonly maxElementBytes: number;

  private state: State = 'ebml-header';
  private _bytesIn = 0;
  private failure: unknown = null;
  private segmentStart = -1;
  /** Stream offset where the Segment ends; Infinity while its size is unknown. */
  private segmentEnd = Number.POSITIVE_INFINITY;
  private clusterStart = -1;
  /** Stream offset where the current Cluster ends (the Segment's end when its size is unknown); -1 outside one. */
  private clusterEnd = -1;
  private clusterSized = false;

  // Init segment: copied as it arrives, frozen at the first Cluster.
  private initBuf = EMPTY;
  private initLength = 0;
  private _initSegment: Uint8Array | null = null;

  /** Element headers and bodies, read across pushes; a header cut by the end of a push is carried. */
  private readonly reader = new EbmlReader();
  /** The cut header's element was already checked and acted on: its ID was complete. */
  private heldStarted = false;
  /** Held bytes from earlier pushes not emitted yet, because they may begin a Cluster. */
  private pendingLength = 0;

  // The push being parsed: chunks are cut from `cur` (the reader's push) between `emitFrom` and the parse position.
  private cur = EMPTY;
  private out: WebmChunk[] = [];
  private emitFrom = 0;
  private openSync = false;

  constructor(options: Partial<WebmSplitterOptions> = {}) {
    const opts: WebmSplitterOptions = {
      maxInitBytes: DEFAULT_MAX_INIT_BYTES,
      maxElementBytes: DEFAULT_MAX_ELEMENT_BYTES,
      ...options,
    };
    checkLimit('maxInitBytes', opts.maxInitBytes);
    checkLimit('maxElementBytes', opts.maxElementBytes);
    this.maxInitBytes = opts.maxInitBytes;
    this.maxElementBytes = opts.maxElementBytes;
  }

  /** Everything before the first Cluster, once it has been seen; the same bytes as the `init` chunk. */
  get initSegment(): Uint8Array | null {
    return this._initSegment;
  }

  /** Bytes pushed so far. */
  get bytesIn(): number {
    return this._bytesIn;
  }

  /** Parses `bytes` and returns the chunks they complete, in stream order. Throws ApiError on bad input. */
  push(bytes: Uint8Array): WebmChunk[] {
    if (this.failure !== null) {
      const cause = this.failure;
      const code = cause instanceof ApiError ? cause.code : 'INTERNAL';
      const reason = cause instanceof Error ? cause.message : String(cause);
      throw new ApiError(code, `WebM splitter cannot continue after an earlier error: ${reason}`, { cause });
    }
    const out: WebmChunk[] = [];
    if (bytes.length === 0) return out;
    const base = this._bytesIn;
    this._bytesIn += bytes.length;
    this.cur = bytes;
    this.reader.begin(bytes, base);
    this.out = out;
    this.emitFrom = 0;
    this.openSync = false;
    try {
      this.parse();
    } catch (err) {
      this.failure = err;
      throw err;
    } finally {
      this.cur = EMPTY;
      this.reader.end();
      this.out = [];
    }
    return out;
  }

  private parse(): void {
    const reader = this.reader;
    for (;;) {
      const resuming = reader.cut;
      const header = reader.next();
      if (header === NEED_MORE) {
        if (!reader.cut) break;
        if (resuming) this.stillCut();
        else this.cutHeader(reader.start, reader.offset);
        return;
      }
      const offset = reader.offset;
      if (resuming) {
        if (!this.heldStarted) this.startElement(header.id, -1, offset);
        this.heldStarted = false;
      } else {
        this.closeParentsAt(offset);
        this.startElement(header.id, reader.start, offset);
      }
      this.enterElement(header, offset);
    }
    this.emit(this.cur.length);
  }

  /** At an element boundary: closes whatever known-size parent ends there. */
  private closeParentsAt(offset: number): void {
    if (offset === this.clusterEnd) this.leaveCluster();
    if (offset === this.segmentEnd) this.state = 'after-segment';
  }

  /** The push ended inside the header at `pos` (carried to the next push): emits what may go. */
  private cutHeader(pos: number, offset: number): void {
    this.closeParentsAt(offset);
    const cur = this.cur;
    const carried = this.reader.carry.bytes;
    this.heldStarted = false;
    const id = readId(carried, 0, offset);
    if (id !== NEED_MORE) {
      // The ID is whole: a Cluster starts its chunk here, and the size follows in the next push.
      this.startElement(id.value, pos, offset);
      this.heldStarted = true;
    } else if (isClusterIdPrefix(carried, carried.length)) {
      // Maybe a Cluster: its first bytes must open the next sync chunk, so they wait.
      this.emit(pos);
      this.pendingLength = carried.length;
      return;
    }
    this.emit(cur.length);
  }

  /** The whole push went into the carried header (12 bytes always complete one), still short. */
  private stillCut(): void {
    const cur = this.cur;
    const carry = this.reader.carry;
    if (!this.heldStarted) {
      const id = readId(carry.bytes, 0, carry.offset);
      if (id !== NEED_MORE) {
        this.startElement(id.value, -1, carry.offset);
        this.heldStarted = true;
      } else if (this.pendingLength > 0) {
        // Still a cut ID that began like a Cluster's: this push's bytes join the held ones.
        this.pendingLength = carry.length;
        this.emitFrom = cur.length;
        return;
      }
    }
    this.emit(cur.length);
  }

  /**
   * Acts on an element whose ID is known (its size may not be): checks it may appear here, and cuts a
   * chunk when it is a Cluster. `pos` is where it starts in this push, or -1 when it began in held bytes.
   */
  private startElement(id: number, pos: number, offset: number): void {
    this.checkPlacement(id, offset);
    if (id === ID_CLUSTER) this.startCluster(pos);
    else if (pos < 0 && this.pendingLength > 0) this.releasePending(false);
  }

  /** Throws WEBM_CORRUPT unless element `id` may start at `offset`; leaves a Cluster of unknown size it ends. */
  private checkPlacement(id: number, offset: number): void {
    switch (this.state) {
      case 'ebml-header':
        if (id !== ID_EBML) {
          throw corrupt(
            `not a WebM stream: expected the EBML header (0x1A45DFA3) at byte 0, found ${describeId(id)}`,
          );
        }
        return;
      case 'segment-header':
        if (id === ID_EBML) throw this.secondEbmlHeader(offset);
        if (id !== ID_SEGMENT) {
          throw corrupt(
            `expected a Segment (0x18538067) after the EBML header, found ${describeId(id)} at byte ${offset}`,
          );
        }
        return;
      case 'cluster':
        if (isClusterChild(id)) return;
        if (id === ID_EBML) throw this.secondEbmlHeader(offset);
        if (this.clusterSized || !(isSegmentChild(id) || id === ID_SEGMENT)) {
          throw corrupt(
            `${describeId(id)} at byte ${offset} cannot appear inside the Cluster that starts at byte ${this.clusterStart}`,
          );
        }
        // An element of the Segment's level ends a Cluster of unknown size.
        this.leaveCluster();
        this.checkPlacement(id, offset);
        return;
      case 'segment':
        if (isSegmentChild(id)) return;
        if (id === ID_EBML) throw this.secondEbmlHeader(offset);
        throw corrupt(
          `${describeId(id)} at byte ${offset} cannot appear inside the Segment that starts at byte ${this.segmentStart}`,
        );
      case 'after-segment':
        if (id === ID_EBML) throw this.secondEbmlHeader(offset);
        throw corrupt(
          `${describeId(id)} at byte ${offset} follows the end of the Segment that starts at byte ${this.segmentStart}`,
        );
    }
  }

  /** A Cluster starts at `pos` in this push (or at the held bytes when -1): end the chunk before it. */
  private startCluster(pos: number): void {
    if (pos < 0) {
      // Its first bytes were held back unsent and open the sync chunk; this push, not emitted from yet,
      // continues it in a chunk of its own.
      if (this._initSegment === null) this.finishInit();
      this.releasePending(true);
      return;
    }
    this.emit(pos);
    if (this._initSegment === null) this.finishInit();
    this.openSync = true;
  }

  /** Acts on a whole header: descends into Segment and Cluster, skips the body of anything else. */
  private enterElement(header: ElementHeader, offset: number): void {
    const { id, size } = header;
    const bodyStart = offset + header.headerLength;
    switch (this.state) {
      case 'ebml-header':
        this.skipBody(header, offset, Number.POSITIVE_INFINITY, 'stream');
        this.state = 'segment-header';
        return;
      case 'segment-header':
        this.checkInitEnd(id, offset, bodyStart);
        this.segmentStart = offset;
        this.segmentEnd = size === UNKNOWN_SIZE ? Number.POSITIVE_INFINITY : bodyStart + size;
        this.state = 'segment';
        return;
      case 'segment':
        if (id === ID_CLUSTER) {
          const sized = size !== UNKNOWN_SIZE;
          const end = sized ? bodyStart + size : this.segmentEnd;
          if (sized ? end > this.segmentEnd : bodyStart > this.segmentEnd) {
            throw this.overrun(header, offset, 'Segment', this.segmentStart, this.segmentEnd);
          }
          this.state = 'cluster';
          this.clusterStart = offset;
          this.clusterEnd = end;
          this.clusterSized = sized;
          return;
        }
        this.skipBody(header, offset, this.segmentEnd, 'Segment');
        return;
      case 'cluster':
        this.skipBody(header, offset, this.clusterEnd, 'Cluster');
        return;
      case 'after-segment':
        return; // checkPlacement has thrown already.
    }
  }

  private skipBody(
    header: ElementHeader,
    offset: number,
    parentEnd: number,
    parent: 'stream' | 'Segment' | 'Cluster',
  ): void {
    const { id, size } = header;
    if (size === UNKNOWN_SIZE) {
      throw corrupt(
        `${describeId(id)} at byte ${offset} has an unknown size; only a Segment or a Cluster may have one`,
      );
    }
    const end = offset + header.headerLength + size;
    if (this._initSegment === null) {
      this.checkInitEnd(id, offset, end);
    } else if (size > this.maxElementBytes) {
      throw new ApiError(
        'WEBM_ELEMENT_TOO_LARGE',
        `${describeId(id)} at byte ${offset} declares ${size} bytes, more than the ${this.maxElementBytes}-byte limit (maxElementBytes)`,
      );
    }
    if (end > parentEnd) {
      const parentStart = parent === 'Cluster' ? this.clusterStart : this.segmentStart;
      throw this.overrun(header, offset, parent, parentStart, parentEnd);
    }
    this.reader.skip(size);
  }

  /** Before the first Cluster, an element reaching past `maxInitBytes` makes the init segment too large. */
  private checkInitEnd(id: number, offset: number, end: number): void {
    if (end > this.maxInitBytes) {
      throw new ApiError(
        'WEBM_INIT_TOO_LARGE',
        `${describeId(id)} at byte ${offset} ends at byte ${end}, but everything before the first Cluster must fit in ${this.maxInitBytes} bytes (maxInitBytes)`,
      );
    }
  }

  private leaveCluster(): void {
    this.state = 'segment';
    this.clusterStart = -1;
    this.clusterEnd = -1;
    this.clusterSized = false;
  }

  /** Emits this push's bytes from `emitFrom` up to `end`: into the init segment, or as a media chunk. */
  private emit(end: number): void {
    const from = this.emitFrom;
    if (end <= from) return;
    this.emitFrom = end;
    const bytes = this.cur.subarray(from, end);
    if (this._initSegment === null) {
      this.appendInit(bytes);
      return;
    }
    this.out.push({ kind: 'media', bytes, syncPoint: this.openSync });
    this.openSync = false;
  }

  /** Emits the held-back bytes of earlier pushes, as their own chunk (they are a copy already). */
  private releasePending(syncPoint: boolean): void {
    const bytes = this.reader.carry.bytes.slice(0, this.pendingLength);
    this.pendingLength = 0;
    if (this._initSegment === null) this.appendInit(bytes);
    else this.out.push({ kind: 'media', bytes, syncPoint });
  }

  private appendInit(bytes: Uint8Array): void {
    const length = this.initLength + bytes.length;
    if (length > this.maxInitBytes) {
      throw new ApiError(
        'WEBM_INIT_TOO_LARGE',
        `no Cluster within the first ${this.maxInitBytes} bytes (maxInitBytes): everything before the first Cluster is the init segment`,
      );
    }
    if (length > this.initBuf.length) {
      let capacity = Math.max(this.initBuf.length * 2, INITIAL_INIT_CAPACITY);
      while (capacity < length) capacity *= 2;
      const grown = new Uint8Array(Math.min(capacity, this.maxInitBytes));
      grown.set(this.initBuf.subarray(0, this.initLength));
      this.initBuf = grown;
    }
    this.initBuf.set(bytes, this.initLength);
    this.initLength = length;
  }

  private finishInit(): void {
    const init = this.initBuf.slice(0, this.initLength);
    this._initSegment = init;
    this.initBuf = EMPTY;
    this.out.push({ kind: 'init', bytes: init, syncPoint: false });
  }

  private secondEbmlHeader(offset: number): ApiError {
    return corrupt(
      `second EBML header at byte ${offset}: a new WebM stream began after the Segment at byte ${this.segmentStart}; ` +
        'each broadcast must carry exactly one recording',
    );
  }

  private overrun(
    header: ElementHeader,
    offset: number,
    parent: string,
    parentStart: number,
    parentEnd: number,
  ): ApiError {
    const size = header.size === UNKNOWN_SIZE ? 'unknown size' : `${header.size} bytes`;
    return corrupt(
      `${describeId(header.id)} at byte ${offset} (${size}) runs past the end of the ${parent} that starts at byte ${parentStart} and ends at byte ${parentEnd}`,
    );
  }
}
