import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { isApiError } from '../../../src/server/errors.js';
import type { Frame, FrameFormat } from '../../../src/server/mpeg/frames.js';
import { FrameSplitter, NEED_MORE, readFrameHeader } from '../../../src/server/mpeg/frames.js';
import type { Bytes } from '../../../tools/bytes.js';
import { byteByByte, concatBytes, mulberry32, randomBytes, randomPieces } from '../../../tools/bytes.js';

/** 2 s of 440 Hz encoded by ffmpeg: MP3 (with its ID3v2 tag) or AAC in ADTS. */
function encode(format: FrameFormat): Bytes {
  const args =
    format === 'mp3'
      ? ['-c:a', 'libmp3lame', '-b:a', '128k', '-f', 'mp3']
      : ['-c:a', 'aac', '-b:a', '96k', '-f', 'adts'];
  const run = spawnSync(
    'ffmpeg',
    [
      '-v',
      'error',
      '-f',
      'lavfi',
      '-i',
      'sine=frequency=440:sample_rate=44100',
      '-t',
      '2',
      '-ac',
      '2',
      ...args,
      '-',
    ],
    { maxBuffer: 16 * 1024 * 1024 },
  );
  assert.equal(run.status, 0, run.stderr.toString());
  return new Uint8Array(run.stdout);
}

function split(format: FrameFormat, pieces: Iterable<Bytes>): { frames: Frame[]; splitter: FrameSplitter } {
  const splitter = new FrameSplitter(format);
  const frames: Frame[] = [];
  for (const p of pieces) frames.push(...splitter.push(p));
  return { frames, splitter };
}

const FILES: Record<FrameFormat, Bytes> = { mp3: encode('mp3'), aac: encode('aac') };

describe('mpeg frames', () => {
  for (const format of ['mp3', 'aac'] as const) {
    const file = FILES[format];
    it(`cuts ffmpeg's ${format} into whole frames, the same however the bytes are pushed`, () => {
      const whole = split(format, [file]);
      assert.ok(whole.frames.length > 50, `${whole.frames.length} frames`);
      const h = whole.frames[10]?.header;
      assert.equal(h?.sampleRate, 44100);
      assert.equal(h?.channels, 2);
      assert.equal(h?.samples, format === 'mp3' ? 1152 : 1024);
      if (format === 'mp3') assert.equal(h?.bitrateKbps, 128);
      for (const f of whole.frames) assert.equal(f.bytes.length, f.header.length);
      // Every byte comes out in a frame, or was skipped (ffmpeg's leading ID3v2 tag for MP3).
      const out = concatBytes(whole.frames.map((f) => f.bytes));
      assert.equal(out.length + whole.splitter.skippedBytes, file.length);
      assert.deepEqual(out, file.subarray(whole.splitter.skippedBytes));
      assert.equal(whole.splitter.formatChanges, 0);
      const rand = mulberry32(7);
      for (const pieces of [byteByByte(file.subarray(0, 20_000)), randomPieces(file, rand, 1, 3000)]) {
        const got = split(format, pieces).frames;
        const ref = whole.frames;
        for (let i = 0; i < Math.min(got.length, 10); i++) {
          assert.deepEqual(got[i]?.bytes, ref[i]?.bytes, `frame ${i}`);
        }
      }
      assert.equal(split(format, randomPieces(file, rand, 1, 500)).frames.length, whole.frames.length);
    });

    it(`finds ${format} frame sync again after garbage between frames, counting what it skipped`, () => {
      const frames = split(format, [file]).frames.slice(5, 25);
      const garbage = randomBytes(777, mulberry32(3)).map((b) => (b === 0xff ? 0 : b));
      const stream = concatBytes([
        ...frames.slice(0, 10).map((f) => f.bytes),
        garbage,
        ...frames.slice(10).map((f) => f.bytes),
      ]);
      const { frames: got, splitter } = split(format, [stream]);
      assert.equal(got.length, 20, 'every frame');
      assert.equal(splitter.skippedBytes, 777);
    });
  }

  it('reads headers: NEED_MORE when cut after the sync bits, null on reserved values', () => {
    const mp3 = split('mp3', [FILES.mp3]).frames[3]?.bytes as Bytes;
    assert.equal(readFrameHeader(mp3.subarray(0, 2), 0, 'mp3'), NEED_MORE);
    assert.equal(readFrameHeader(new Uint8Array([0x00, 0xff]), 0, 'mp3'), null);
    const bad = mp3.slice(0, 4);
    bad[2] = 0xf0; // bit-rate index 15: forbidden
    assert.equal(readFrameHeader(bad, 0, 'mp3'), null);
    const aac = split('aac', [FILES.aac]).frames[3]?.bytes as Bytes;
    assert.equal(readFrameHeader(aac.subarray(0, 5), 0, 'aac'), NEED_MORE);
    const badAac = aac.slice(0, 7);
    badAac[2] = ((badAac[2] as number) & ~0x3c) | (13 << 2); // sampling index 13: reserved
    assert.equal(readFrameHeader(badAac, 0, 'aac'), null);
  });

  it('fuzz: random bytes never throw anything but MPEG_CORRUPT, and hold at most a frame or two', () => {
    for (let seed = 1; seed <= 200; seed++) {
      const rand = mulberry32(seed);
      for (const format of ['mp3', 'aac'] as const) {
        const splitter = new FrameSplitter(format, { maxSkipBytes: 4096 });
        // Real frames with random bytes flipped, and pure noise.
        const real = FILES[format].slice(0, 6000);
        for (let i = 0; i < 30; i++) real[Math.floor(rand() * real.length)] = Math.floor(rand() * 256);
        try {
          for (const p of randomPieces(concatBytes([real, randomBytes(3000, rand)]), rand, 1, 700))
            splitter.push(p);
        } catch (err) {
          assert.ok(isApiError(err) && err.code === 'MPEG_CORRUPT', String(err));
        }
      }
    }
    assert.throws(
      () => new FrameSplitter('mp3', { maxSkipBytes: 1000 }).push(new Uint8Array(2000)),
      (err: unknown) => isApiError(err) && err.code === 'MPEG_CORRUPT',
    );
  });
});
