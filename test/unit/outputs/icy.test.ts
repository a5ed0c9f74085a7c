/**
 * ICY metadata: blocks every ICY_METAINT audio bytes exactly, however the audio is cut into writes;
 * the title once per change (a 0 byte otherwise); blocks within 255 × 16 bytes.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Mount } from '../../../src/server/hub/mount.js';
import type { Sink } from '../../../src/server/hub/types.js';
import { ICY_METAINT, IcySink, icyBlock, wantsIcy } from '../../../src/server/outputs/icy.js';
import { concatBytes, mulberry32, randomBytes, randomPieces } from '../../../tools/bytes.js';

class Collect implements Sink {
  readonly writes: Uint8Array[] = [];
  write(bytes: Uint8Array): boolean {
    this.writes.push(bytes);
    return true;
  }
  end(): void {}
}

/** Splits an ICY stream into its audio and its metadata texts (null for an empty block). */
function parseIcy(stream: Uint8Array): { audio: Uint8Array; titles: Array<string | null> } {
  const audio: Uint8Array[] = [];
  const titles: Array<string | null> = [];
  let at = 0;
  while (at < stream.length) {
    const n = Math.min(ICY_METAINT, stream.length - at);
    audio.push(stream.subarray(at, at + n));
    at += n;
    if (at >= stream.length) break;
    const len = (stream[at] as number) * 16;
    const text = Buffer.from(stream.subarray(at + 1, at + 1 + len))
      .toString('utf8')
      .replace(/\0+$/, '');
    titles.push(len === 0 ? null : text);
    at += 1 + len;
  }
  return { audio: concatBytes(audio), titles };
}

function mount(): Mount {
  return new Mount({ name: 'm', burstBytes: 65536, onChange: () => {} });
}

describe('icy', () => {
  it('inserts a block after exactly every icy-metaint bytes, wherever the writes are cut', () => {
    const rand = mulberry32(11);
    const audio = randomBytes(ICY_METAINT * 5 + 123, rand);
    for (const pieces of [[audio], randomPieces(audio, rand, 1, 40_000), randomPieces(audio, rand, 1, 300)]) {
      const m = mount();
      m.title = 'Artist - Song';
      const out = new Collect();
      const sink = new IcySink(out, m);
      for (const p of pieces) assert.equal(sink.write(p), true);
      const parsed = parseIcy(concatBytes(out.writes));
      assert.deepEqual(parsed.audio, audio);
      // The first block says the title; the next ones are empty while it stays the same.
      assert.deepEqual(parsed.titles, ["StreamTitle='Artist - Song';", null, null, null, null]);
    }
  });

  it('sends the title again only when it changes', () => {
    const m = mount();
    const out = new Collect();
    const sink = new IcySink(out, m);
    const piece = new Uint8Array(ICY_METAINT);
    sink.write(piece);
    m.title = 'One';
    sink.write(piece);
    sink.write(piece);
    m.title = 'Two';
    sink.write(piece);
    m.title = null;
    sink.write(piece);
    assert.deepEqual(parseIcy(concatBytes(out.writes)).titles, [
      "StreamTitle='';",
      "StreamTitle='One';",
      null,
      "StreamTitle='Two';",
      "StreamTitle='';",
    ]);
  });

  it('makes a block at most 255 × 16 bytes long, cutting a long title between characters', () => {
    const b = icyBlock('é'.repeat(5000));
    assert.equal(b[0], 255);
    assert.equal(b.length, 1 + 255 * 16);
    const text = b.subarray(1).toString('utf8').replace(/\0+$/, '');
    assert.match(text, /^StreamTitle='é+';$/);
    assert.equal(icyBlock('a').length, 1 + 16);
  });

  it('stops at the first write the inner sink refuses (the listener is then dropped)', () => {
    let calls = 0;
    const sink = new IcySink(
      {
        write: () => {
          calls++;
          return false;
        },
        end: () => {},
      },
      mount(),
    );
    assert.equal(sink.write(new Uint8Array(ICY_METAINT * 3)), false);
    assert.equal(calls, 1);
  });

  it('asks for ICY only on Icy-MetaData: 1', () => {
    assert.equal(wantsIcy('1'), true);
    assert.equal(wantsIcy(' 1 '), true);
    assert.equal(wantsIcy('0'), false);
    assert.equal(wantsIcy(undefined), false);
  });
});
