import assert from 'node:assert/strict';
import { chmod, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadOrCreateStreamKey, STREAM_KEY_FILE, secretEquals } from '../../../src/server/auth/secrets.js';

describe('secrets', () => {
  describe('secretEquals', () => {
    it('is true only for identical strings', () => {
      assert.equal(secretEquals('s3cret-key', 's3cret-key'), true);
      assert.equal(secretEquals('s3cret-key', 's3cret-kez'), false);
      assert.equal(secretEquals('s3cret-key', 'S3cret-key'), false);
      assert.equal(secretEquals('s3cret-key', 's3cret-key '), false);
    });

    it('compares strings of different lengths without throwing', () => {
      assert.equal(secretEquals('', 's3cret-key'), false);
      assert.equal(secretEquals('s3cret-key'.repeat(100), 's3cret-key'), false);
      assert.equal(secretEquals('', ''), true);
    });
  });

  describe('loadOrCreateStreamKey', () => {
    let dir: string;
    before(async () => {
      dir = await mkdtemp(join(tmpdir(), 'onair-secrets-'));
    });
    after(() => rm(dir, { recursive: true, force: true }));

    it('creates a key file readable only by its owner, and reads the same key back', async () => {
      const dataDir = join(dir, 'fresh', 'nested');
      const first = await loadOrCreateStreamKey(dataDir);
      assert.equal(first.created, true);
      assert.match(first.key, /^[A-Za-z0-9_-]{24}$/);
      const file = join(dataDir, STREAM_KEY_FILE);
      assert.equal((await stat(file)).mode & 0o777, 0o600);
      assert.equal(await readFile(file, 'utf8'), `${first.key}\n`);

      const second = await loadOrCreateStreamKey(dataDir);
      assert.deepEqual(second, { key: first.key, created: false });
      assert.equal(await readFile(file, 'utf8'), `${first.key}\n`, 'the file is not rewritten');
    });

    it('creates a different key for every data directory', async () => {
      const a = await loadOrCreateStreamKey(join(dir, 'a'));
      const b = await loadOrCreateStreamKey(join(dir, 'b'));
      assert.notEqual(a.key, b.key);
    });

    it('reads a key the operator wrote, without its surrounding white space', async () => {
      const dataDir = join(dir, 'operator');
      await loadOrCreateStreamKey(dataDir);
      await writeFile(join(dataDir, STREAM_KEY_FILE), '  my-own-stream-key\r\n');
      assert.deepEqual(await loadOrCreateStreamKey(dataDir), { key: 'my-own-stream-key', created: false });
    });

    it('replaces a key shorter than 8 characters with a new one in a file only its owner can read', async () => {
      const dataDir = join(dir, 'short');
      await loadOrCreateStreamKey(dataDir);
      const file = join(dataDir, STREAM_KEY_FILE);
      await writeFile(file, 'short\n');
      await chmod(file, 0o644);
      const { key, created } = await loadOrCreateStreamKey(dataDir);
      assert.equal(created, true);
      assert.notEqual(key, 'short');
      assert.equal(await readFile(file, 'utf8'), `${key}\n`);
      const mode = (await stat(file)).mode & 0o777;
      assert.equal(mode, 0o600, `the new key sits in a file with mode 0${mode.toString(8)}`);
    });
  });
});
