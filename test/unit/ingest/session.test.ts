import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { KitError } from '../../../src/server/errors.js';
import { Hub } from '../../../src/server/hub/hub.js';
import type { MountClaims } from '../../../src/server/ingest/session.js';
import { IngestSession, IngestSessions } from '../../../src/server/ingest/session.js';
import { silentLogger } from '../../../src/server/log.js';

const LIMITS = { maxInitBytes: 1024, maxElementBytes: 1024, ingestIdleTimeoutMs: 5_000, maxMounts: 100 };

/** Claims decided by the test: `answer` settles the pending acquire. */
class FakeClaims implements MountClaims {
  readonly acquired: Array<[string, number]> = [];
  readonly released: string[] = [];
  private settle: ((err?: KitError) => void) | null = null;

  acquire(mount: string, graceMs: number): Promise<void> {
    this.acquired.push([mount, graceMs]);
    return new Promise((resolve, reject) => {
      this.settle = (err) => (err ? reject(err) : resolve());
    });
  }

  release(mount: string): void {
    this.released.push(mount);
  }

  answer(err?: KitError): void {
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
  it('opens at once, synchronously, without shared claims', () => {
    const s = sessions();
    const opened = s.open('live');
    assert.ok(opened instanceof IngestSession);
    assert.throws(
      () => s.open('live'),
      (err: unknown) => err instanceof KitError && err.code === 'MOUNT_IN_USE',
    );
    s.close();
  });

  it('claims the mount first, refuses a second broadcaster meanwhile, releases at the end', async () => {
    const claims = new FakeClaims();
    const s = sessions(claims);
    const opened = s.open('live', {}, { idleTimeoutMs: 7_000 });
    assert.ok(opened instanceof Promise);
    assert.deepEqual(claims.acquired, [['live', 7_000]]);
    assert.throws(
      () => s.open('live'),
      (err: unknown) => err instanceof KitError && err.code === 'MOUNT_IN_USE',
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
    claims.answer(new KitError('MOUNT_IN_USE', 'another node'));
    await assert.rejects(
      opened as Promise<IngestSession>,
      (err: unknown) => err instanceof KitError && err.code === 'MOUNT_IN_USE',
    );
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
