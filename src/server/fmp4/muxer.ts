/**
 * fMP4 (CMAF-style fragmented ISO BMFF) for Opus: one init segment (`ftyp` + `moov` with one audio
 * track, `Opus`/`dOps`, empty sample tables and `mvex`), then fragments (`moof` + `mdat`), each
 * holding whole Opus packets as they came: no transcoding, one sample per packet. Times are in 48 kHz
 * samples; a fragment's `tfdt` is the sum of the samples before it.
 */
import type { OpusHeader, OpusPacket } from '../opus/opus-packet.js';
import { box, fourcc, fullBox, u16, u32, u64, zeros } from './boxes.js';
import { OPUS_TIMESCALE, opusSampleEntry } from './opus.js';

/** The one track's ID. */
const TRACK_ID = 1;

/** The 3×3 unity matrix of `mvhd` and `tkhd` (16.16, 16.16, 2.30). */
const MATRIX = Buffer.concat([
  u32(0x0001_0000),
  u32(0),
  u32(0),
  u32(0),
  u32(0x0001_0000),
  u32(0),
  u32(0),
  u32(0),
  u32(0x4000_0000),
]);

// Returns the init segment for an Opus stream described by `head`: ftyp (iso6, with cmfc/iso5/mp41
// compatible), moov (mvhd, one trak with the Opus sample entry, mvex/trex). Its duration is 0: the
// media are in fragments. Never throws for a header parseOpusHead accepted.
export function initSegment(head: OpusHeader): Uint8Array {
  const ftyp = box(
    'ftyp',
    fourcc('iso6'),
    u32(0),
    fourcc('iso6'),
    fourcc('cmfc'),
    fourcc('iso5'),
    fourcc('mp41'),
  );
  const mvhd = fullBox(
    'mvhd',
    0,
    0,
    u32(0), // creation_time
    u32(0), // modification_time
    u32(OPUS_TIMESCALE),
    u32(0), // duration
    u32(0x0001_0000), // rate 1.0
    u16(0x0100), // volume 1.0
    zeros(10), // reserved
    MATRIX,
    zeros(24), // pre_defined
    u32(TRACK_ID + 1), // next_track_ID
  );
  const tkhd = fullBox(
    'tkhd',
    0,
    0x7, // enabled, in movie, in preview
    u32(0),
    u32(0),
    u32(TRACK_ID),
    u32(0), // reserved
    u32(0), // duration
    zeros(8), // reserved
    u16(0), // layer
    u16(1), // alternate_group: audio
    u16(0x0100), // volume 1.0
    u16(0), // reserved
    MATRIX,
    u32(0), // width
    u32(0), // height
  );
  const mdhd = fullBox(
    'mdhd',
    0,
    0,
    u32(0),
    u32(0),
    u32(OPUS_TIMESCALE),
    u32(0),
    u16(0x55c4), // language "und" (ISO 639-2/T packed)
    u16(0),
  );
  const hdlr = fullBox(
    'hdlr',
    0,
    0,
    u32(0), // pre_defined
    fourcc('soun'),
    zeros(12), // reserved
    new TextEncoder().encode('SoundHandler\0'),
  );
  const dinf = box('dinf', fullBox('dref', 0, 0, u32(1), fullBox('url ', 0, 1)));
  const stbl = box(
    'stbl',
    fullBox('stsd', 0, 0, u32(1), opusSampleEntry(head)),
    fullBox('stts', 0, 0, u32(0)),
    fullBox('stsc', 0, 0, u32(0)),
    fullBox('stsz', 0, 0, u32(0), u32(0)),
    fullBox('stco', 0, 0, u32(0)),
  );
  const minf = box('minf', fullBox('smhd', 0, 0, u16(0), u16(0)), dinf, stbl);
  const trak = box('trak', tkhd, box('mdia', mdhd, hdlr, minf));
  const trex = fullBox(
    'trex',
    0,
    0,
    u32(TRACK_ID),
    u32(1), // default_sample_description_index
    u32(0), // default_sample_duration
    u32(0), // default_sample_size
    u32(0), // default_sample_flags
  );
  const moov = box('moov', mvhd, trak, box('mvex', trex));
  return Buffer.concat([ftyp, moov]);
}

/** tfhd flag: the data offsets are from the start of the moof. */
const DEFAULT_BASE_IS_MOOF = 0x02_0000;
/** trun flags: data offset, and a duration and a size per sample. */
const TRUN_FLAGS = 0x000001 | 0x000100 | 0x000200;

// Returns one fragment (moof + mdat) holding `packets` (at least one) as samples, the fragment's
// sequence number `sequence` (1, 2, … in stream order) and its decode time `decodeTime` (48 kHz
// samples since the stream start). Throws RangeError on an empty packet list.
export function fragment(sequence: number, decodeTime: number, packets: readonly OpusPacket[]): Uint8Array {
  if (packets.length === 0) throw new RangeError('a fragment holds at least one packet');
  const entries: Uint8Array[] = [];
  let dataBytes = 0;
  for (const p of packets) {
    entries.push(u32(p.samples), u32(p.data.byteLength));
    dataBytes += p.data.byteLength;
  }
  // trun: header 8 + version/flags 4 + count 4 + data offset 4 + 8 per sample.
  const trunBytes = 20 + 8 * packets.length;
  const trafBytes = 8 + 16 + 20 + trunBytes; // traf header, tfhd, tfdt (v1), trun
  const moofBytes = 8 + 16 + trafBytes; // moof header, mfhd, traf
  const trun = fullBox('trun', 0, TRUN_FLAGS, u32(packets.length), u32(moofBytes + 8), ...entries);
  const traf = box(
    'traf',
    fullBox('tfhd', 0, DEFAULT_BASE_IS_MOOF, u32(TRACK_ID)),
    fullBox('tfdt', 1, 0, u64(decodeTime)),
    trun,
  );
  const moof = box('moof', fullBox('mfhd', 0, 0, u32(sequence)), traf);
  const mdat = box('mdat', ...packets.map((p) => p.data));
  if (moof.byteLength !== moofBytes || mdat.byteLength !== dataBytes + 8) {
    throw new Error('fMP4 fragment size mismatch');
  }
  return Buffer.concat([moof, mdat]);
}
