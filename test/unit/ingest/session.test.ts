import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ApiError } from '../../../src/server/errors.js';
import { Hub } from '../../../src/server/hub/hub.js';
import type { MountClaims } from '../../../src/server/ingest/session.js';
import { IngestSession, IngestSessions } from '../../../src/server/ingest/session.js';
import { silentLogger } from '../../../src/server/log.js';
import { loadFixture } from '../../helpers/clients.js';

const LIMITS = { maxInitBytes: 1024, maxElementBytes: 1024, ingestIdleTimeoutMs: 5_000, maxMounts: 100 };

/** Claims decided by the test: `answer` settles the pending acquire. */
class FakeClaims implements MountClaims {
  readonly acquired: Array<[string, number]> = [];
  readonly released: string[] = [];
  private settle: ((err?: ApiError) => void) | null = null;

  acquire(mount: string, graceMs: number): Promise<void> {
    this.acquired.push([mount, graceMs]);
    return new Promise((resolve, reject) => {
      this.settle = (err) => (err ? reject(err) : resolve());
    });
  }

  release(mount: string): void {
    this.released.push(mount);
  }

  answer(err?: ApiError): void {
    this.settle?.(err);
  }
}

function sessions(claims?: MountClaims): IngestSessions {
  return new IngestSessions({
    hub: new Hub({ burstBytes: 4096, log: silentLogger() }),
    limits: LIMITS,
    log: silentLogger(),
    claims,
  });
}

describe('IngestSessions#open', () => {
  it('takes the mount before it returns without shared claims, refusing a second broadcaster in the same tick', async () => {
    const s = sessions();
    const opened = s.open('live');
    assert.equal(s.isLive('live'), true);
    const second = s.open('live');
    assert.ok((await opened) instanceof IngestSession);
    await assert.rejects(second, (err: unknown) => err instanceof ApiError && err.code === 'MOUNT_IN_USE');
    s.close();
  });

  it('claims the mount first, refuses a second broadcaster meanwhile, releases at the end', async () => {
    const claims = new FakeClaims();
    const s = sessions(claims);
    const opened = s.open('live', {}, { idleTimeoutMs: 7_000 });
    assert.ok(opened instanceof Promise);
    assert.deepEqual(claims.acquired, [['live', 7_000]]);
    await assert.rejects(
      s.open('live'),
      (err: unknown) => err instanceof ApiError && err.code === 'MOUNT_IN_USE',
    );
    claims.answer();
    const session = await opened;
    assert.equal(s.isLive('live'), true);
    s.end(session, 'stopped');
    assert.deepEqual(claims.released, ['live']);
    s.close();
  });

  it('passes on a refused claim and leaves the mount free here', async () => {
    const claims = new FakeClaims();
    const s = sessions(claims);
    const opened = s.open('live');
    claims.answer(new ApiError('MOUNT_IN_USE', 'another node'));
    await assert.rejects(opened, (err: unknown) => err instanceof ApiError && err.code === 'MOUNT_IN_USE');
    assert.equal(s.isLive('live'), false);
    const again = s.open('live');
    claims.answer();
    assert.ok((await again) instanceof IngestSession);
    s.close();
  });

  it('ends the broadcast of a mount whose claim was lost', async () => {
    const claims = new FakeClaims();
    const s = sessions(claims);
    const opened = s.open('live');
    claims.answer();
    const session = await opened;
    s.endMount('live', 'error');
    assert.equal(session.ended, true);
    assert.equal(s.isLive('live'), false);
    s.close();
  });
});

describe('IngestSession#acceptChunk', () => {
  const { bytes } = loadFixture();
  const part = (from: number, to: number): Buffer => bytes.subarray(from, to);

  it('takes chunks by sequence number once, in order, and acknowledges each', async () => {
    const s = sessions();
    const session = await s.open('live');
    assert.deepEqual(session.acceptChunk(0, undefined, part(0, 1000)), {
      ack: 0,
      duplicate: false,
      bytesIn: 1000,
    });
    assert.deepEqual(session.acceptChunk(1, undefined, part(1000, 1500)), {
      ack: 1,
      duplicate: false,
      bytesIn: 1500,
    });
    assert.deepEqual(session.acceptChunk(1, undefined, part(1000, 1500)), {
      ack: 1,
      duplicate: true,
      bytesIn: 1500,
    });
    assert.equal(s.totals.retries.get('live'), 1);
    assert.throws(
      () => session.acceptChunk(3, undefined, part(1500, 1600)),
      (err: unknown) =>
        err instanceof ApiError &&
        err.code === 'INGEST_SEQUENCE_GAP' &&
        err.extra.expectedSeq === 2 &&
        err.extra.expectedOffset === 1500,
    );
    assert.equal(session.bytesIn, 1500);
    s.close();
  });

  it('takes by byte offset only what it does not hold yet, whatever the sequence number', async () => {
    const s = sessions();
    const session = await s.open('live');
    session.acceptChunk(0, 0, part(0, 1000));
    // A resend overlapping what it holds: only the new part is taken.
    assert.deepEqual(session.acceptChunk(1, 600, part(600, 1400)), {
      ack: 1,
      duplicate: false,
      bytesIn: 1400,
    });
    assert.equal(s.totals.retries.get('live'), 1);
    // Nothing new in it at all.
    assert.deepEqual(session.acceptChunk(1, 1000, part(1000, 1400)), {
      ack: 1,
      duplicate: true,
      bytesIn: 1400,
    });
    assert.equal(s.totals.retries.get('live'), 2);
    assert.equal(s.totals.bytes.get('live'), 1400);
    assert.throws(
      () => session.acceptChunk(2, 1500, part(1500, 1600)),
      (err: unknown) =>
        err instanceof ApiError && err.code === 'INGEST_SEQUENCE_GAP' && err.extra.expectedOffset === 1400,
    );
    s.close();
  });

  it('stops taking bytes from an open streaming upload', async () => {
    const s = sessions();
    const session = await s.open('live');
    let aborted = 0;
    session.streamOpen = true;
    session.streamAbort = () => aborted++;
    session.acceptChunk(0, 0, part(0, 100));
    assert.equal(aborted, 1);
    s.close();
  });

  it('refuses chunks once the broadcast has ended', async () => {
    const s = sessions();
    const session = await s.open('live');
    s.end(session, 'stopped');
    assert.throws(
      () => session.acceptChunk(0, 0, part(0, 100)),
      (err: unknown) => err instanceof ApiError && err.code === 'AUTH_BAD_SESSION',
    );
    s.close();
  });

  it('ends the broadcast on bytes that are not WebM, as the error table says', async () => {
    const s = sessions();
    const session = await s.open('live');
    assert.throws(
      () => session.acceptChunk(0, 0, Buffer.from('this is not webm at all, not even close')),
      (err: unknown) => err instanceof ApiError && err.code === 'WEBM_CORRUPT',
    );
    assert.equal(session.ended, true);
    assert.equal(s.isLive('live'), false);
    s.close();
  });

  it('keeps the broadcast live on a sequence gap', async () => {
    const s = sessions();
    const session = await s.open('live');
    assert.throws(() => session.acceptChunk(5, undefined, part(0, 100)));
    assert.equal(session.ended, false);
    assert.equal(s.isLive('live'), true);
    s.close();
  });
});
