import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  adminTokenOf,
  parseAuthorization,
  passwordOf,
  streamKeyOf,
} from '../../../src/server/auth/credentials.js';

function basic(userPass: string): string {
  return `Basic ${Buffer.from(userPass, 'utf8').toString('base64')}`;
}

/** The stream key the ingest endpoints read from an `Authorization` header. */
function keyFromAuthorization(header: string | undefined): string | null {
  return streamKeyOf(parseAuthorization(header));
}

describe('credentials', () => {
  describe('keyFromAuthorization', () => {
    it('reads a Bearer key, whatever the case of the scheme', () => {
      assert.equal(keyFromAuthorization('Bearer abc123XYZ'), 'abc123XYZ');
      assert.equal(keyFromAuthorization('bearer abc123XYZ'), 'abc123XYZ');
      assert.equal(keyFromAuthorization('BEARER   abc123XYZ  '), 'abc123XYZ');
    });

    it('reads the password of Basic credentials as the key', () => {
      assert.equal(keyFromAuthorization(basic('source:KEY-1234')), 'KEY-1234');
      assert.equal(keyFromAuthorization(basic(':KEY-1234')), 'KEY-1234');
      assert.equal(keyFromAuthorization(basic('source:a:b:c')), 'a:b:c', 'only the first colon splits');
      assert.equal(keyFromAuthorization(`basic ${Buffer.from('u:pw').toString('base64')}`), 'pw');
    });

    it('returns null for a missing or malformed header', () => {
      for (const header of [
        undefined,
        '',
        'Bearer',
        'Bearer ',
        'Bearer    ',
        'abc123',
        'Token abc123',
        'Digest username="source"',
        basic('source'),
        basic('source:'),
        'Basic ',
        'Basic !!!!',
      ]) {
        assert.equal(keyFromAuthorization(header), null, JSON.stringify(header));
      }
    });
  });

  describe('parseAuthorization', () => {
    it('tells Bearer from Basic credentials', () => {
      assert.deepEqual(parseAuthorization('Bearer tok'), { scheme: 'bearer', token: 'tok' });
      assert.deepEqual(parseAuthorization(basic('admin:pw')), {
        scheme: 'basic',
        user: 'admin',
        password: 'pw',
      });
    });

    it('keeps a Bearer token with white space inside it whole, as every endpoint reads it', () => {
      assert.deepEqual(parseAuthorization('Bearer  my key '), { scheme: 'bearer', token: 'my key' });
    });
  });

  describe('passwordOf', () => {
    it('is the Basic password for the named user only', () => {
      assert.equal(passwordOf(parseAuthorization(basic('source:k')), 'source'), 'k');
      assert.equal(passwordOf(parseAuthorization(basic('admin:k')), 'source'), null);
      assert.equal(passwordOf(parseAuthorization('Bearer k'), 'source'), null);
      assert.equal(passwordOf(null, 'source'), null);
    });
  });

  describe('adminTokenOf', () => {
    it('reads Bearer, or Basic with user admin', () => {
      assert.equal(adminTokenOf(parseAuthorization('Bearer tok')), 'tok');
      assert.equal(adminTokenOf(parseAuthorization(basic('admin:tok'))), 'tok');
      assert.equal(adminTokenOf(parseAuthorization(basic('source:tok'))), null);
      assert.equal(adminTokenOf(parseAuthorization(undefined)), null);
    });
  });
});
