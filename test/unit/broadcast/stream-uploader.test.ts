/**
 * StreamUploader: the recorder's bytes in one streaming request; each handed chunk kept until the
 * server's byte count covers it, and every kept byte resent by chunk POSTs (with its offset) when the
 * stream breaks.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BroadcastError } from '../../../src/broadcast/errors.js';
import { ServerBytes } from '../../../src/broadcast/server-bytes.js';
import { StreamUploader } from '../../../src/broadcast/stream-uploader.js';
import type { IngestSession } from '../../../src/shared/protocol.js';
import { paths, SESSION_HEADER } from '../../../src/shared/protocol.js';
import {
  ack,
  bytesAt,
  eachUploadTest,
  errorAnswer,
  type FakeFetch,
  type FakeRequest,
  type UploadTest,
} from './fake-fetch.js';

const SESSION: IngestSession = { sessionId: 'sess-1', mount: 'live', nextSeq: 0, maxChunkBytes: 64 * 1024 };

function start(t: UploadTest): { up: StreamUploader; serverBytes: ServerBytes } {
  const serverBytes = new ServerBytes();
  const up = new StreamUploader({ mount: 'live', session: SESSION, serverBytes }, t.callbacks, t.signal);
  return { up, serverBytes };
}

/**
 * Takes and acknowledges chunk POSTs until they reach offset `end`; each must start where the one
 * before ended (no gap, no overlap).
 */
async function postsUpTo(net: FakeFetch, end: number): Promise<FakeRequest[]> {
  const posts: FakeRequest[] = [];
  for (let at = -1; at < end; ) {
    const r = await net.next();
    assert.equal(r.url, paths.ingestChunk('live'));
    if (at !== -1) assert.equal(r.offset, at, 'each POST starts where the one before ended');
    at = (r.offset ?? 0) + r.body.byteLength;
    r.answer(ack(r.seq ?? 0, at));
    posts.push(r);
  }
  return posts;
}

function joined(posts: FakeRequest[]): Uint8Array {
  return Uint8Array.from(posts.flatMap((p) => [...p.body]));
}

describe('StreamUploader', () => {
  const t = eachUploadTest();

  it('hands every chunk to one streaming request in order, and finishes when the server answers its end', async () => {
    const { up } = start(t);
    const stream = await t.net.next();
    assert.equal(stream.url, paths.ingestStream('live'));
    assert.equal(stream.headers[SESSION_HEADER], 'sess-1');
    up.push(bytesAt(0, 100));
    up.push(bytesAt(100, 100));
    await stream.received(200);
    assert.deepEqual(stream.body, bytesAt(0, 200));
    const finished = up.finish();
    await stream.received(200, true);
    stream.answer(new Response(null, { status: 200 }));
    await finished;
    assert.equal(t.net.requests.length, 1);
    assert.equal(t.last().transport, 'stream');
    assert.equal(t.last().bytesSent, 200);
    assert.equal(t.last().chunksSent, 2);
    assert.deepEqual(t.errors, []);
  });

  it('after the stream breaks, resends from the oldest byte the server has not confirmed, by chunk POSTs', async () => {
    const { up, serverBytes } = start(t);
    const stream = await t.net.next();
    for (let at = 0; at < 300; at += 100) up.push(bytesAt(at, 100));
    await stream.received(300);
    // The status socket says the server holds 150 bytes: the first chunk whole, the second in part.
    serverBytes.update(150);
    stream.answer(new TypeError('network connection lost'));
    const resent = await postsUpTo(t.net, 300);
    assert.equal(resent[0]?.url, paths.ingestChunk('live'));
    assert.equal(
      resent[0]?.offset,
      100,
      'a chunk the server holds in part is sent whole; it skips what it has',
    );
    assert.deepEqual(joined(resent), bytesAt(100, 200));
    // Later chunks go the same way, at their offsets.
    up.push(bytesAt(300, 100));
    const [r2] = await postsUpTo(t.net, 400);
    assert.equal(r2?.offset, 300);
    assert.deepEqual(r2?.body, bytesAt(300, 100));
    await up.finish();
    assert.deepEqual(
      { transport: t.last().transport, bytesSent: t.last().bytesSent, fellBack: t.last().fellBack },
      { transport: 'chunks', bytesSent: 400, fellBack: true },
    );
    assert.deepEqual(t.errors, []);
  });

  it('resends every handed chunk when the server confirmed none before the break', async () => {
    const { up } = start(t);
    const stream = await t.net.next();
    up.push(bytesAt(0, 80));
    up.push(bytesAt(80, 80));
    await stream.received(160);
    stream.answer(errorAnswer(503, 'INTERNAL'));
    const resent = await postsUpTo(t.net, 160);
    assert.equal(resent[0]?.offset, 0);
    assert.deepEqual(joined(resent), bytesAt(0, 160));
    await up.finish();
    assert.deepEqual(t.errors, []);
  });

  it('falls back when the server answers before the body ended', async () => {
    const { up } = start(t);
    const stream = await t.net.next();
    up.push(bytesAt(0, 50));
    await stream.received(50);
    stream.answer(new Response(null, { status: 200 }));
    const r1 = await t.net.next();
    assert.equal(r1.offset, 0);
    r1.answer(ack(0, 50));
    await up.finish();
    assert.equal(t.last().fellBack, true);
  });

  it('stops without falling back when the answer says no transport can help', async () => {
    const { up } = start(t);
    const stream = await t.net.next();
    up.push(bytesAt(0, 50));
    await stream.received(50);
    stream.answer(errorAnswer(401, 'AUTH_BAD_SESSION'));
    await assert.rejects(up.finish(), (err: unknown) => {
      assert.ok(err instanceof BroadcastError);
      assert.equal(err.serverCode, 'AUTH_BAD_SESSION');
      return true;
    });
    assert.equal(t.errors.length, 1);
    assert.equal(t.net.requests.length, 1, 'no chunk POST after a fatal answer');
  });
});
