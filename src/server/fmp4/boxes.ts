/**
 * ISO BMFF (ISO/IEC 14496-12) box writing: a box is a 32-bit size, a four-character type and its
 * payload; a full box adds a version byte and 24 bits of flags. Boxes are built bottom-up from byte
 * arrays, so every size is known when it is written (no patching).
 */

/** `u8(…)`, `u16(…)`, … as byte arrays, big-endian as every ISO BMFF field is. */
export function u8(v: number): Uint8Array {
  return Uint8Array.of(v & 0xff);
}

export function u16(v: number): Uint8Array {
  const b = new Uint8Array(2);
  new DataView(b.buffer).setUint16(0, v);
  return b;
}

export function i16(v: number): Uint8Array {
  const b = new Uint8Array(2);
  new DataView(b.buffer).setInt16(0, v);
  return b;
}

export function u32(v: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, v >>> 0);
  return b;
}

/** A 64-bit unsigned field from a safe integer. */
export function u64(v: number): Uint8Array {
  const b = new Uint8Array(8);
  const view = new DataView(b.buffer);
  view.setUint32(0, Math.floor(v / 0x1_0000_0000));
  view.setUint32(4, v >>> 0);
  return b;
}

/** Zero bytes. */
export function zeros(n: number): Uint8Array {
  return new Uint8Array(n);
}

/** A four-character code (ASCII). Throws RangeError unless it is exactly four characters. */
export function fourcc(code: string): Uint8Array {
  if (code.length !== 4) throw new RangeError(`a box type has four characters, got "${code}"`);
  return Uint8Array.from(code, (c) => c.charCodeAt(0) & 0xff);
}

/** A box of `type` holding `payload` (fields and child boxes) back to back. */
export function box(type: string, ...payload: Uint8Array[]): Uint8Array {
  let n = 8;
  for (const p of payload) n += p.byteLength;
  return Buffer.concat([u32(n), fourcc(type), ...payload]);
}

/** A full box: version (8 bits) and flags (24 bits) before the payload. */
export function fullBox(type: string, version: number, flags: number, ...payload: Uint8Array[]): Uint8Array {
  return box(type, u32(((version & 0xff) << 24) | (flags & 0xff_ffff)), ...payload);
}
