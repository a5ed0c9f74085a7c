/**
 * The packets output's batching: the Opus packets one source push completes go to every listener
 * as one buffer (one write per push, not per packet), a late joiner still starts at the newest packet,
 * and a new broadcast never hands out packets of the last one. MP3/AAC: whole frames, passed through.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Mount } from '../../../src/server/hub/mount.js';
import type { MediaChunk, Sink } from '../../../src/server/hub/types.js';
import { MpegPipeline, OggPipeline, sameLayout, WebmPipeline } from '../../../src/server/ingest/pipeline.js';
import { createLogger } from '../../../src/server/log.js';
import { FLAG_BOS, FLAG_EOS, writePage } from '../../../src/server/ogg/page.js';
import type { OpusHeader } from '../../../src/server/opus/opus-packet.js';
import { makeOpusHead, makeOpusTags, parseOpusHead } from '../../../src/server/opus/opus-packet.js';
import { WebmOpusDemuxer } from '../../../src/server/webm/opus-demuxer.js';
import { WebmSplitter } from '../../../src/server/webm/splitter.js';
import { PACKETS } from '../../../src/shared/protocol.js';
import { concatBytes, mulberry32, randomPieces } from '../../../tools/bytes.js';
import { FIXTURE_DIR, loadFixture } from '../../helpers/clients.js';
import { listPages, opusPacket } from '../../helpers/ogg.js';

const LIMITS = { maxInitBytes: 128 * 1024, maxElementBytes: 1024 * 1024 };
const { chunks: CHUNKS } = loadFixture();

class RecordingSink implements Sink {
  readonly writes: Uint8Array[] = [];
  write(bytes: Uint8Array): boolean {
    this.writes.push(bytes);
    return true;
  }
  end(): void {}
}

interface Frame {
  pts: number;
  samples: number;
  bytes: number;
}

/** The frames in one packets-output write (which must hold whole frames only). */
function frames(b: Uint8Array): Frame[] {
  const buf = Buffer.from(b.buffer, b.byteOffset, b.byteLength);
  const out: Frame[] = [];
  let at = 0;
  while (at < buf.length) {
    const n = buf.readUInt16BE(at);
    out.push({ pts: buf.readUInt32BE(at + 2), samples: buf.readUInt16BE(at + 6), bytes: n });
    at += PACKETS.frameHeaderBytes + n;
  }
  assert.equal(at, buf.length, 'whole frames only');
  return out;
}

function newMount(): Mount {
  return new Mount({ name: 'live', burstBytes: 64 * 1024, onChange: () => {} });
}

/** How many Opus packets each fixture chunk completes (an independent splitter + demuxer pass). */
function packetsPerChunk(): number[] {
  const splitter = new WebmSplitter(LIMITS);
  const demuxer = new WebmOpusDemuxer();
  return CHUNKS.map((c) => {
    let n = 0;
    for (const out of splitter.push(c)) {
      if (out.kind === 'init') demuxer.pushInit(out.bytes);
      else n += demuxer.pushMedia(out.bytes).length;
    }
    return n;
  });
}

describe('packets output batching', () => {
  it('sends the packets of one WebM push as one buffer, the same for every listener', () => {
    const mount = newMount();
    const pipeline = new WebmPipeline(mount, { limits: LIMITS, log: createLogger('silent') });
    const expected = packetsPerChunk();
    pipeline.push(CHUNKS[0] as Buffer);
    const a = new RecordingSink();
    const b = new RecordingSink();
    assert.ok(mount.attach(a, 'packets'));
    assert.ok(mount.attach(b, 'packets'));
    const joinedWith = a.writes.length;
    let pushesWithPackets = 0;
    for (let i = 1; i < CHUNKS.length; i++) {
      const before = a.writes.length;
      pipeline.push(CHUNKS[i] as Buffer);
      const k = expected[i] as number;
      if (k === 0) {
        assert.equal(a.writes.length, before, `push ${i} completes no packet: no write`);
        continue;
      }
      pushesWithPackets++;
      assert.equal(a.writes.length, before + 1, `push ${i}: one write for its ${k} packets`);
      assert.equal(frames(a.writes[before] as Uint8Array).length, k);
      assert.strictEqual(a.writes[before], b.writes[before], 'made once, shared');
    }
    assert.ok(pushesWithPackets > 10, `${pushesWithPackets} pushes carried packets`);
    assert.ok(
      expected.some((k) => k > 1),
      'the fixture has pushes of several packets (a browser chunk holds 3)',
    );
    // Every packet from the join on, in order, once.
    const got = a.writes.slice(joinedWith).flatMap(frames);
    assert.equal(
      got.length,
      expected.slice(1).reduce((x, y) => x + y, 0),
    );
    for (let i = 1; i < got.length; i++) {
      const prev = got[i - 1] as Frame;
      assert.equal((got[i] as Frame).pts, prev.pts + prev.samples, `packet ${i} follows ${i - 1}`);
    }
  });

  it('sends the packets of several Ogg pages in one push as one buffer', () => {
    const mount = newMount();
    const pipeline = new OggPipeline(mount);
    const ogg = readFileSync(join(FIXTURE_DIR, 'ffmpeg-opus.ogg'));
    // The headers and a first page make the mount live; the rest comes in one push of many pages.
    pipeline.push(ogg.subarray(0, 4096));
    const sink = new RecordingSink();
    assert.ok(mount.attach(sink, 'packets'));
    const before = sink.writes.length;
    pipeline.push(ogg.subarray(4096));
    assert.equal(sink.writes.length, before + 1, 'one write for the whole push');
    const got = frames(sink.writes[before] as Uint8Array);
    assert.ok(got.length > 20, `${got.length} packets in it`);
  });

  it('starts a late joiner at the newest packet of the last push, not at the push’s first', () => {
    const mount = newMount();
    const pipeline = new WebmPipeline(mount, { limits: LIMITS, log: createLogger('silent') });
    const expected = packetsPerChunk();
    const last = expected.findIndex((k, i) => i > 0 && k > 1);
    for (let i = 0; i <= last; i++) pipeline.push(CHUNKS[i] as Buffer);
    const early = new RecordingSink();
    const late = new RecordingSink();
    // `early` attached before the push, so it holds that push's whole write to compare with.
    const fresh = newMount();
    const p2 = new WebmPipeline(fresh, { limits: LIMITS, log: createLogger('silent') });
    for (let i = 0; i < last; i++) p2.push(CHUNKS[i] as Buffer);
    assert.ok(fresh.attach(early, 'packets'));
    p2.push(CHUNKS[last] as Buffer);
    assert.ok(mount.attach(late, 'packets'));
    assert.equal(late.writes.length, 2, 'the header, then the burst');
    const burst = frames(late.writes[1] as Uint8Array);
    const whole = frames(early.writes[early.writes.length - 1] as Uint8Array);
    assert.equal(whole.length, expected[last]);
    assert.deepEqual(burst, [whole[whole.length - 1]], 'only the newest packet');
  });

  it('gives a listener of the next broadcast nothing of the last one', () => {
    const mount = newMount();
    const pipeline = new WebmPipeline(mount, { limits: LIMITS, log: createLogger('silent') });
    for (const c of CHUNKS.slice(0, 10)) pipeline.push(c);
    mount.end();
    // The next broadcast's first push, and the same push on a mount that never had another broadcast.
    new WebmPipeline(mount, { limits: LIMITS, log: createLogger('silent') }).push(CHUNKS[0] as Buffer);
    const clean = newMount();
    new WebmPipeline(clean, { limits: LIMITS, log: createLogger('silent') }).push(CHUNKS[0] as Buffer);
    const sink = new RecordingSink();
    const reference = new RecordingSink();
    assert.ok(mount.attach(sink, 'packets'));
    assert.ok(clean.attach(reference, 'packets'));
    assert.equal(sink.writes.length, reference.writes.length);
    sink.writes.forEach((w, i) => {
      assert.deepEqual(Buffer.from(w), Buffer.from(reference.writes[i] as Uint8Array), `write ${i}`);
    });
    assert.ok(sink.writes.length <= 2, 'the header, then at most the newest packet');
  });
});

describe('one pipeline, whatever the source', () => {
  it('a local WebM source: the mount goes live with its info and origin, and counts every byte taken', () => {
    const mount = newMount();
    const info = { name: 'Room 4', sourceType: 'audio/webm' };
    const pipeline = new WebmPipeline(mount, { limits: LIMITS, log: createLogger('silent'), info });
    let taken = 0;
    for (const c of CHUNKS.slice(0, 5)) {
      pipeline.push(c);
      taken += c.length;
      assert.equal(mount.bytesIn, taken, 'held-back bytes count too');
    }
    assert.equal(mount.state, 'live');
    assert.equal(mount.origin, 'local');
    assert.deepEqual(mount.info, info);
    assert.ok(mount.renditions.ogg.ready, 'the Ogg output is made here');
    mount.end();
    assert.equal(mount.origin, null);
    assert.deepEqual(mount.info, {});
  });

  it('a relay: the owner’s WebM chunks make the same packets, from the first Cluster start it gets', () => {
    // The owner's node: every WebM chunk and packets write, as the publisher would see them.
    const webm: MediaChunk[] = [];
    const owner = new Mount({
      name: 'live',
      burstBytes: 64 * 1024,
      onChange: () => {},
      onMedia: (_m, e) => {
        if (e.kind === 'chunk' && e.container === 'webm') webm.push(e.chunk);
      },
    });
    const ownerSink = new RecordingSink();
    const local = new WebmPipeline(owner, { limits: LIMITS, log: createLogger('silent') });
    for (const c of CHUNKS) {
      local.push(c);
      if (owner.state === 'live' && ownerSink.writes.length === 0)
        assert.ok(owner.attach(ownerSink, 'packets'));
    }
    const init = new WebmSplitter(LIMITS).push(Buffer.concat(CHUNKS))[0];
    assert.ok(init?.kind === 'init');

    // The relaying node joins mid-Cluster: history starts one chunk before the second sync point.
    const second = webm.findIndex((c, i) => i > 0 && c.syncPoint);
    assert.ok(second > 1);
    const relayed = newMount();
    const relay = new WebmPipeline(relayed, {
      log: createLogger('silent'),
      info: { name: 'R' },
      relay: true,
    });
    relay.begin(init.bytes, 'Show', new Date(0));
    assert.equal(relayed.origin, 'relay');
    assert.equal(relayed.title, 'Show');
    assert.deepEqual(relayed.info, { name: 'R' });
    assert.ok(!relayed.renditions.ogg.ready, 'the Ogg output comes relayed, not made here');
    const sink = new RecordingSink();
    assert.ok(relayed.attach(sink, 'packets'));
    const framesBefore = sink.writes.length;
    for (let i = second - 1; i < webm.length; i++) relay.media('webm', webm[i] as MediaChunk, 1000 + i);
    assert.equal(relayed.bytesIn, 1000 + webm.length - 1, 'the owner’s count');

    const got = sink.writes.slice(framesBefore).flatMap(frames);
    const all = ownerSink.writes.slice(1).flatMap(frames);
    assert.ok(got.length > 0 && got.length < all.length);
    // The same packets as the owner's last ones (pts count from the relay's first packet).
    const tail = all.slice(all.length - got.length);
    assert.deepEqual(
      got.map((f) => [f.bytes, f.samples]),
      tail.map((f) => [f.bytes, f.samples]),
    );
  });
});

/** One link of a chained stream as Liquidsoap sends it: BOS + OpusHead, OpusTags, audio, an empty packet on EOS. */
function link(serial: number, head: Uint8Array, title: string, packets: number): Uint8Array {
  const pages = [
    writePage({ headerType: FLAG_BOS, granule: 0, serial, sequence: 0 }, [head]),
    writePage({ granule: 0, serial, sequence: 1 }, [
      makeOpusTags('Liquidsoap', [`TITLE=${title}`, 'ARTIST=Tone']),
    ]),
  ];
  let granule = 0;
  for (let i = 0; i < packets; i++) {
    granule += 960;
    pages.push(writePage({ granule, serial, sequence: 2 + i }, [opusPacket(40, serial * 100 + i)]));
  }
  pages.push(
    writePage({ headerType: FLAG_EOS, granule, serial, sequence: 2 + packets }, [new Uint8Array(0)]),
  );
  return concatBytes(pages);
}

const MONO = makeOpusHead({ channels: 1, preSkip: 312, inputSampleRate: 44100 });
const STEREO = makeOpusHead({ channels: 2, preSkip: 312, inputSampleRate: 48000 });

/** OpusHead of mapping family 1 (Vorbis order) with `channels` channels, one stream per channel. */
function surroundHead(channels: number): Uint8Array {
  const head = new Uint8Array(21 + channels);
  head.set(makeOpusHead({ channels: 2, preSkip: 312, inputSampleRate: 48000 }).subarray(0, 19));
  head[9] = channels;
  head[18] = 1;
  head[19] = channels;
  head[20] = 0;
  for (let i = 0; i < channels; i++) head[21 + i] = i;
  return head;
}

describe('chained Ogg (a new logical stream per track)', () => {
  it('is one broadcast: no OFFLINE, the title follows each link, every output goes on as one stream', () => {
    const changes: string[] = [];
    const mount = new Mount({ name: 'live', burstBytes: 64 * 1024, onChange: (_m, c) => changes.push(c) });
    const pipeline = new OggPipeline(mount);
    pipeline.push(link(11, STEREO, 'One', 5));
    const sinks = { webm: new RecordingSink(), ogg: new RecordingSink(), packets: new RecordingSink() };
    for (const [container, sink] of Object.entries(sinks)) {
      assert.ok(mount.attach(sink, container as 'webm' | 'ogg' | 'packets'));
    }
    const counts = Object.values(sinks).map((s) => s.writes.length);
    assert.equal(mount.title, 'Tone - One');
    // Next tracks: another serial, a mono one too (mapping family 0 decodes either way).
    pipeline.push(link(12, MONO, 'Two', 5));
    assert.equal(mount.title, 'Tone - Two');
    pipeline.push(link(13, STEREO, 'Three', 5));
    assert.equal(mount.title, 'Tone - Three');
    assert.equal(mount.state, 'live');
    assert.deepEqual(
      changes.filter((c) => c === 'state'),
      ['state'],
      'LIVE once, never OFFLINE',
    );
    assert.deepEqual(pipeline.stats, { links: 3, emptyPackets: 3 });
    Object.values(sinks).forEach((s, i) => {
      assert.ok(s.writes.length > (counts[i] as number), 'every output goes on');
    });
    // The Ogg listener got one logical stream: one serial, no second BOS, sequence numbers in order.
    const ogg = listPages(concatBytes(sinks.ogg.writes));
    assert.equal(new Set(ogg.map((p) => p.page.serial)).size, 1);
    assert.equal(ogg.filter((p) => p.page.headerType & FLAG_BOS).length, 1);
    ogg.forEach((p, i) => {
      if (i > 0) assert.equal(p.page.sequence, (ogg[i - 1]?.page.sequence ?? 0) + 1);
    });
    // Packets keep rising pts across the links (5 per link after the first's, which the listener joined late).
    const all = sinks.packets.writes.slice(1).flatMap(frames);
    for (let i = 1; i < all.length; i++) {
      assert.equal(all[i]?.pts, (all[i - 1]?.pts ?? 0) + (all[i - 1]?.samples ?? 0));
    }
    // A late joiner still gets the first link's header: what the outputs were started with.
    const late = new RecordingSink();
    assert.ok(mount.attach(late, 'ogg'));
    assert.equal(listPages(late.writes[0] as Uint8Array)[0]?.page.serial, ogg[0]?.page.serial);
  });

  it('ends the source with OGG_CORRUPT when a link changes to a layout the outputs cannot carry', () => {
    const mount = newMount();
    const pipeline = new OggPipeline(mount);
    pipeline.push(link(1, STEREO, 'One', 3));
    assert.throws(
      () => pipeline.push(link(2, surroundHead(6), 'Six', 3)),
      (err: Error & { code?: string }) => err.code === 'OGG_CORRUPT' && /channel layout/.test(err.message),
    );
  });

  it('sameLayout: any mono/stereo pair; a multichannel layout only with itself', () => {
    const h = (raw: Uint8Array): OpusHeader => parseOpusHead(raw);
    assert.ok(sameLayout(h(MONO), h(STEREO)));
    assert.ok(sameLayout(h(surroundHead(6)), h(surroundHead(6))));
    assert.ok(!sameLayout(h(STEREO), h(surroundHead(6))));
    assert.ok(!sameLayout(h(surroundHead(6)), h(surroundHead(4))));
  });
});

describe('MpegPipeline', () => {
  /** 2 s of 440 Hz as ffmpeg writes MP3 at its defaults (with its leading ID3v2 tag). */
  const mp3 = ((): Uint8Array => {
    const run = spawnSync(
      'ffmpeg',
      ['-v', 'error', '-f', 'lavfi', '-i', 'sine=frequency=440', '-t', '2', '-f', 'mp3', '-'],
      { maxBuffer: 16 * 1024 * 1024 },
    );
    assert.equal(run.status, 0, run.stderr.toString());
    return new Uint8Array(run.stdout);
  })();

  it('goes LIVE on the first whole frame and publishes whole frames only, the info from their headers', () => {
    const mount = newMount();
    const pipeline = new MpegPipeline(mount, { format: 'mp3', info: { sourceType: 'audio/mpeg' } });
    const early = new RecordingSink();
    const rand = mulberry32(5);
    const pieces = randomPieces(mp3, rand, 1, 2000);
    let i = 0;
    // Until a frame is whole (and confirmed) the mount stays OFFLINE.
    while (mount.state === 'offline') pipeline.push(pieces[i++] as Uint8Array);
    assert.ok(mount.attach(early, 'mpeg'));
    assert.equal(mount.attach(new RecordingSink(), 'webm'), false, 'no Opus outputs');
    for (; i < pieces.length; i++) pipeline.push(pieces[i] as Uint8Array);
    // Every write starts on a frame sync (0xFFE), and the late joiner's first one too.
    for (const w of early.writes) assert.ok(w[0] === 0xff && ((w[1] as number) & 0xe0) === 0xe0);
    const late = new RecordingSink();
    assert.ok(mount.attach(late, 'mpeg'));
    assert.ok(late.writes.length === 1 && late.writes[0]?.[0] === 0xff, 'the newest push, from a frame');
    assert.equal(mount.info.sourceType, 'audio/mpeg');
    assert.deepEqual(mount.info.frames, { channels: 1, sampleRate: 44100, bitrateKbps: 64 });
    assert.equal(mount.bytesIn, mp3.length);
  });

  it('relayed: LIVE at begin with the owner’s info, whole frames out of the owner’s chunks, its bytesIn', () => {
    // What the owner publishes (and sends through Redis): whole frames per push.
    const owner = newMount();
    const ownerPipeline = new MpegPipeline(owner, { format: 'mp3' });
    ownerPipeline.push(mp3.subarray(0, 4096));
    const tapped: Uint8Array[] = [];
    owner.addTap({ write: (b) => tapped.push(b) > 0, end: () => {} }, 'mpeg');
    for (const piece of randomPieces(mp3.subarray(4096), mulberry32(7), 1, 3000)) ownerPipeline.push(piece);

    const mount = newMount();
    const frames = { channels: 1, sampleRate: 44100, bitrateKbps: 64 };
    const relay = new MpegPipeline(mount, {
      format: 'mp3',
      info: { sourceType: 'audio/mpeg', frames },
      relay: true,
    });
    assert.throws(() => relay.push(mp3), /chunks, not bytes/);
    relay.begin('Owner title', new Date(42));
    assert.equal(mount.state, 'live');
    assert.equal(mount.origin, 'relay');
    assert.equal(mount.title, 'Owner title');
    assert.equal(mount.startedAt?.getTime(), 42);
    assert.deepEqual(mount.info.frames, frames);
    assert.notEqual(mount.info.frames, frames, 'a copy: the relay keeps its own measure');
    const sink = new RecordingSink();
    assert.ok(mount.attach(sink, 'mpeg'));
    let n = 0;
    for (const c of tapped) {
      n += c.byteLength;
      relay.media({ bytes: c, syncPoint: true }, n);
    }
    assert.equal(mount.bytesIn, n, 'the owner’s count');
    for (const w of sink.writes) assert.ok(w[0] === 0xff && ((w[1] as number) & 0xe0) === 0xe0);
    // The frames come out as the owner sent them.
    assert.deepEqual(Buffer.from(concatBytes(sink.writes)), Buffer.from(concatBytes(tapped)));
    assert.equal(mount.info.frames?.bitrateKbps, 64);
  });

  it('throws MPEG_CORRUPT (which ends the broadcast) on bytes with no frame sync', () => {
    const pipeline = new MpegPipeline(newMount(), { format: 'aac' });
    assert.throws(
      () => pipeline.push(new Uint8Array(200 * 1024)),
      (err: Error & { code?: string }) => err.code === 'MPEG_CORRUPT',
    );
  });
});
