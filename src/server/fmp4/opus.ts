/**
 * Opus in ISO BMFF ("Encapsulation of Opus in ISO Base Media File Format", opus-codec.org, v0.8.1):
 * the `Opus` sample entry and its `dOps` box, made from the stream's OpusHead (RFC 7845 §5.1).
 * `dOps` holds the OpusHead's fields without its magic, with version 0 and big-endian numbers.
 */
import type { OpusHeader } from '../opus/opus-packet.js';
import { box, i16, u8, u16, u32, zeros } from './boxes.js';

/** Opus always decodes at 48 kHz: the track's timescale and the sample entry's rate. */
export const OPUS_TIMESCALE = 48_000;

// Returns the `dOps` box for `head`: OutputChannelCount, PreSkip, InputSampleRate, OutputGain,
// ChannelMappingFamily, and for families other than 0 the stream count, coupled count and channel
// mapping copied from the OpusHead. Never throws: parseOpusHead has checked the header already.
export function dOps(head: OpusHeader): Uint8Array {
  const fields = [
    u8(0),
    u8(head.channels),
    u16(head.preSkip),
    u32(head.inputSampleRate),
    i16(head.outputGain),
    u8(head.mappingFamily),
  ];
  if (head.mappingFamily !== 0) fields.push(head.raw.subarray(19, 21 + head.channels));
  return box('dOps', ...fields);
}

/** The `Opus` audio sample entry (ISO/IEC 14496-12 §12.2.3) with its `dOps`. */
export function opusSampleEntry(head: OpusHeader): Uint8Array {
  return box(
    'Opus',
    zeros(6), // reserved
    u16(1), // data_reference_index
    zeros(8), // reserved
    u16(head.channels),
    u16(16), // samplesize
    zeros(4), // pre_defined, reserved
    u32(OPUS_TIMESCALE * 0x10000), // samplerate, 16.16
    dOps(head),
  );
}
