/** The HLS stream and its playlist: parts and segments, the window, the tags, blocking semantics. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { OpusPacket } from '../../../src/server/opus/opus-packet.js';
import { renderPlaylist } from '../../../src/server/outputs/hls-playlist.js';
import type { HlsTiming } from '../../../src/server/outputs/hls-stream.js';
import { HlsStream, MAX_PART_BYTES } from '../../../src/server/outputs/hls-stream.js';
import { concatBytes } from '../../../tools/bytes.js';
import { hlsAttr as attr, hlsTags as tags } from '../../../tools/hls.js';
import { opusPacket, TEST_HEADER } from '../../helpers/ogg.js';

const TIMING: HlsTiming = { partMs: 200, segmentMs: 1000, windowSegments: 4 };

let pts = 0;
function packets(n: number, samples = 960, bytes = 40): OpusPacket[] {
  const out: OpusPacket[] = [];
  for (let i = 0; i < n; i++) {
    out.push({ data: opusPacket(bytes, i + 1), pts, samples });
    pts += samples;
  }
  return out;
}

function stream(timing: HlsTiming = TIMING, firstMsn = 0): HlsStream {
  return new HlsStream({
    id: 'b1',
    head: TEST_HEADER,
    firstMsn,
    timing,
    now: () => Date.UTC(2026, 11, 4, 12),
  });
}

describe('HlsStream', () => {
  it('cuts 20 ms packets into 200 ms parts and 1 s segments', () => {
    const s = stream();
    s.push(packets(50));
    assert.equal(s.segments.length, 1);
    const seg = s.segments[0];
    assert.equal(seg?.msn, 0);
    assert.equal(seg?.parts.length, 5);
    for (const p of seg?.parts ?? []) assert.equal(p.samples, 9600);
    assert.equal(seg?.samples, 48_000);
    assert.ok(seg?.bytes, 'the segment is complete');
    // The segment is its parts back to back, and the parts keep their bytes.
    assert.deepEqual(seg.bytes, concatBytes(seg.parts.map((p) => p.bytes)));
  });

  it('closes a part as soon as another packet of the same length would not fit (60 ms packets: 180 ms)', () => {
    const s = stream();
    s.push(packets(3, 2880));
    assert.equal(s.edge.parts, 1, 'the part closed with its third packet, not the fourth');
    s.push(packets(12, 2880));
    const seg = s.segments[0];
    assert.ok(seg?.bytes);
    for (const p of seg.parts) assert.ok(p.samples <= 9600);
    assert.equal(seg.parts.length, 5);
  });

  it('closes a part early past its byte cap', () => {
    const s = stream();
    s.push(packets(2, 960, Math.ceil(MAX_PART_BYTES / 2)));
    assert.equal(s.edge.parts, 1);
  });

  it('keeps a window of complete segments and counts the media sequence on', () => {
    const s = stream(TIMING, 7);
    s.push(packets(50 * 6 + 20));
    const complete = s.segments.filter((x) => x.bytes !== null);
    assert.equal(complete.length, 4);
    assert.deepEqual(
      s.segments.map((x) => x.msn),
      [9, 10, 11, 12, 13],
    );
    assert.equal(s.firstMsn, 9);
    assert.deepEqual(s.edge, { msn: 13, parts: 2 });
    assert.equal(s.segmentBytes(8), null, 'forgotten');
    assert.equal(s.partBytes(13, 2), null, 'not yet');
    assert.ok(s.partBytes(13, 1));
  });

  it('makes the pending packets the last part at the end, and continues after it', () => {
    const s = stream();
    s.push(packets(13));
    s.end();
    assert.equal(s.segments.length, 1);
    assert.equal(s.segments[0]?.parts.length, 2);
    assert.equal(s.segments[0]?.samples, 13 * 960);
    assert.equal(s.endMsn, 1);
    s.push(packets(10));
    assert.equal(s.segments[0]?.parts.length, 2, 'nothing is added after the end');
  });

  it('tells whether a blocking reload is ready, waits, or asks too far ahead', () => {
    const s = stream();
    s.push(packets(50 + 20)); // segment 0 complete, segment 1 has parts 0 and 1
    assert.deepEqual(s.edge, { msn: 1, parts: 2 });
    assert.equal(s.blockState(0), 'ready');
    assert.equal(s.blockState(1), 'wait');
    assert.equal(s.blockState(2), 'wait', 'the last complete segment plus two');
    assert.equal(s.blockState(3), 'too-far');
    assert.equal(s.blockState(1, 1), 'ready');
    assert.equal(s.blockState(1, 2), 'wait');
    assert.equal(s.blockState(2, 0), 'wait');
    // The newest part is 1.1; the Advance Part Limit is 3 / 0.2 s = 15 parts past it.
    assert.equal(s.blockState(1, 17), 'too-far');
    assert.equal(s.blockState(1, 16), 'wait');
    assert.equal(s.blockState(3, 0), 'too-far');
    s.end();
    assert.equal(s.blockState(5, 3), 'ready', 'an ended stream answers at once');
  });

  it('tells whether a part request is worth holding', () => {
    const s = stream();
    s.push(packets(20));
    assert.equal(s.partState(0, 1), 'ready');
    assert.equal(s.partState(0, 2), 'wait', 'the hinted part');
    assert.equal(s.partState(1, 0), 'wait');
    assert.equal(s.partState(0, 30), 'too-far');
    s.end();
    assert.equal(s.partState(0, 2), 'gone');
  });

  it('is startable once it holds HOLD-BACK (three target durations) of complete segments, or ended', () => {
    const s = stream();
    assert.equal(s.holdBackS, 3);
    s.push(packets(2 * 50 + 20));
    assert.equal(s.startable, false, 'two segments and parts: less than HOLD-BACK');
    s.push(packets(30));
    assert.equal(s.startable, true, 'three complete segments');
    const short = stream();
    short.push(packets(10));
    short.end();
    assert.equal(short.startable, true, 'an ended stream is whole');
    // A window smaller than HOLD-BACK: a full window is the most a player can have.
    const narrow = stream({ ...TIMING, windowSegments: 2 });
    narrow.push(packets(2 * 50));
    assert.equal(narrow.startable, true);
  });
});

describe('renderPlaylist', () => {
  it('writes the Low-Latency HLS tags, parts within the part target and segments within the target duration', () => {
    const s = stream(TIMING, 3);
    s.push(packets(50 * 5 + 30));
    const text = renderPlaylist('live', s);
    assert.ok(text.startsWith('#EXTM3U\n'));
    assert.deepEqual(tags(text, 'EXT-X-VERSION'), ['6']);
    const target = Number(tags(text, 'EXT-X-TARGETDURATION')[0]);
    assert.equal(target, 1);
    const control = tags(text, 'EXT-X-SERVER-CONTROL')[0] ?? '';
    assert.equal(attr(control, 'CAN-BLOCK-RELOAD'), 'YES');
    const partTarget = Number(attr(tags(text, 'EXT-X-PART-INF')[0] ?? '', 'PART-TARGET'));
    assert.equal(partTarget, 0.2);
    assert.ok(Number(attr(control, 'PART-HOLD-BACK')) >= 2 * partTarget);
    assert.ok(Number(attr(control, 'HOLD-BACK')) >= 3 * target);
    assert.deepEqual(tags(text, 'EXT-X-MEDIA-SEQUENCE'), ['4'], 'window of 4 complete segments: 4–7, then 8');
    assert.deepEqual(tags(text, 'EXT-X-MAP'), ['URI="hls/live/b1/init.mp4"']);
    const extinf = tags(text, 'EXTINF').map((v) => Number(v.replace(/,$/, '')));
    assert.deepEqual(extinf, [1, 1, 1, 1]);
    for (const d of extinf) assert.ok(Math.round(d) <= target);
    const parts = tags(text, 'EXT-X-PART');
    // Parts of the last three complete segments and of the one being filled: 3 × 5 + 3.
    assert.equal(parts.length, 18);
    for (const p of parts) {
      assert.ok(Number(attr(p, 'DURATION')) <= partTarget);
      assert.equal(attr(p, 'INDEPENDENT'), 'YES');
    }
    assert.equal(attr(parts.at(-1) ?? '', 'URI'), 'hls/live/b1/s8.2.m4s');
    assert.deepEqual(tags(text, 'EXT-X-PRELOAD-HINT'), ['TYPE=PART,URI="hls/live/b1/s8.3.m4s"']);
    const pdt = tags(text, 'EXT-X-PROGRAM-DATE-TIME');
    assert.equal(pdt.length, 5);
    for (const d of pdt) assert.ok(!Number.isNaN(Date.parse(d)));
    assert.ok(text.includes('hls/live/b1/s7.m4s\n'));
    assert.equal(tags(text, 'EXT-X-ENDLIST').length, 0);
    assert.ok(!text.includes('#EXT-X-ENDLIST'));
  });

  it('ends with EXT-X-ENDLIST and no preload hint once the broadcast ended', () => {
    const s = stream();
    s.push(packets(33));
    s.end();
    const text = renderPlaylist('live', s);
    assert.ok(text.endsWith('#EXT-X-ENDLIST\n'));
    assert.ok(!text.includes('PRELOAD-HINT'));
    assert.deepEqual(
      tags(text, 'EXTINF').map((v) => Number(v.replace(/,$/, ''))),
      [0.66],
    );
  });
});
