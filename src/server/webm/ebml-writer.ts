/**
 * EBML element writers: the one place the muxers build element bytes (IDs with their marker, size
 * vints, integers, strings, floats). Small, whole elements as number arrays; the hot path of the live
 * muxer writes its Clusters and blocks into one buffer itself.
 */

/** The 8-byte "unknown" size: the element ends where the next one of its parent's level starts. */
export const UNKNOWN_SIZE_BYTES = [0x01, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff] as const;

/** An ID's bytes as written (the marker is part of the ID). */
export function idBytes(id: number): number[] {
  const out: number[] = [];
  for (let v = id; v > 0; v = Math.floor(v / 256)) out.unshift(v % 256);
  return out;
}

/** Bytes of a size vint for `size`: the shortest width whose data bits are not all ones. */
export function sizeWidth(size: number): number {
  let width = 1;
  while (size >= 2 ** (7 * width) - 1) width++;
  return width;
}

/** Appends `size` as a vint of `width` bytes (default: the shortest) to `out`. */
export function writeSize(out: number[], size: number, width = sizeWidth(size)): void {
  if (width < sizeWidth(size) || width > 8) throw new RangeError(`size ${size} does not fit ${width} bytes`);
  const bytes: number[] = [];
  let rest = size;
  for (let i = 0; i < width; i++) {
    bytes.unshift(rest % 256);
    rest = Math.floor(rest / 256);
  }
  bytes[0] = (bytes[0] as number) | (0x80 >> (width - 1));
  for (const b of bytes) out.push(b);
}

/** Bytes of an unsigned integer, big-endian and shortest (at least 1). */
export function uintLength(value: number): number {
  let length = 1;
  while (value >= 2 ** (8 * length)) length++;
  return length;
}

/** A whole element: ID, size (shortest vint), body. */
export function element(id: number, body: readonly number[] | Uint8Array): number[] {
  const out = idBytes(id);
  writeSize(out, body.length);
  for (const b of body) out.push(b);
  return out;
}

/** An unsigned integer element, shortest, or `width` bytes wide (so its size does not depend on the value). */
export function uintElement(id: number, value: number, width = uintLength(value)): number[] {
  const body: number[] = [];
  for (let i = width - 1; i >= 0; i--) body.push(Math.floor(value / 2 ** (8 * i)) % 256);
  return element(id, body);
}

/** An ASCII string element (each character's low byte). */
export function stringElement(id: number, value: string): number[] {
  return element(
    id,
    Array.from(value, (c) => c.charCodeAt(0) & 0xff),
  );
}

/** A UTF-8 string element. */
export function utf8Element(id: number, value: string): number[] {
  return element(id, new TextEncoder().encode(value));
}

export function float32Element(id: number, value: number): number[] {
  const body = new Uint8Array(4);
  new DataView(body.buffer).setFloat32(0, value);
  return element(id, body);
}

export function float64Element(id: number, value: number): number[] {
  const body = new Uint8Array(8);
  new DataView(body.buffer).setFloat64(0, value);
  return element(id, body);
}
