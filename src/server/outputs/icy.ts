/**
 * ICY metadata, the in-stream titles radio apps read from MP3/AAC streams (SHOUTcast's, as Icecast
 * inserts them): a listener that sends `Icy-MetaData: 1` gets `icy-metaint: 16000`, and after every
 * 16,000 bytes of audio one length byte (× 16) and that many bytes of `StreamTitle='…';`, zero-padded;
 * a single 0 byte while the title is the one this listener last got.
 *
 * Per listener that is the inner sink, the mount, a byte count and the title it last got (a reference
 * to the string every listener shares). Each title's block is made once per mount, not per listener.
 */
import type { Mount } from '../hub/mount.js';
import type { Sink, SinkEndReason } from '../hub/types.js';

/** Audio bytes between two metadata blocks (Icecast's default, and SHOUTcast's). */
export const ICY_METAINT = 16_000;

/** A block's text is at most 255 × 16 bytes. */
const MAX_BLOCK_TEXT = 255 * 16;

/** The block for "no change". */
const NO_CHANGE = Buffer.from([0]);

/** The newest block of each mount, with the title it says. */
const blocks = new WeakMap<Mount, { title: string | null; block: Buffer }>();

/** The metadata block saying `title` (UTF-8; cut to fit a block, never mid-character). */
export function icyBlock(title: string | null): Buffer {
  let chars = [...(title ?? '')];
  let text = Buffer.from(`StreamTitle='${chars.join('')}';`, 'utf8');
  while (text.length > MAX_BLOCK_TEXT) {
    chars = chars.slice(0, chars.length - Math.ceil((text.length - MAX_BLOCK_TEXT) / 4));
    text = Buffer.from(`StreamTitle='${chars.join('')}';`, 'utf8');
  }
  const n = Math.ceil(text.length / 16);
  const block = Buffer.alloc(1 + n * 16);
  block[0] = n;
  text.copy(block, 1);
  return block;
}

/** The block saying `mount`'s title now, made once per title. */
function titleBlock(mount: Mount): Buffer {
  const cached = blocks.get(mount);
  if (cached && cached.title === mount.title) return cached.block;
  const block = icyBlock(mount.title);
  blocks.set(mount, { title: mount.title, block });
  return block;
}

/** True when a listen request asks for ICY metadata (`Icy-MetaData: 1`). */
export function wantsIcy(header: string | string[] | undefined): boolean {
  return (Array.isArray(header) ? header[0] : header)?.trim() === '1';
}

/** A listener of an MP3/AAC mount that asked for ICY metadata: its audio with blocks inserted. */
export class IcySink implements Sink {
  private readonly inner: Sink;
  private readonly mount: Mount;
  /** Audio bytes until the next block. */
  private left = ICY_METAINT;
  /** The title of the last block sent; undefined before the first (which always says the title). */
  private sent: string | null | undefined = undefined;

  constructor(inner: Sink, mount: Mount) {
    this.inner = inner;
    this.mount = mount;
  }

  write(bytes: Uint8Array): boolean {
    const n = bytes.byteLength;
    if (n < this.left) {
      this.left -= n;
      return this.inner.write(bytes);
    }
    let at = 0;
    while (n - at >= this.left) {
      if (!this.inner.write(bytes.subarray(at, at + this.left))) return false;
      at += this.left;
      this.left = ICY_METAINT;
      if (!this.inner.write(this.block())) return false;
    }
    if (at === n) return true;
    this.left -= n - at;
    return this.inner.write(bytes.subarray(at));
  }

  end(reason: SinkEndReason): void {
    this.inner.end(reason);
  }

  private block(): Buffer {
    const title = this.mount.title;
    if (title === this.sent) return NO_CHANGE;
    this.sent = title;
    return titleBlock(this.mount);
  }
}
