/**
 * Ogg page CRC-32 (RFC 3533 §6): polynomial 0x04C11DB7, MSB first (no reflection), initial value 0 and no
 * final XOR. Not the zlib/PNG CRC-32, which is reflected and inverted. Slicing-by-8 tables, as libogg does.
 */

const POLY = 0x04c11db7;

/** Eight 256-entry tables in one array: table k at [k * 256, k * 256 + 256). */
const TABLES: Uint32Array = makeTables();

function makeTables(): Uint32Array {
  const t = new Uint32Array(8 * 256);
  for (let i = 0; i < 256; i++) {
    let crc = i << 24;
    for (let bit = 0; bit < 8; bit++) crc = crc & 0x80000000 ? (crc << 1) ^ POLY : crc << 1;
    t[i] = crc >>> 0;
  }
  // Table k advances a byte through k more zero bytes: T[k][i] = (T[k-1][i] << 8) ^ T[0][T[k-1][i] >>> 24].
  for (let k = 1; k < 8; k++) {
    for (let i = 0; i < 256; i++) {
      const prev = t[(k - 1) * 256 + i] as number;
      t[k * 256 + i] = ((prev << 8) ^ (t[prev >>> 24] as number)) >>> 0;
    }
  }
  return t;
}

/**
 * CRC of `data[start, end)`, continuing from `crc` (0 to start a new one). Returns an unsigned 32-bit value.
 * A page's CRC is computed over the whole page with its CRC field (bytes 22–25) read as zero.
 */
export function oggCrc32(data: Uint8Array, start = 0, end = data.length, crc = 0): number {
  const t = TABLES;
  let c = crc | 0;
  let i = start;
  for (const stop = end - 7; i < stop; i += 8) {
    c ^= ((data[i] as number) << 24) | ((data[i + 1] as number) << 16) | ((data[i + 2] as number) << 8);
    c ^= data[i + 3] as number;
    c =
      (t[1792 + (c >>> 24)] as number) ^
      (t[1536 + ((c >>> 16) & 0xff)] as number) ^
      (t[1280 + ((c >>> 8) & 0xff)] as number) ^
      (t[1024 + (c & 0xff)] as number) ^
      (t[768 + (data[i + 4] as number)] as number) ^
      (t[512 + (data[i + 5] as number)] as number) ^
      (t[256 + (data[i + 6] as number)] as number) ^
      (t[data[i + 7] as number] as number);
  }
  for (; i < end; i++) c = (c << 8) ^ (t[((c >>> 24) ^ (data[i] as number)) & 0xff] as number);
  return c >>> 0;
}
