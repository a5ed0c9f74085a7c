import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ApiError } from '../../../src/server/errors.js';
import {
  makeOpusHead,
  makeOpusTags,
  opusPacketSamples,
  parseOpusHead,
  parseOpusTags,
} from '../../../src/server/opus/opus-packet.js';
import { FIXTURE_OPUS, listPages, readFixture } from '../../helpers/ogg.js';

function assertCorrupt(fn: () => unknown, pattern: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof ApiError, `not a ApiError: ${String(err)}`);
    assert.equal(err.code, 'OGG_CORRUPT');
    assert.match(err.message, pattern);
    return true;
  });
}

function toc(config: number, stereo: boolean, code: number): number {
  return (config << 3) | (stereo ? 4 : 0) | code;
}

describe('opus-packet', () => {
  describe('opusPacketSamples', () => {
    // RFC 6716 §3.1 Table 2: frame sizes per configuration, at 48 kHz.
    const frameSizes: [number[], number][] = [
      [[0, 4, 8], 480], // SILK 10 ms
      [[1, 5, 9], 960], // SILK 20 ms
      [[2, 6, 10], 1920], // SILK 40 ms
      [[3, 7, 11], 2880], // SILK 60 ms
      [[12, 14], 480], // Hybrid 10 ms
      [[13, 15], 960], // Hybrid 20 ms
      [[16, 20, 24, 28], 120], // CELT 2.5 ms
      [[17, 21, 25, 29], 240], // CELT 5 ms
      [[18, 22, 26, 30], 480], // CELT 10 ms
      [[19, 23, 27, 31], 960], // CELT 20 ms
    ];
    for (const [configs, size] of frameSizes) {
      it(`counts ${size} samples per frame for configurations ${configs.join(', ')}`, () => {
        for (const config of configs) {
          for (const stereo of [false, true]) {
            assert.equal(opusPacketSamples(Uint8Array.of(toc(config, stereo, 0), 1, 2)), size);
            assert.equal(opusPacketSamples(Uint8Array.of(toc(config, stereo, 1), 1, 2)), 2 * size);
            assert.equal(opusPacketSamples(Uint8Array.of(toc(config, stereo, 2), 1, 2)), 2 * size);
          }
        }
      });
    }

    it('reads the frame count of a code 3 packet, padding and VBR flags aside', () => {
      assert.equal(opusPacketSamples(Uint8Array.of(toc(31, false, 3), 3)), 3 * 960);
      assert.equal(opusPacketSamples(Uint8Array.of(toc(31, false, 3), 0x80 | 0x40 | 6)), 6 * 960);
      assert.equal(opusPacketSamples(Uint8Array.of(toc(16, true, 3), 48)), 48 * 120);
    });

    it('accepts a TOC-only packet (a lost or DTX frame)', () => {
      assert.equal(opusPacketSamples(Uint8Array.of(toc(28, false, 0))), 120);
    });

    it('rejects an empty packet', () => {
      assertCorrupt(() => opusPacketSamples(new Uint8Array(0)), /empty Opus packet/);
    });

    it('rejects a code 3 packet without frame count, with 0 frames, or longer than 120 ms', () => {
      assertCorrupt(() => opusPacketSamples(Uint8Array.of(toc(31, false, 3))), /no frame count/);
      assertCorrupt(() => opusPacketSamples(Uint8Array.of(toc(31, false, 3), 0)), /0 frames/);
      assertCorrupt(() => opusPacketSamples(Uint8Array.of(toc(31, false, 3), 7)), /more than 120 ms/);
      assertCorrupt(() => opusPacketSamples(Uint8Array.of(toc(3, false, 3), 3)), /more than 120 ms/);
      assert.equal(opusPacketSamples(Uint8Array.of(toc(3, false, 3), 2)), 5760);
    });
  });

  describe('parseOpusHead', () => {
    it("reads ffmpeg's ID header", () => {
      const [first] = listPages(readFixture(FIXTURE_OPUS));
      const head = parseOpusHead((first as { page: { body: Uint8Array } }).page.body);
      assert.equal(head.channels, 1);
      assert.equal(head.preSkip, 312);
      assert.equal(head.inputSampleRate, 48000);
      assert.equal(head.outputGain, 0);
      assert.equal(head.mappingFamily, 0);
      assert.equal(head.raw.length, 19);
    });

    it('round-trips what makeOpusHead writes, negative gain included', () => {
      const raw = makeOpusHead({ channels: 2, preSkip: 3840, inputSampleRate: 44100, outputGain: -512 });
      assert.equal(raw.length, 19);
      assert.equal(raw[8], 1);
      const head = parseOpusHead(raw);
      assert.deepEqual(
        { ...head, raw: null },
        { channels: 2, preSkip: 3840, inputSampleRate: 44100, outputGain: -512, mappingFamily: 0, raw: null },
      );
      assert.equal(head.raw, raw);
    });

    it('reads a header with a channel mapping table', () => {
      const raw = new Uint8Array(19 + 2 + 6);
      raw.set(makeOpusHead({ channels: 1, preSkip: 0, inputSampleRate: 48000 }));
      raw[9] = 6;
      raw[18] = 1;
      raw[19] = 4;
      raw[20] = 2;
      raw.set([0, 4, 1, 2, 3, 5], 21);
      const head = parseOpusHead(raw);
      assert.equal(head.channels, 6);
      assert.equal(head.mappingFamily, 1);
    });

    it('accepts minor versions 0–15 and rejects a new major version', () => {
      const raw = makeOpusHead({ channels: 1, preSkip: 0, inputSampleRate: 0 });
      for (const version of [0, 1, 15]) {
        raw[8] = version;
        assert.equal(parseOpusHead(raw).channels, 1);
      }
      raw[8] = 16;
      assertCorrupt(() => parseOpusHead(raw), /version 16/);
    });

    it('rejects a bad magic, a short header, no channels and a bad channel mapping', () => {
      const good = makeOpusHead({ channels: 1, preSkip: 0, inputSampleRate: 0 });
      const badMagic = good.slice();
      badMagic[4] = 0x54;
      assertCorrupt(() => parseOpusHead(badMagic), /"OpusHead"/);
      assertCorrupt(() => parseOpusHead(good.subarray(0, 18)), /shorter/);
      const noChannels = good.slice();
      noChannels[9] = 0;
      assertCorrupt(() => parseOpusHead(noChannels), /0 channels/);
      const threeStereo = good.slice();
      threeStereo[9] = 3;
      assertCorrupt(() => parseOpusHead(threeStereo), /mapping family 0/);
      const noTable = good.slice();
      noTable[18] = 1;
      assertCorrupt(() => parseOpusHead(noTable), /mapping family 1/);
    });
  });

  describe('makeOpusHead', () => {
    it('rejects fields out of range', () => {
      assert.throws(() => makeOpusHead({ channels: 3, preSkip: 0, inputSampleRate: 0 }), RangeError);
      assert.throws(() => makeOpusHead({ channels: 1, preSkip: 65536, inputSampleRate: 0 }), RangeError);
      assert.throws(
        () => makeOpusHead({ channels: 1, preSkip: 0, inputSampleRate: 0, outputGain: 40000 }),
        RangeError,
      );
    });
  });

  describe('parseOpusTags', () => {
    it("reads ffmpeg's comment header", () => {
      const pages = listPages(readFixture(FIXTURE_OPUS));
      const tags = parseOpusTags((pages[1] as { page: { body: Uint8Array } }).page.body);
      assert.match(tags.vendor, /^Lavf/);
      assert.deepEqual(tags.comments, ['encoder=Lavc59.37.100 libopus']);
    });

    it('round-trips what makeOpusTags writes, UTF-8 and empty strings included', () => {
      const comments = ['TITLE=Grüße aus Köln', 'ARTIST=Ωmega ♫', 'EMPTY=', ''];
      const raw = makeOpusTags('onair 0.1', comments);
      assert.deepEqual(parseOpusTags(raw), { vendor: 'onair 0.1', comments });
      assert.deepEqual(parseOpusTags(makeOpusTags('')), { vendor: '', comments: [] });
    });

    it('ignores binary data after the last comment', () => {
      const raw = makeOpusTags('v', ['A=1']);
      const padded = new Uint8Array(raw.length + 5);
      padded.set(raw);
      padded[raw.length] = 1;
      assert.deepEqual(parseOpusTags(padded), { vendor: 'v', comments: ['A=1'] });
    });

    it('rejects a bad magic and lengths that run past the packet', () => {
      const raw = makeOpusTags('vendor', ['TITLE=x']);
      assertCorrupt(() => parseOpusTags(raw.subarray(0, 7)), /"OpusTags"/);
      for (let end = 8; end < raw.length; end++) {
        assertCorrupt(() => parseOpusTags(raw.subarray(0, end)), /Opus comment header/);
      }
      const huge = raw.slice();
      new DataView(huge.buffer).setUint32(8, 0xffffffff, true);
      assertCorrupt(() => parseOpusTags(huge), /vendor string declares 4294967295 bytes/);
    });

    it('rejects a comment count the packet cannot hold without looping over it', () => {
      const raw = makeOpusTags('v');
      new DataView(raw.buffer).setUint32(8 + 4 + 1, 0x7fffffff, true);
      assertCorrupt(() => parseOpusTags(raw), /declares 2147483647 comments/);
    });
  });
});
