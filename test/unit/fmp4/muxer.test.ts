/** The fMP4/Opus muxer: byte-exact dOps, and init + fragments read back by the real ffprobe and ffmpeg. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fragment, initSegment } from '../../../src/server/fmp4/muxer.js';
import { dOps } from '../../../src/server/fmp4/opus.js';
import type { OpusPacket } from '../../../src/server/opus/opus-packet.js';
import { parseOpusHead } from '../../../src/server/opus/opus-packet.js';
import { concatBytes } from '../../../tools/bytes.js';
import { strongestFrequency } from '../../../tools/ffmpeg.js';
import { FIXTURE_OPUS, packetsOf, readFixture, runDemuxer } from '../../helpers/ogg.js';

function hex(b: Uint8Array): string {
  return Buffer.from(b).toString('hex');
}

function opusHead(fields: number[]): Uint8Array {
  return Uint8Array.from([...Buffer.from('OpusHead', 'latin1'), ...fields]);
}

interface Probe {
  streams: { codec_name: string; sample_rate: string; channels: number; duration?: string }[];
  format: { duration: string; format_name: string };
}

function ffprobe(file: string): Probe {
  const run = spawnSync('ffprobe', ['-v', 'error', '-show_streams', '-show_format', '-of', 'json', file]);
  assert.equal(run.status, 0, `ffprobe failed: ${run.stderr.toString()}`);
  return JSON.parse(run.stdout.toString()) as Probe;
}

describe('fmp4 dOps', () => {
  it('carries the OpusHead fields big-endian, version 0, for mapping family 0', () => {
    // version 1, 2 channels, pre-skip 312, 44.1 kHz input, gain -1 dB (-256 Q7.8), family 0.
    const head = parseOpusHead(opusHead([1, 2, 0x38, 0x01, 0x44, 0xac, 0, 0, 0x00, 0xff, 0]));
    assert.equal(
      hex(dOps(head)),
      ['00000013', hex(Buffer.from('dOps')), '00', '02', '0138', '0000ac44', 'ff00', '00'].join(''),
    );
  });

  it('copies the stream count, coupled count and channel mapping for family 1', () => {
    // 3 channels, family 1: 2 streams, 1 coupled, mapping 0 2 1.
    const head = parseOpusHead(opusHead([1, 3, 0x38, 0x01, 0x80, 0xbb, 0, 0, 0, 0, 1, 2, 1, 0, 2, 1]));
    assert.equal(
      hex(dOps(head)),
      [
        '00000018',
        hex(Buffer.from('dOps')),
        '00',
        '03',
        '0138',
        '0000bb80',
        '0000',
        '01',
        '02',
        '01',
        '000201',
      ].join(''),
    );
  });
});

describe('fmp4 muxer', () => {
  const outputs = runDemuxer([readFixture(FIXTURE_OPUS)]);
  const header = outputs.find((o) => o.kind === 'header');
  const packets: OpusPacket[] = packetsOf(outputs);
  let dir: string;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'onair-fmp4-'));
    assert.equal(
      spawnSync('ffprobe', ['-version']).status,
      0,
      'ffprobe must be installed (install-deps --test)',
    );
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('writes an init segment and a fragment ffprobe reads as 48 kHz Opus of the fragment duration', () => {
    assert.ok(header?.kind === 'header');
    const some = packets.slice(0, 50);
    const samples = some.reduce((n, p) => n + p.samples, 0);
    const file = join(dir, 'one.mp4');
    writeFileSync(file, concatBytes([initSegment(header.header), fragment(1, 0, some)]));
    const probe = ffprobe(file);
    assert.equal(probe.streams.length, 1);
    const s = probe.streams[0];
    assert.equal(s?.codec_name, 'opus');
    assert.equal(s?.sample_rate, '48000');
    assert.equal(s?.channels, header.header.channels);
    assert.ok(Math.abs(Number(probe.format.duration) - samples / 48_000) < 0.03, probe.format.duration);
  });

  it('writes fragments ffmpeg decodes end to end without an error, at the tone of the source', () => {
    assert.ok(header?.kind === 'header');
    const parts: Uint8Array[] = [initSegment(header.header)];
    let t = 0;
    for (let i = 0, seq = 1; i < packets.length; i += 10, seq++) {
      const group = packets.slice(i, i + 10);
      parts.push(fragment(seq, t, group));
      for (const p of group) t += p.samples;
    }
    const file = join(dir, 'all.mp4');
    writeFileSync(file, concatBytes(parts));
    const probe = ffprobe(file);
    assert.ok(Math.abs(Number(probe.format.duration) - t / 48_000) < 0.03, probe.format.duration);
    const run = spawnSync(
      'ffmpeg',
      ['-v', 'error', '-i', file, '-f', 's16le', '-ac', '1', '-ar', '48000', '-'],
      {
        maxBuffer: 64 * 1024 * 1024,
      },
    );
    assert.equal(run.status, 0);
    assert.equal(run.stderr.toString(), '', 'ffmpeg reported errors');
    const pcm = new Int16Array(run.stdout.buffer, run.stdout.byteOffset, Math.floor(run.stdout.length / 2));
    assert.ok(pcm.length > 0.9 * t);
    const hz = strongestFrequency(pcm.subarray(48_000, 96_000));
    assert.ok(Math.abs(hz - 440) < 10, `tone at ${hz} Hz`);
  });

  it('refuses an empty fragment', () => {
    assert.throws(() => fragment(1, 0, []), RangeError);
  });
});
