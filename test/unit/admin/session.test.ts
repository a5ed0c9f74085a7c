import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AdminSessions, SESSION_TTL_S } from '../../../src/server/admin/session.js';

describe('AdminSessions', () => {
  it('accepts its own cookie until it expires or is signed out', () => {
    let now = 1_000_000_000_000;
    const sessions = new AdminSessions('admin-token-0123', () => now);
    const cookie = sessions.create(false).split(';')[0] ?? '';
    assert.ok(sessions.valid(cookie));
    now += (SESSION_TTL_S - 1) * 1000;
    assert.ok(sessions.valid(cookie));
    now += 2000;
    assert.ok(!sessions.valid(cookie), 'expired');
    const other = sessions.create(true).split(';')[0] ?? '';
    assert.match(sessions.revoke(other, true), /Max-Age=0; HttpOnly; SameSite=Strict; Secure$/);
    assert.ok(!sessions.valid(other), 'signed out');
  });

  it('refuses cookies of another admin token and forged ones', () => {
    const a = new AdminSessions('admin-token-0123');
    const b = new AdminSessions('admin-token-4567');
    const cookie = a.create(false).split(';')[0] ?? '';
    assert.ok(!b.valid(cookie));
    const [name, value] = cookie.split('=');
    const [expiry, nonce, mac] = (value ?? '').split('.');
    assert.ok(!a.valid(`${name}=${Number(expiry) + 3600}.${nonce}.${mac}`), 'a longer expiry is not signed');
    assert.ok(!a.valid(`${name}=garbage`));
    assert.ok(!a.valid(undefined));
  });
});
