/** ChunkUploader: one POST at a time, each byte kept until the server holds it, resent from the offset it asks for. */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { ChunkUploader, RETRY_MIN_MS } from '../../../src/broadcast/chunk-uploader.js';
import { BroadcastError } from '../../../src/broadcast/errors.js';
import { UPLOAD_QUEUE_MAX_BYTES, type UploadProgress } from '../../../src/broadcast/upload.js';
import type { IngestSession } from '../../../src/shared/protocol.js';
import { paths } from '../../../src/shared/protocol.js';
import { ack, bytesAt, errorAnswer, type FakeFetch, installFakeFetch } from './fake-fetch.js';

const SESSION: IngestSession = { sessionId: 'sess-1', mount: 'live', nextSeq: 0, maxChunkBytes: 1_000 };

interface Run {
  uploader: ChunkUploader;
  progress: UploadProgress[];
  errors: BroadcastError[];
  abort: AbortController;
}

function start(session: IngestSession = SESSION): Run {
  const progress: UploadProgress[] = [];
  const errors: BroadcastError[] = [];
  const abort = new AbortController();
  const uploader = new ChunkUploader(
    { mount: 'live', session, firstSeq: session.nextSeq },
    { onProgress: (p) => progress.push(p), onError: (e) => errors.push(e) },
    abort.signal,
  );
  return { uploader, progress, errors, abort };
}

const last = (r: Run): UploadProgress => r.progress[r.progress.length - 1] as UploadProgress;

describe('ChunkUploader', () => {
  let net: FakeFetch;
  let run: Run | undefined;
  beforeEach(() => {
    net = installFakeFetch();
  });
  afterEach(() => {
    run?.abort.abort();
    run = undefined;
    net.restore();
  });

  it('posts each chunk with its sequence number and byte offset, one at a time, until acknowledged', async () => {
    run = start();
    run.uploader.push(bytesAt(0, 100));
    const r1 = await net.next();
    assert.equal(r1.url, paths.ingestChunk('live'));
    assert.equal(r1.method, 'POST');
    assert.equal(r1.seq, 0);
    assert.equal(r1.offset, 0);
    assert.deepEqual(r1.body, bytesAt(0, 100));
    run.uploader.push(bytesAt(100, 50));
    assert.equal(net.untaken, 0, 'no second POST while the first is unanswered');
    assert.equal(last(run).queuedBytes, 150);
    r1.answer(ack(0, 100));
    const r2 = await net.next();
    assert.equal(r2.seq, 1);
    assert.equal(r2.offset, 100);
    assert.deepEqual(r2.body, bytesAt(100, 50));
    r2.answer(ack(1, 150));
    await run.uploader.finish();
    assert.deepEqual(
      { ...last(run) },
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
    assert.deepEqual(run.errors, []);
  });

  it('sends the backlog that built up during a POST as one body, at the offset of its first byte', async () => {
    run = start();
    run.uploader.push(bytesAt(0, 100));
    const r1 = await net.next();
    run.uploader.push(bytesAt(100, 60));
    run.uploader.push(bytesAt(160, 60));
    run.uploader.push(bytesAt(220, 60));
    r1.answer(ack(0, 100));
    const r2 = await net.next();
    assert.equal(r2.offset, 100);
    assert.equal(r2.seq, 3, 'the sequence number of the last chunk it carries');
    assert.deepEqual(r2.body, bytesAt(100, 180));
    r2.answer(ack(3, 280));
    await run.uploader.finish();
    assert.equal(last(run).bytesSent, 280);
  });

  it('splits a chunk larger than the server takes into pieces with their own offsets', async () => {
    run = start({ ...SESSION, maxChunkBytes: 100 });
    run.uploader.push(bytesAt(0, 250));
    const sizes: Array<[number | null, number | null, number]> = [];
    for (let bytesIn = 100; ; bytesIn += 100) {
      const r = await net.next();
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
    await run.uploader.finish();
  });

  it('resends the same bytes at the same offset after a network error, after the backoff', async () => {
    run = start();
    run.uploader.push(bytesAt(0, 100));
    const r1 = await net.next();
    const failedAt = performance.now();
    r1.answer(new TypeError('fetch failed'));
    const r2 = await net.next();
    assert.ok(performance.now() - failedAt >= RETRY_MIN_MS - 5, 'waits RETRY_MIN_MS first');
    assert.equal(last(run).retrying, true);
    assert.equal(r2.seq, 0);
    assert.equal(r2.offset, 0);
    assert.deepEqual(r2.body, r1.body);
    r2.answer(ack(0, 100));
    await run.uploader.finish();
    assert.equal(last(run).retrying, false);
    assert.equal(last(run).bytesSent, 100);
  });

  it('retries a 5xx answer the same way', async () => {
    run = start();
    run.uploader.push(bytesAt(0, 10));
    (await net.next()).answer(errorAnswer(503, 'INTERNAL'));
    const r2 = await net.next();
    assert.equal(r2.offset, 0);
    r2.answer(ack(0, 10));
    await run.uploader.finish();
    assert.deepEqual(run.errors, []);
  });

  it('forgets what an acknowledgement says the server already holds, trimming a chunk it cuts', async () => {
    run = start();
    run.uploader.push(bytesAt(0, 100));
    const r1 = await net.next();
    run.uploader.push(bytesAt(100, 100));
    run.uploader.push(bytesAt(200, 100));
    // The server had more than this POST: an earlier connection brought bytes up to 150.
    r1.answer(ack(0, 150));
    const r2 = await net.next();
    assert.equal(r2.offset, 150);
    assert.deepEqual(r2.body, bytesAt(150, 150));
    r2.answer(ack(2, 300));
    await run.uploader.finish();
    assert.equal(last(run).bytesSent, 300);
  });

  it('resends from the offset the server expects when it answers INGEST_SEQUENCE_GAP', async () => {
    run = start();
    run.uploader.push(bytesAt(0, 100));
    const r1 = await net.next();
    run.uploader.push(bytesAt(100, 100));
    r1.answer(errorAnswer(409, 'INGEST_SEQUENCE_GAP', { expectedSeq: 0, expectedOffset: 40 }));
    const r2 = await net.next();
    assert.equal(r2.offset, 40);
    assert.deepEqual(r2.body, bytesAt(40, 160));
    r2.answer(ack(1, 200));
    await run.uploader.finish();
    assert.deepEqual(run.errors, []);
  });

  it('stops with SESSION_ENDED when the server asks again for bytes it had acknowledged', async () => {
    run = start();
    run.uploader.push(bytesAt(0, 100));
    (await net.next()).answer(ack(0, 100));
    run.uploader.push(bytesAt(100, 100));
    const r2 = await net.next();
    r2.answer(errorAnswer(409, 'INGEST_SEQUENCE_GAP', { expectedSeq: 0, expectedOffset: 40 }));
    await assert.rejects(run.uploader.finish(), (err: unknown) => {
      assert.ok(err instanceof BroadcastError);
      assert.equal(err.code, 'SESSION_ENDED');
      return true;
    });
    assert.equal(run.errors.length, 1);
    assert.equal(net.requests.length, 2, 'nothing sent after the failure');
  });

  it('stops on an answer no retry can fix, and reports it once', async () => {
    run = start();
    run.uploader.push(bytesAt(0, 100));
    (await net.next()).answer(errorAnswer(401, 'AUTH_BAD_SESSION'));
    await assert.rejects(run.uploader.finish(), (err: unknown) => {
      assert.ok(err instanceof BroadcastError);
      assert.equal(err.code, 'SESSION_ENDED');
      assert.equal(err.serverCode, 'AUTH_BAD_SESSION');
      return true;
    });
    run.uploader.push(bytesAt(100, 100));
    assert.equal(run.errors.length, 1);
    assert.equal(net.requests.length, 1, 'a push after the failure is not sent');
  });

  it(`stops with QUEUE_FULL once more than ${UPLOAD_QUEUE_MAX_BYTES} bytes wait`, async () => {
    run = start();
    const mib = 1024 * 1024;
    run.uploader.push(bytesAt(0, mib));
    await net.next(); // never answered: the network is gone.
    for (let at = mib; run.errors.length === 0 && at <= UPLOAD_QUEUE_MAX_BYTES + mib; at += mib) {
      run.uploader.push(bytesAt(at, mib));
    }
    assert.equal(run.errors.length, 1);
    assert.equal(run.errors[0]?.code, 'QUEUE_FULL');
    await assert.rejects(run.uploader.finish(), /not getting through/);
  });
});
