import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { oggCrc32 } from '../../../src/server/ogg/crc.js';
import { mulberry32, randomBytes } from '../../../tools/bytes.js';
import { FIXTURE_OPUS, listPages, readFixture } from '../../helpers/ogg.js';

/** Bit-by-bit reference: MSB first, polynomial 0x04C11DB7, initial value 0, no final XOR. */
function referenceCrc(data: Uint8Array): number {
  let crc = 0;
  for (const byte of data) {
    crc ^= byte << 24;
    for (let bit = 0; bit < 8; bit++) crc = crc & 0x80000000 ? (crc << 1) ^ 0x04c11db7 : crc << 1;
  }
  return crc >>> 0;
}

describe('oggCrc32', () => {
  it('gives 0 for no bytes', () => {
    assert.equal(oggCrc32(new Uint8Array(0)), 0);
  });

  it('matches the catalogued check value for "123456789"', () => {
    // CRC-32/POSIX (same polynomial and init, final XOR 0xFFFFFFFF) checks to 0x765E7680; Ogg has no final XOR.
    const crc = oggCrc32(new TextEncoder().encode('123456789'));
    assert.equal(crc, (0x765e7680 ^ 0xffffffff) >>> 0);
    assert.equal(crc, 0x89a1897f);
  });

  it('matches the bit-by-bit reference for every length up to 100 and at odd offsets', () => {
    const rand = mulberry32(7);
    const data = randomBytes(140, rand);
    for (let length = 0; length <= 100; length++) {
      for (const start of [0, 1, 3, 7, 13]) {
        const slice = data.subarray(start, start + length);
        assert.equal(
          oggCrc32(data, start, start + length),
          referenceCrc(slice),
          `length ${length} at ${start}`,
        );
      }
    }
  });

  it('continues a CRC across calls as if the data were one', () => {
    const data = randomBytes(5000, mulberry32(3));
    const whole = oggCrc32(data);
    for (const cut of [0, 1, 8, 9, 2500, 4999, 5000]) {
      assert.equal(oggCrc32(data, cut, data.length, oggCrc32(data, 0, cut)), whole, `cut at ${cut}`);
    }
  });

  it('reproduces the CRC of every page ffmpeg wrote', () => {
    const pages = listPages(readFixture(FIXTURE_OPUS));
    assert.ok(pages.length > 20);
    for (const { bytes } of pages) {
      const copy = bytes.slice();
      const stored = new DataView(copy.buffer).getUint32(22, true);
      copy.fill(0, 22, 26);
      assert.equal(oggCrc32(copy), stored);
    }
  });

  it('checksums a megabyte quickly', () => {
    const data = randomBytes(1 << 20, mulberry32(1));
    const started = performance.now();
    for (let i = 0; i < 10; i++) oggCrc32(data);
    const msPerMiB = (performance.now() - started) / 10;
    assert.ok(msPerMiB < 50, `${msPerMiB.toFixed(1)} ms per MiB`);
  });
});
