/** ChunkUploader: one POST at a time, each byte kept until the server holds it, resent from the offset it asks for. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ChunkUploader, RETRY_MIN_MS } from '../../../src/broadcast/chunk-uploader.js';
import { BroadcastError } from '../../../src/broadcast/errors.js';
import { UPLOAD_QUEUE_MAX_BYTES } from '../../../src/broadcast/upload.js';
import type { IngestSession } from '../../../src/shared/protocol.js';
import { paths } from '../../../src/shared/protocol.js';
import { ack, bytesAt, eachUploadTest, errorAnswer, type UploadTest } from './fake-fetch.js';

const SESSION: IngestSession = { sessionId: 'sess-1', mount: 'live', nextSeq: 0, maxChunkBytes: 1_000 };

function start(t: UploadTest, session: IngestSession = SESSION): ChunkUploader {
  return new ChunkUploader({ mount: 'live', session, firstSeq: session.nextSeq }, t.callbacks, t.signal);
}

describe('ChunkUploader', () => {
  const t = eachUploadTest();

  it('posts each chunk with its sequence number and byte offset, one at a time, until acknowledged', async () => {
    const up = start(t);
    up.push(bytesAt(0, 100));
    const r1 = await t.net.next();
    assert.equal(r1.url, paths.ingestChunk('live'));
    assert.equal(r1.method, 'POST');
    assert.equal(r1.seq, 0);
    assert.equal(r1.offset, 0);
    assert.deepEqual(r1.body, bytesAt(0, 100));
    up.push(bytesAt(100, 50));
    assert.equal(t.net.untaken, 0, 'no second POST while the first is unanswered');
    assert.equal(t.last().queuedBytes, 150);
    r1.answer(ack(0, 100));
    const r2 = await t.net.next();
    assert.equal(r2.seq, 1);
    assert.equal(r2.offset, 100);
    assert.deepEqual(r2.body, bytesAt(100, 50));
    r2.answer(ack(1, 150));
    await up.finish();
    assert.deepEqual(
      { ...t.last() },
      {
        transport: 'chunks',
        bytesSent: 150,
        chunksSent: 2,
        chunksAcked: 2,
        queuedBytes: 0,
        retrying: false,
        fellBack: false,
      },
    );
    assert.deepEqual(t.errors, []);
  });

  it('sends the backlog that built up during a POST as one body, at the offset of its first byte', async () => {
    const up = start(t);
    up.push(bytesAt(0, 100));
    const r1 = await t.net.next();
    up.push(bytesAt(100, 60));
    up.push(bytesAt(160, 60));
    up.push(bytesAt(220, 60));
    r1.answer(ack(0, 100));
    const r2 = await t.net.next();
    assert.equal(r2.offset, 100);
    assert.equal(r2.seq, 3, 'the sequence number of the last chunk it carries');
    assert.deepEqual(r2.body, bytesAt(100, 180));
    r2.answer(ack(3, 280));
    await up.finish();
    assert.equal(t.last().bytesSent, 280);
  });

  it('splits a chunk larger than the server takes into pieces with their own offsets', async () => {
    const up = start(t, { ...SESSION, maxChunkBytes: 100 });
    up.push(bytesAt(0, 250));
    const sizes: Array<[number | null, number | null, number]> = [];
    for (let bytesIn = 100; ; bytesIn += 100) {
      const r = await t.net.next();
      sizes.push([r.seq, r.offset, r.body.byteLength]);
      assert.deepEqual(r.body, bytesAt(r.offset ?? -1, r.body.byteLength));
      r.answer(ack(r.seq ?? -1, Math.min(bytesIn, 250)));
      if (bytesIn >= 250) break;
    }
    assert.deepEqual(sizes, [
      [0, 0, 100],
      [1, 100, 100],
      [2, 200, 50],
    ]);
    await up.finish();
  });

  it('resends the same bytes at the same offset after a network error, after the backoff', async () => {
    const up = start(t);
    up.push(bytesAt(0, 100));
    const r1 = await t.net.next();
    const failedAt = performance.now();
    r1.answer(new TypeError('fetch failed'));
    const r2 = await t.net.next();
    assert.ok(performance.now() - failedAt >= RETRY_MIN_MS - 5, 'waits RETRY_MIN_MS first');
    assert.equal(t.last().retrying, true);
    assert.equal(r2.seq, 0);
    assert.equal(r2.offset, 0);
    assert.deepEqual(r2.body, r1.body);
    r2.answer(ack(0, 100));
    await up.finish();
    assert.equal(t.last().retrying, false);
    assert.equal(t.last().bytesSent, 100);
  });

  it('retries a 5xx answer the same way', async () => {
    const up = start(t);
    up.push(bytesAt(0, 10));
    (await t.net.next()).answer(errorAnswer(503, 'INTERNAL'));
    const r2 = await t.net.next();
    assert.equal(r2.offset, 0);
    r2.answer(ack(0, 10));
    await up.finish();
    assert.deepEqual(t.errors, []);
  });

  it('forgets what an acknowledgement says the server already holds, trimming a chunk it cuts', async () => {
    const up = start(t);
    up.push(bytesAt(0, 100));
    const r1 = await t.net.next();
    up.push(bytesAt(100, 100));
    up.push(bytesAt(200, 100));
    // The server had more than this POST: an earlier connection brought bytes up to 150.
    r1.answer(ack(0, 150));
    const r2 = await t.net.next();
    assert.equal(r2.offset, 150);
    assert.deepEqual(r2.body, bytesAt(150, 150));
    r2.answer(ack(2, 300));
    await up.finish();
    assert.equal(t.last().bytesSent, 300);
  });

  it('resends from the offset the server expects when it answers INGEST_SEQUENCE_GAP', async () => {
    const up = start(t);
    up.push(bytesAt(0, 100));
    const r1 = await t.net.next();
    up.push(bytesAt(100, 100));
    r1.answer(errorAnswer(409, 'INGEST_SEQUENCE_GAP', { expectedSeq: 0, expectedOffset: 40 }));
    const r2 = await t.net.next();
    assert.equal(r2.offset, 40);
    assert.deepEqual(r2.body, bytesAt(40, 160));
    r2.answer(ack(1, 200));
    await up.finish();
    assert.deepEqual(t.errors, []);
  });

  it('stops with SESSION_ENDED when the server asks again for bytes it had acknowledged', async () => {
    const up = start(t);
    up.push(bytesAt(0, 100));
    (await t.net.next()).answer(ack(0, 100));
    up.push(bytesAt(100, 100));
    const r2 = await t.net.next();
    r2.answer(errorAnswer(409, 'INGEST_SEQUENCE_GAP', { expectedSeq: 0, expectedOffset: 40 }));
    await assert.rejects(up.finish(), (err: unknown) => {
      assert.ok(err instanceof BroadcastError);
      assert.equal(err.code, 'SESSION_ENDED');
      return true;
    });
    assert.equal(t.errors.length, 1);
    assert.equal(t.net.requests.length, 2, 'nothing sent after the failure');
  });

  it('stops on an answer no retry can fix, and reports it once', async () => {
    const up = start(t);
    up.push(bytesAt(0, 100));
    (await t.net.next()).answer(errorAnswer(401, 'AUTH_BAD_SESSION'));
    await assert.rejects(up.finish(), (err: unknown) => {
      assert.ok(err instanceof BroadcastError);
      assert.equal(err.code, 'SESSION_ENDED');
      assert.equal(err.serverCode, 'AUTH_BAD_SESSION');
      return true;
    });
    up.push(bytesAt(100, 100));
    assert.equal(t.errors.length, 1);
    assert.equal(t.net.requests.length, 1, 'a push after the failure is not sent');
  });

  it(`stops with QUEUE_FULL once more than ${UPLOAD_QUEUE_MAX_BYTES} bytes wait`, async () => {
    const up = start(t);
    const mib = 1024 * 1024;
    up.push(bytesAt(0, mib));
    await t.net.next(); // never answered: the network is gone.
    for (let at = mib; t.errors.length === 0 && at <= UPLOAD_QUEUE_MAX_BYTES + mib; at += mib) {
      up.push(bytesAt(at, mib));
    }
    assert.equal(t.errors.length, 1);
    assert.equal(t.errors[0]?.code, 'QUEUE_FULL');
    await assert.rejects(up.finish(), /not getting through/);
  });
});
