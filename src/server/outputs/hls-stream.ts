/**
 * One broadcast's HLS stream: Opus packets in, cut into parts of about `partMs` (each one fMP4
 * fragment, made once) and segments of about `segmentMs` (the parts' bytes back to back), in a
 * sliding window of `windowSegments` complete segments. Parts and segments never change once
 * complete. Knows no HTTP: `hls.ts` serves it, `hls-playlist.ts` writes its playlist.
 */
import { fragment, initSegment } from '../fmp4/muxer.js';
import { OPUS_TIMESCALE } from '../fmp4/opus.js';
import type { OpusHeader, OpusPacket } from '../opus/opus-packet.js';

export interface HlsTiming {
  /** Part target (PART-TARGET); every part is at most this long. */
  partMs: number;
  /** Segment target: a segment closes at the first part boundary from `segmentMs − partMs/2` on. */
  segmentMs: number;
  /** Complete segments kept (the playlist's window); older ones are forgotten. */
  windowSegments: number;
}

/** A part closes early past this many bytes (a bound whatever the packets' sizes). */
export const MAX_PART_BYTES = 256 * 1024;

export interface HlsPart {
  bytes: Uint8Array;
  /** 48 kHz samples. */
  samples: number;
}

export interface HlsSegment {
  msn: number;
  parts: HlsPart[];
  samples: number;
  /** Wall-clock time of the segment's first sample (its first packet's arrival), ms since the epoch. */
  startedAt: number;
  /** The whole segment once complete (its parts back to back), null while parts still come. */
  bytes: Uint8Array | null;
}

/** Where a held request stands: answerable now, not yet, never sensible (400), or past (404). */
export type BlockState = 'ready' | 'wait' | 'too-far' | 'gone';

export class HlsStream {
  /** Names this broadcast in URLs, so a cache never serves one broadcast's bytes for another's. */
  readonly id: string;
  readonly init: Uint8Array;
  readonly timing: HlsTiming;
  /** EXT-X-TARGETDURATION: whole seconds, at least every segment's duration rounded. */
  readonly targetDuration: number;
  ended = false;
  /** The window: complete segments, then the one being filled (when it has a part). */
  readonly segments: HlsSegment[] = [];
  private nextMsn: number;
  private pending: OpusPacket[] = [];
  private pendingSamples = 0;
  private pendingBytes = 0;
  private decodeTime = 0;
  private fragmentSequence = 1;
  private readonly partSamples: number;
  private readonly segmentCloseSamples: number;
  private readonly now: () => number;
  /** Called after every new part and at the end. */
  onUpdate: () => void = () => {};

  constructor(options: {
    id: string;
    head: OpusHeader;
    firstMsn: number;
    timing: HlsTiming;
    now?: () => number;
  }) {
    this.id = options.id;
    this.init = initSegment(options.head);
    this.timing = options.timing;
    this.nextMsn = options.firstMsn;
    this.now = options.now ?? Date.now;
    this.partSamples = Math.round((options.timing.partMs / 1000) * OPUS_TIMESCALE);
    this.segmentCloseSamples = Math.round(
      ((options.timing.segmentMs - options.timing.partMs / 2) / 1000) * OPUS_TIMESCALE,
    );
    this.targetDuration = Math.max(1, Math.round((options.timing.segmentMs + options.timing.partMs) / 1000));
  }

  /** HOLD-BACK, in seconds: three target durations, the least RFC 8216bis §4.4.3.8 allows. */
  get holdBackS(): number {
    return 3 * this.targetDuration;
  }

  /**
   * Whether a player can start here: the window holds HOLD-BACK's worth of complete segments (or all
   * the window can hold), or the stream ended. A client must start at least HOLD-BACK from the end
   * (RFC 8216bis §6.3.3); a shorter playlist leaves it no segment to start at. Chromium's own HLS
   * player then fails the element (MEDIA_ERR_SRC_NOT_SUPPORTED, "Segment queue never had any data").
   */
  get startable(): boolean {
    if (this.ended) return true;
    const needed = Math.min(
      this.timing.windowSegments,
      Math.ceil((this.holdBackS * 1000) / this.timing.segmentMs),
    );
    return this.segments.filter((s) => s.bytes !== null).length >= needed;
  }

  /** The MSN of the first segment in the window (EXT-X-MEDIA-SEQUENCE). */
  get firstMsn(): number {
    return this.segments[0]?.msn ?? this.nextMsn;
  }

  /** The segment parts are being added to: its MSN and how many parts it has so far. */
  get edge(): { msn: number; parts: number } {
    const last = this.segments.at(-1);
    if (last && last.bytes === null) return { msn: last.msn, parts: last.parts.length };
    return { msn: this.nextMsn, parts: 0 };
  }

  /** The first MSN a later broadcast of the mount may take: after every segment this one made. */
  get endMsn(): number {
    return this.ended ? this.nextMsn : this.edge.msn + 1;
  }

  /** Takes the next packets (in stream order); completes parts and segments as they fill. */
  push(packets: readonly OpusPacket[]): void {
    if (this.ended) return;
    let changed = false;
    for (const p of packets) {
      // A packet that would overfill the part starts the next one.
      if (this.pending.length > 0 && this.pendingSamples + p.samples > this.partSamples) {
        this.closePart();
        changed = true;
      }
      this.pending.push(p);
      this.pendingSamples += p.samples;
      this.pendingBytes += p.data.byteLength;
      // Close as soon as another packet like this one would not fit: no wait for the next packet.
      if (this.pendingSamples + p.samples > this.partSamples || this.pendingBytes >= MAX_PART_BYTES) {
        this.closePart();
        changed = true;
      }
    }
    if (changed) this.onUpdate();
  }

  /** The broadcast ended: what is pending becomes the last part, the last segment completes. */
  end(): void {
    if (this.ended) return;
    if (this.pending.length > 0) this.closePart();
    const last = this.segments.at(-1);
    if (last && last.bytes === null) this.closeSegment(last);
    this.ended = true;
    this.onUpdate();
  }

  segment(msn: number): HlsSegment | undefined {
    const first = this.segments[0];
    return first ? this.segments[msn - first.msn] : undefined;
  }

  /** Complete segment `msn`'s bytes, or null (not in the window, or not complete yet). */
  segmentBytes(msn: number): Uint8Array | null {
    return this.segment(msn)?.bytes ?? null;
  }

  /** Part `part` of segment `msn`, or null when it is not (or no longer, or not yet) there. */
  partBytes(msn: number, part: number): Uint8Array | null {
    return this.segment(msn)?.parts[part]?.bytes ?? null;
  }

  /**
   * Whether a blocking reload for segment `msn` (and its part `part`) can be answered
   * (RFC 8216bis §6.2.5.2): ready once that segment is complete or that part exists (or the stream
   * ended); too far when `msn` is more than two past the last complete segment, or the part is more
   * than the Advance Part Limit past the newest part.
   */
  blockState(msn: number, part?: number): BlockState {
    const edge = this.edge;
    if (this.ended) return 'ready';
    if (part === undefined) {
      if (msn < edge.msn) return 'ready';
      return msn > edge.msn + 1 ? 'too-far' : 'wait';
    }
    if (msn < edge.msn || (msn === edge.msn && part < edge.parts)) return 'ready';
    if (msn > edge.msn + 1) return 'too-far';
    return this.partsAhead(msn, part) > this.advancePartLimit() ? 'too-far' : 'wait';
  }

  /**
   * Whether part `part` of `msn` is there, or a part shortly after the newest one (the preload hint
   * or up to the Advance Part Limit after it): a request worth holding.
   */
  partState(msn: number, part: number): BlockState {
    if (this.partBytes(msn, part)) return 'ready';
    if (this.ended || msn < this.edge.msn || (msn === this.edge.msn && part < this.edge.parts)) return 'gone';
    const ahead = this.partsAhead(msn, part);
    return ahead >= 1 && ahead <= this.advancePartLimit() ? 'wait' : 'too-far';
  }

  /** Parts from the newest one to (msn, part), counting a segment as its expected number of parts. */
  private partsAhead(msn: number, part: number): number {
    const edge = this.edge;
    const perSegment = Math.max(1, Math.round(this.timing.segmentMs / this.timing.partMs));
    return (msn - edge.msn) * perSegment + part - (edge.parts - 1);
  }

  /** Three divided by the part target when under a second, else three (RFC 8216bis §6.2.5.2). */
  private advancePartLimit(): number {
    const partS = this.timing.partMs / 1000;
    return partS < 1 ? Math.floor(3 / partS) : 3;
  }

  private closePart(): void {
    const packets = this.pending;
    const samples = this.pendingSamples;
    this.pending = [];
    this.pendingSamples = 0;
    this.pendingBytes = 0;
    let seg = this.segments.at(-1);
    if (!seg || seg.bytes !== null) {
      // Its first sample arrived with its first packet, about one part ago.
      const startedAt = this.now() - (samples / OPUS_TIMESCALE) * 1000;
      seg = { msn: this.nextMsn, parts: [], samples: 0, startedAt, bytes: null };
      this.segments.push(seg);
    }
    seg.parts.push({ bytes: fragment(this.fragmentSequence++, this.decodeTime, packets), samples });
    seg.samples += samples;
    this.decodeTime += samples;
    if (seg.samples >= this.segmentCloseSamples || seg.parts.length >= MAX_PARTS_PER_SEGMENT) {
      this.closeSegment(seg);
    }
  }

  private closeSegment(seg: HlsSegment): void {
    const size = seg.parts.reduce((n, p) => n + p.bytes.byteLength, 0);
    const bytes = new Uint8Array(size);
    let at = 0;
    // The parts become views into the segment: their bytes are kept once.
    for (const p of seg.parts) {
      bytes.set(p.bytes, at);
      p.bytes = bytes.subarray(at, at + p.bytes.byteLength);
      at += p.bytes.byteLength;
    }
    seg.bytes = bytes;
    this.nextMsn = seg.msn + 1;
    while (this.segments.length > this.timing.windowSegments) this.segments.shift();
  }
}

/** A segment closes after this many parts whatever their length (parts closed early by size). */
const MAX_PARTS_PER_SEGMENT = 64;
