/** Byte utilities shared by tests and tools: building, comparing and cutting up byte arrays, and seeded noise. */

export type Bytes = Uint8Array;

export function bytes(...values: number[]): Bytes {
  return Uint8Array.from(values);
}

export function concatBytes(parts: readonly Bytes[]): Bytes {
  let length = 0;
  for (const p of parts) length += p.length;
  const out = new Uint8Array(length);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

export function equalBytes(a: Bytes, b: Bytes): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.length).equals(Buffer.from(b.buffer, b.byteOffset, b.length));
}

/** Deterministic PRNG (mulberry32): the same seed gives the same numbers, in [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function randomBytes(length: number, rand: () => number): Bytes {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = (rand() * 256) | 0;
  return out;
}

/** Views of `data` cut at the given offsets (ascending, inside the data). */
export function splitAt(data: Bytes, offsets: readonly number[]): Bytes[] {
  const pieces: Bytes[] = [];
  let from = 0;
  for (const at of offsets) {
    pieces.push(data.subarray(from, at));
    from = at;
  }
  pieces.push(data.subarray(from));
  return pieces;
}

/** Views of `data` in pieces of `min`–`max` bytes, sizes drawn from `rand`. */
export function randomPieces(data: Bytes, rand: () => number, min: number, max: number): Bytes[] {
  const pieces: Bytes[] = [];
  for (let at = 0; at < data.length; ) {
    const size = min + Math.floor(rand() * (max - min + 1));
    pieces.push(data.subarray(at, at + size));
    at += size;
  }
  return pieces;
}

/** Views of `data`, one byte each. */
export function byteByByte(data: Bytes): Bytes[] {
  return Array.from({ length: data.length }, (_, i) => data.subarray(i, i + 1));
}
