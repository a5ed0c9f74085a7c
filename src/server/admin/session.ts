/**
 * The dashboard's sign-in: `POST /admin/api/session` with the admin token gives a session cookie
 * (`onair_admin`: HttpOnly, SameSite=Strict, Secure on HTTPS, Path=/admin, 12 h). The cookie is
 * self-contained, `<expiry>.<nonce>.<mac>` under a key derived from the admin token, so every node
 * of a cluster (same admin token) accepts it and changing the admin token signs everyone out.
 * Signing out revokes the nonce on this node (kept until the cookie would expire, bounded).
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { cookieValue } from '../channels/access.js';

export const ADMIN_COOKIE = 'onair_admin';
export const SESSION_TTL_S = 12 * 3600;
/** Signed-out sessions remembered at most (the oldest forgotten first; they expire anyway). */
const MAX_REVOKED = 10_000;

export class AdminSessions {
  private readonly key: Buffer;
  private readonly revoked = new Map<string, number>();
  private readonly now: () => number;

  constructor(adminToken: string, now: () => number = Date.now) {
    this.key = createHmac('sha256', adminToken).update('onair-admin-session').digest();
    this.now = now;
  }

  private mac(expiry: number, nonce: string): Buffer {
    return createHmac('sha256', this.key).update(`${expiry}.${nonce}`).digest();
  }

  /** A new session's `Set-Cookie` value. */
  create(secure: boolean): string {
    const expiry = this.nowS() + SESSION_TTL_S;
    const nonce = randomBytes(12).toString('base64url');
    const value = `${expiry}.${nonce}.${this.mac(expiry, nonce).toString('base64url')}`;
    return `${ADMIN_COOKIE}=${value}; Path=/admin; Max-Age=${SESSION_TTL_S}; HttpOnly; SameSite=Strict${secure ? '; Secure' : ''}`;
  }

  /** True when `cookieHeader` carries a valid, unexpired, not signed-out session. */
  valid(cookieHeader: string | string[] | undefined): boolean {
    return this.parse(cookieHeader) !== null;
  }

  /** Signs the session in `cookieHeader` out; returns the `Set-Cookie` that clears it. */
  revoke(cookieHeader: string | string[] | undefined, secure: boolean): string {
    const s = this.parse(cookieHeader);
    if (s) {
      this.revoked.set(s.nonce, s.expiry);
      for (const [nonce, expiry] of this.revoked) {
        if (this.revoked.size <= MAX_REVOKED && expiry > this.nowS()) break;
        this.revoked.delete(nonce);
      }
    }
    return `${ADMIN_COOKIE}=; Path=/admin; Max-Age=0; HttpOnly; SameSite=Strict${secure ? '; Secure' : ''}`;
  }

  private parse(cookieHeader: string | string[] | undefined): { expiry: number; nonce: string } | null {
    const value = cookieValue(cookieHeader, ADMIN_COOKIE);
    const m = value ? /^(\d{1,12})\.([A-Za-z0-9_-]{16})\.([A-Za-z0-9_-]{43})$/.exec(value) : null;
    if (!m) return null;
    const expiry = Number(m[1]);
    const nonce = m[2] as string;
    const given = Buffer.from(m[3] as string, 'base64url');
    const expected = this.mac(expiry, nonce);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
    if (expiry <= this.nowS() || this.revoked.has(nonce)) return null;
    return { expiry, nonce };
  }

  private nowS(): number {
    return Math.floor(this.now() / 1000);
  }
}

/** True when the request came over TLS (the cookie then gets `Secure`). */
export function isTls(req: { socket: unknown }): boolean {
  return (req.socket as { encrypted?: boolean } | null)?.encrypted === true;
}
