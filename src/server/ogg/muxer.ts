/**
 * Ogg Opus muxer: turns Opus packets into Ogg pages (RFC 3533, RFC 7845) once per chunk, the same bytes
 * going to every listener.
 */
import type { OpusHeader, OpusPacket, OpusTags } from '../opus/opus-packet.js';
import { makeOpusTags } from '../opus/opus-packet.js';
import {
  FLAG_BOS,
  FLAG_CONTINUED,
  FLAG_EOS,
  lacingCount,
  MAX_SEGMENTS,
  NO_GRANULE,
  PAGE_HEADER_BYTES,
  sealPage,
  writePage,
  writePageHeader,
} from './page.js';

export interface OggOpusMuxerOptions {
  /** Serial number of the first logical stream; random by default. Each later link takes the next one. */
  serial?: number;
}

export interface PacketsOptions {
  /**
   * These are the link's last packets: the last page gets the end-of-stream flag, and the next call must
   * be `header()`.
   */
  endOfStream?: boolean;
  /** With endOfStream: samples to trim from the end of the last packet (RFC 7845 §4.4). */
  discardSamples?: number;
}

const EMPTY: Uint8Array = new Uint8Array(0);
/** TOC byte alone: config 28 (CELT fullband, 2.5 ms = 120 samples), one frame of 0 bytes, i.e. a lost frame. */
const LOST_FRAME: Uint8Array = Uint8Array.of(28 << 3);

/**
 * Writes one Ogg Opus stream, possibly chained: `header()` starts a logical stream (a link) and returns its
 * header pages, `packets()` returns the pages holding the given packets, `end()` closes the link.
 *
 * Pages: each `packets()` call starts a fresh page and leaves no packet open, so every call's output is a
 * place a listener can start. A page holds whole packets (up to 255 lacing values); only a packet too big
 * for a page of its own spans pages. Sequence numbers count pages from 0 within each link, without gaps
 * in the muxer's output.
 *
 * Granule positions (RFC 7845 §4): the samples decoded from the start of the link through the last packet
 * ending on the page, pre-skip samples included (a stream starting at 0 plays from granule − preSkip). They
 * count the packets' `samples`, so they always rise by exactly what was muxed; `pts` is not used (Ogg
 * cannot carry a gap anyway, and counting keeps jittery or rebased timestamps harmless).
 *
 * A listener joining later gets the header pages, then pages from any later call: their sequence numbers
 * then jump (from 1 to N) and their granule positions start above 0. RFC 7845 §4.5 allows the latter for
 * exactly this case; for the former, libogg reports one "hole" and goes on (ffmpeg ignores sequence numbers).
 * Icecast serves Ogg to late joiners the same way.
 */
export class OggOpusMuxer {
  private _serial: number;
  private sequence = 0;
  private _granule = 0;
  private _open = false;
  private started = false;
  private mappingFamily = 0;
  private _headerPages: Uint8Array | null = null;
  /** Lacing values per page for the call being written; reused. */
  private readonly plan: number[] = [];

  constructor(options: OggOpusMuxerOptions = {}) {
    const serial = options.serial ?? Math.floor(Math.random() * 0x1_0000_0000);
    if (!Number.isInteger(serial) || serial < 0 || serial > 0xffffffff) {
      throw new RangeError(`OggOpusMuxer option 'serial' must be an unsigned 32-bit integer, got ${serial}`);
    }
    this._serial = serial;
  }

  /** Serial number of the current (or next) link. */
  get serial(): number {
    return this._serial;
  }

  /** The current link's header pages: what `header()` returned, the first bytes every new listener needs. */
  get headerPages(): Uint8Array | null {
    return this._headerPages;
  }

  /** Granule position after the last packet muxed in the current link. */
  get granule(): number {
    return this._granule;
  }

  /** True between `header()` and the end of the link. */
  get open(): boolean {
    return this._open;
  }

  /**
   * Starts a link and returns its header pages: a BOS page holding OpusHead alone, then OpusTags on a page of
   * its own (more than one if it exceeds a page), as RFC 7845 §3 requires. A link still open is left without
   * an end-of-stream page: call `end()` first to chain properly.
   */
  header(h: OpusHeader, tags: OpusTags): Uint8Array {
    if (this.started) this._serial = (this._serial + 1) >>> 0;
    this.started = true;
    this.sequence = 0;
    this._granule = 0;
    this._open = true;
    this.mappingFamily = h.mappingFamily;
    const head = writePage({ headerType: FLAG_BOS, granule: 0, serial: this._serial, sequence: 0 }, [h.raw]);
    this.sequence = 1;
    const comment = this.pages([makeOpusTags(tags.vendor, tags.comments)], false);
    const out = new Uint8Array(head.length + comment.length);
    out.set(head, 0);
    out.set(comment, head.length);
    this._headerPages = out;
    return out;
  }

  /**
   * Returns the pages holding `pkts`, in order, starting on a fresh page and ending with the last packet
   * complete. Returns an empty array for no packets (unless endOfStream, which needs at least one).
   * Throws Error when no link is open.
   */
  packets(pkts: readonly OpusPacket[], options: PacketsOptions = {}): Uint8Array {
    if (!this._open) throw new Error('OggOpusMuxer.packets() needs header() first (or again after the end)');
    const eos = options.endOfStream === true;
    if (pkts.length === 0) {
      if (eos) throw new RangeError('endOfStream needs at least one packet; end() closes a link without any');
      return EMPTY;
    }
    const data: Uint8Array[] = new Array(pkts.length);
    for (let i = 0; i < pkts.length; i++) data[i] = (pkts[i] as OpusPacket).data;
    const discard = eos ? (options.discardSamples ?? 0) : 0;
    const last = pkts[pkts.length - 1] as OpusPacket;
    if (!Number.isInteger(discard) || discard < 0 || discard > last.samples) {
      throw new RangeError(`discardSamples must be an integer in [0, ${last.samples}], got ${discard}`);
    }
    const out = this.pages(data, eos, pkts, discard);
    if (eos) this._open = false;
    return out;
  }

  /**
   * Ends the open link after the fact (the last packets already went out) and returns its end-of-stream
   * page; returns an empty array when no link is open. Prefer `packets(…, {endOfStream: true})` when the
   * last packets are known.
   *
   * An end-of-stream page must end a packet, and a packet adds samples. So for mono/stereo streams the page
   * carries one TOC-only packet (a lost 2.5 ms frame, RFC 6716 §3.2.1) trimmed away entirely by the granule
   * position: decoders play nothing more. A multistream packet cannot be that short, so for mapping
   * families other than 0 the page is empty (granule −1), which decoders accept but validators flag.
   */
  end(): Uint8Array {
    if (!this._open) return EMPTY;
    this._open = false;
    const fields = {
      headerType: FLAG_EOS,
      granule: this._granule,
      serial: this._serial,
      sequence: this.sequence,
    };
    this.sequence = (this.sequence + 1) >>> 0;
    if (this.mappingFamily !== 0) return writePage({ ...fields, granule: NO_GRANULE }, []);
    return writePage(fields, [LOST_FRAME]);
  }

  /**
   * Writes `data` (whole packets) onto fresh pages and returns them. When `pkts` is given, each packet
   * ending on a page adds its samples to the granule position; header packets (no `pkts`) add nothing.
   */
  private pages(
    data: readonly Uint8Array[],
    eos: boolean,
    pkts?: readonly OpusPacket[],
    discard = 0,
  ): Uint8Array {
    // Plan: cut the stream of lacing values into pages. A packet that fits an empty page (≤ 255 values)
    // never straddles pages; a bigger one fills the current page and continues on the next ones.
    const plan = this.plan;
    plan.length = 0;
    let fill = 0;
    let bodyBytes = 0;
    for (const d of data) {
      bodyBytes += d.length;
      let laces = lacingCount(d.length);
      if (laces <= MAX_SEGMENTS) {
        if (fill + laces > MAX_SEGMENTS) {
          plan.push(fill);
          fill = 0;
        }
        fill += laces;
        continue;
      }
      while (laces > 0) {
        const take = Math.min(MAX_SEGMENTS - fill, laces);
        fill += take;
        laces -= take;
        if (fill === MAX_SEGMENTS) {
          plan.push(fill);
          fill = 0;
        }
      }
    }
    if (fill > 0) plan.push(fill);
    let laceTotal = 0;
    for (const n of plan) laceTotal += n;
    const out = new Uint8Array(plan.length * PAGE_HEADER_BYTES + laceTotal + bodyBytes);

    // Write: walk the packets with a cursor (packet `pi`, its first `done` bytes already on earlier pages).
    let pi = 0;
    let done = 0;
    let at = 0;
    let granule = this._granule;
    for (let page = 0; page < plan.length; page++) {
      const count = plan[page] as number;
      const continued = done > 0;
      let lace = at + PAGE_HEADER_BYTES;
      let body = lace + count;
      let ended = false;
      for (let n = 0; n < count; ) {
        const d = data[pi] as Uint8Array;
        const packetLaces = lacingCount(d.length - done);
        const take = Math.min(count - n, packetLaces);
        const completes = take === packetLaces;
        const bytes = completes ? d.length - done : take * 255;
        for (let k = 1; k < take; k++) out[lace++] = 255;
        out[lace++] = completes ? bytes % 255 : 255;
        out.set(done === 0 && completes ? d : d.subarray(done, done + bytes), body);
        body += bytes;
        n += take;
        if (completes) {
          if (pkts !== undefined) granule += (pkts[pi] as OpusPacket).samples;
          ended = true;
          pi++;
          done = 0;
        } else {
          done += bytes;
        }
      }
      let headerType = continued ? FLAG_CONTINUED : 0;
      let pageGranule = ended ? granule : NO_GRANULE;
      if (eos && page === plan.length - 1) {
        headerType |= FLAG_EOS;
        pageGranule -= discard;
      }
      const fields = { headerType, granule: pageGranule, serial: this._serial, sequence: this.sequence };
      writePageHeader(out, at, fields, count);
      sealPage(out, at, body - at);
      this.sequence = (this.sequence + 1) >>> 0;
      at = body;
    }
    if (pi !== data.length || at !== out.length) {
      throw new Error('OggOpusMuxer page plan and output disagree');
    }
    this._granule = granule;
    return out;
  }
}
