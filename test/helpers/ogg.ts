/**
 * Ogg test helpers: synthetic Ogg Opus streams, a demuxer runner that sums up its outputs in comparable form,
 * and ffmpeg decoding for end-to-end checks.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { OggOpusDemuxerOptions, OggOutput } from '../../src/server/ogg/demuxer.js';
import { OggOpusDemuxer } from '../../src/server/ogg/demuxer.js';
import type { OggPage } from '../../src/server/ogg/page.js';
import {
  FLAG_BOS,
  FLAG_CONTINUED,
  FLAG_EOS,
  NEED_MORE,
  NO_GRANULE,
  readPage,
  sealPage,
  writePage,
  writeRawPage,
} from '../../src/server/ogg/page.js';
import type { OpusHeader, OpusPacket } from '../../src/server/opus/opus-packet.js';
import { makeOpusHead, makeOpusTags, parseOpusHead } from '../../src/server/opus/opus-packet.js';
import type { Bytes } from '../../tools/bytes.js';
import { concatBytes, equalBytes, mulberry32, randomBytes } from '../../tools/bytes.js';
import type { DecodedPcm } from '../../tools/ffmpeg.js';
import { decodeFileWithFfmpeg } from '../../tools/ffmpeg.js';

export const FIXTURE_OPUS = 'test/fixtures/ffmpeg-opus.ogg';
export const FIXTURE_VORBIS = 'test/fixtures/ffmpeg-vorbis.ogg';

/** A fixture file's bytes (tests run from the repository root). */
export function readFixture(path: string): Bytes {
  return new Uint8Array(readFileSync(join(process.cwd(), path)));
}

/** Every page of a well-formed Ogg stream, with its offset and bytes. */
export function listPages(data: Bytes): { offset: number; bytes: Bytes; page: OggPage }[] {
  const pages: { offset: number; bytes: Bytes; page: OggPage }[] = [];
  for (let pos = 0; pos < data.length; ) {
    const read = readPage(data, pos);
    if (read === NEED_MORE) throw new Error(`truncated page at byte ${pos}`);
    pages.push({ offset: pos, bytes: data.subarray(pos, pos + read.length), page: read.page });
    pos += read.length;
  }
  return pages;
}

/** Recomputes the CRC of every page in `data` (in place): lets fuzzing reach past the CRC check. */
export function resealPages(data: Bytes): void {
  for (const { offset, bytes } of listPages(data)) sealPage(data, offset, bytes.length);
}

// --- Synthetic streams --------------------------------------------------------------------------------

/** TOC byte of a CELT fullband 20 ms mono frame, code 0: 960 samples. */
export const TOC_20MS = 31 << 3;

/** An Opus packet of `bytes` bytes (at least 1) decoding to 960 samples, its body drawn from `seed`. */
export function opusPacket(bytes: number, seed = 1): Bytes {
  const out = randomBytes(bytes, mulberry32(seed));
  out[0] = TOC_20MS;
  return out;
}

export const TEST_HEAD: Bytes = makeOpusHead({ channels: 1, preSkip: 312, inputSampleRate: 48000 });
export const TEST_HEADER: OpusHeader = parseOpusHead(TEST_HEAD);

export interface LinkSpec {
  serial: number;
  /** Audio packets per page; each inner array is one page, its numbers the packet sizes in bytes. */
  pages: readonly (readonly number[])[];
  comments?: readonly string[];
  /** Granule position of the first audio page is shifted by this many samples (a stream joined mid-way). */
  granuleOffset?: number;
  /** End-of-stream flag on the last page, trimming this many samples (0 by default). */
  eos?: boolean;
  discardSamples?: number;
  seed?: number;
}

export interface SyntheticLink {
  bytes: Bytes;
  headerPages: Bytes;
  packets: Bytes[];
}

/** One Ogg Opus link (BOS page, comment page, audio pages of whole packets of 960 samples each). */
export function makeLink(spec: LinkSpec): SyntheticLink {
  const { serial, pages, comments = ['TITLE=test'], granuleOffset = 0, eos = false, seed = 1 } = spec;
  const head = writePage({ headerType: FLAG_BOS, granule: 0, serial, sequence: 0 }, [TEST_HEAD]);
  const tags = writePage({ granule: 0, serial, sequence: 1 }, [makeOpusTags('onair test', comments)]);
  const parts: Bytes[] = [head, tags];
  const packets: Bytes[] = [];
  let granule = granuleOffset;
  pages.forEach((sizes, p) => {
    const pagePackets = sizes.map((size, i) => opusPacket(size, seed * 1000 + packets.length + i));
    packets.push(...pagePackets);
    granule += 960 * sizes.length;
    const last = p === pages.length - 1;
    const headerType = last && eos ? FLAG_EOS : 0;
    const pageGranule = last && eos ? granule - (spec.discardSamples ?? 0) : granule;
    parts.push(writePage({ headerType, granule: pageGranule, serial, sequence: 2 + p }, pagePackets));
  });
  return { bytes: concatBytes(parts), headerPages: concatBytes([head, tags]), packets };
}

/** A page with raw lacing values and body (for continued packets and broken tables). */
export function rawPage(
  fields: { headerType?: number; granule?: number; serial: number; sequence: number },
  segments: readonly number[],
  body: Bytes,
): Bytes {
  return writeRawPage({ granule: NO_GRANULE, ...fields }, segments, body);
}

export { FLAG_BOS, FLAG_CONTINUED, FLAG_EOS };

// --- Running the demuxer ------------------------------------------------------------------------------

/** Pushes each piece into a new demuxer and returns every output; a throw propagates. */
export function runDemuxer(pieces: Iterable<Bytes>, options?: Partial<OggOpusDemuxerOptions>): OggOutput[] {
  const demuxer = new OggOpusDemuxer(options);
  const outputs: OggOutput[] = [];
  for (const piece of pieces) outputs.push(...demuxer.push(piece));
  return outputs;
}

/** Outputs as plain data (bytes as hex) so two runs compare with deepEqual whatever the push boundaries. */
export function describeOutputs(outputs: readonly OggOutput[]): unknown[] {
  const hex = (b: Bytes) => Buffer.from(b.buffer, b.byteOffset, b.length).toString('hex');
  return outputs.map((o) => {
    if (o.kind === 'header') return { kind: o.kind, serial: o.serial, ...o.header, raw: hex(o.header.raw) };
    if (o.kind === 'tags') {
      return { kind: o.kind, vendor: o.vendor, comments: o.comments, headerPages: hex(o.headerPages) };
    }
    if (o.kind === 'packet') {
      return {
        kind: o.kind,
        pts: o.packet.pts,
        samples: o.packet.samples,
        data: hex(o.packet.data),
        endOfStream: o.endOfStream ?? false,
        discardSamples: o.discardSamples ?? 0,
      };
    }
    return { kind: o.kind, syncPoint: o.syncPoint, bytes: hex(o.bytes) };
  });
}

/** Whether two output lists carry the same data: a fast describeOutputs comparison for big loops. */
export function sameOutputs(a: readonly OggOutput[], b: readonly OggOutput[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] as OggOutput;
    const y = b[i] as OggOutput;
    if (x.kind !== y.kind) return false;
    if (x.kind === 'packet' && y.kind === 'packet') {
      const p = x.packet;
      const q = y.packet;
      if (p.pts !== q.pts || p.samples !== q.samples || !equalBytes(p.data, q.data)) return false;
      if (x.endOfStream !== y.endOfStream || x.discardSamples !== y.discardSamples) return false;
    } else if (x.kind === 'page' && y.kind === 'page') {
      if (x.syncPoint !== y.syncPoint || !equalBytes(x.bytes, y.bytes)) return false;
    } else if (JSON.stringify(describeOutputs([x])) !== JSON.stringify(describeOutputs([y]))) {
      return false;
    }
  }
  return true;
}

export function packetsOf(outputs: readonly OggOutput[]): OpusPacket[] {
  const packets: OpusPacket[] = [];
  for (const o of outputs) if (o.kind === 'packet') packets.push(o.packet);
  return packets;
}

/** The packet outputs of each audio page, grouped by the `page` output that follows them. */
export function packetsByPage(outputs: readonly OggOutput[]): Extract<OggOutput, { kind: 'packet' }>[][] {
  const groups: Extract<OggOutput, { kind: 'packet' }>[][] = [];
  let current: Extract<OggOutput, { kind: 'packet' }>[] = [];
  for (const o of outputs) {
    if (o.kind === 'packet') current.push(o);
    if (o.kind === 'page') {
      groups.push(current);
      current = [];
    }
  }
  return groups;
}

// --- ffmpeg -------------------------------------------------------------------------------------------

/** Decodes Ogg bytes with ffmpeg (written to a temp `.ogg` file first) to mono s16 at 48 kHz. */
export function decodeOgg(ogg: Bytes): DecodedPcm {
  return decodeFileWithFfmpeg(ogg, { extension: 'ogg' });
}
