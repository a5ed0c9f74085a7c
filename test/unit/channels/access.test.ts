import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  cookieValue,
  joinCookie,
  listenerMountOf,
  mintJoinToken,
  verifyJoinToken,
} from '../../../src/server/channels/access.js';
import {
  checkInput,
  hashKey,
  keyMatches,
  newChannel,
  normaliseJoinCode,
} from '../../../src/server/channels/channel.js';

const NOW = 1_800_000_000;

function channel(name = 'class') {
  return newChannel({ name, visibility: 'private' }).record;
}

describe('join tokens', () => {
  it('accepts its own token, with or without expiry, until it expires', () => {
    const r = channel();
    assert.equal(verifyJoinToken(r, mintJoinToken(r, 0), NOW), 0);
    assert.equal(verifyJoinToken(r, mintJoinToken(r, NOW + 60), NOW), NOW + 60);
    assert.equal(verifyJoinToken(r, mintJoinToken(r, NOW), NOW), null, 'expired at its second');
  });

  it('refuses a token of another channel, a changed expiry or generation, and one from before a rotation', () => {
    const a = channel('a');
    const b = channel('b');
    const token = mintJoinToken(a, 0);
    assert.equal(verifyJoinToken(b, token, NOW), null);
    const [gen, , mac] = token.split('.');
    assert.equal(verifyJoinToken(a, `${gen}.${NOW + 999}.${mac}`, NOW), null, 'expiry is signed');
    assert.equal(verifyJoinToken(a, `2.0.${mac}`, NOW), null, 'generation is signed');
    const rotated = { ...a, joinSecret: channel().joinSecret, joinGeneration: a.joinGeneration + 1 };
    assert.equal(verifyJoinToken(rotated, token, NOW), null);
    // Same secret, newer generation (a stored record edited by hand): still refused.
    assert.equal(verifyJoinToken({ ...a, joinGeneration: 2 }, token, NOW), null);
  });

  it('refuses junk without throwing', () => {
    const r = channel();
    for (const junk of [
      '',
      '.',
      '1.0.',
      'x'.repeat(10_000),
      '1.0.!!!',
      `1.0.${'A'.repeat(43)}`,
      '1.-5.abc',
    ]) {
      assert.equal(verifyJoinToken(r, junk, NOW), null, junk.slice(0, 20));
    }
  });

  it('sets a cookie that verifies, HttpOnly and SameSite=Lax, Secure only on TLS', () => {
    const r = channel();
    const plain = joinCookie(r, 0, NOW, false);
    assert.match(plain, /^onair_join_class=\S+; Path=\/; Max-Age=2592000; HttpOnly; SameSite=Lax$/);
    assert.match(joinCookie(r, NOW + 10, NOW, true), /Max-Age=10; HttpOnly; SameSite=Lax; Secure$/);
    const value = cookieValue(`other=1; ${plain.split(';')[0]}`, 'onair_join_class');
    assert.ok(value);
    assert.ok(verifyJoinToken(r, value, NOW));
  });
});

describe('listenerMountOf', () => {
  it('names the mount of every listener path and nothing else', () => {
    for (const [path, mount] of [
      ['/class', 'class'],
      ['/class.webm', 'class'],
      ['/class.pkt', 'class'],
      ['/class.m3u8', 'class'],
      ['/class.mp3', 'class'],
      ['/class.aac', 'class'],
      ['/hls/class/abc/s12.3.m4s', 'class'],
      ['/hls/class/abc/init.mp4', 'class'],
      ['/api/join/class', null],
      ['/icon.svg', null],
      ['/class.html', null],
      ['/listen/class', null],
      ['/', null],
    ] as const) {
      assert.equal(listenerMountOf(path), mount, path);
    }
  });
});

describe('channel keys and input', () => {
  it('keeps only a hash of the key and compares it', () => {
    const made = newChannel({ name: 'x' });
    assert.equal(made.record.keyHash, hashKey(made.streamKey));
    assert.ok(!JSON.stringify(made.record).includes(made.streamKey));
    assert.ok(keyMatches(made.streamKey, made.record.keyHash));
    assert.ok(!keyMatches(`${made.streamKey}x`, made.record.keyHash));
    assert.ok(!keyMatches(made.streamKey, 'not-hex'));
  });

  it('reads join codes as people type them', () => {
    assert.equal(normaliseJoinCode(' AbCd-EfGh '), 'abcdefgh');
  });

  it('names the field it refuses', () => {
    assert.throws(() => checkInput({ name: 'ok', retentionDays: 1.5 }, true), /retentionDays/);
    assert.throws(() => checkInput({ name: 'ok', record: 'yes' }, true), /record/);
    assert.throws(() => checkInput([], true), /JSON object/);
    assert.deepEqual(checkInput({ title: ' T ', visibility: 'private' }, false), {
      title: 'T',
      visibility: 'private',
    });
  });
});
