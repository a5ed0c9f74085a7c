/**
 * Private channels: who may hear them. A listener holds a join cookie per channel
 * (`onair_join_<mount>`), got from a join link or the join code; without it, every way to the
 * channel's audio and metadata is refused with CHANNEL_PRIVATE (403). `ChannelAccess.check` is the one
 * check: the express router, the plain-HTTP front door and the status socket's upgrade each call it
 * with the mount their path names (`listenerMountOf`).
 *
 * Join tokens (links and cookies alike): `<generation>.<expiry>.<mac>`, the MAC an HMAC-SHA256 under
 * the channel's join secret of the channel's name, the secret's generation and the expiry (Unix
 * seconds, 0: none). Rotating the secret changes both the key and the generation, so every token
 * given before stops working; a token of one channel is worthless on another.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { ApiError } from '../errors.js';
import type { ChannelRecord } from './channel.js';
import type { ChannelStore } from './store.js';

/** How long a join cookie lasts when the link or code that gave it does not expire (30 days). */
export const JOIN_COOKIE_MAX_AGE_S = 30 * 24 * 3600;
/** Longest token read from a link or cookie (ours are about 60 characters). */
const MAX_TOKEN_CHARS = 200;

/** The one access check as a function: null when `req` may hear `mount`, else CHANNEL_PRIVATE (403). */
export type ChannelAccessCheck = (req: AccessRequest, mount: string) => ApiError | null;

export const joinCookieName = (mount: string): string => `onair_join_${mount}`;

/** What a listener request shows: its headers (cookie). Express requests and raw heads both fit. */
export interface AccessRequest {
  headers: IncomingHttpHeaders | Readonly<Record<string, string | undefined>>;
}

/**
 * The mount any listener path names: `/<mount>`, `/<mount>.webm|.ogg|.opus|.oga|.pkt|.m3u8|.mp3|.aac`,
 * `/hls/<mount>/…`. Null for every other path (a static file such as `/icon.svg` is never one, whatever
 * the channels are called). Whether the mount exists is the caller's business.
 */
export function listenerMountOf(path: string): string | null {
  const m =
    /^\/hls\/([^/]{1,64})\//.exec(path) ??
    /^\/([^/.]{1,64})(?:\.(?:webm|ogg|opus|oga|pkt|m3u8|mp3|aac))?$/.exec(path);
  return m?.[1] ?? null;
}

/** What `privateCaching` needs of a response (express and node:http alike). */
interface HeaderSetter {
  setHeader(name: string, value: number | string | readonly string[]): unknown;
}

/**
 * A private channel's answer must never sit in a shared cache (nginx, a CDN) that would hand it to
 * listeners without the cookie: whatever `Cache-Control` the output sets (HLS says `public`), this
 * response goes out `private, no-store`, with `Vary: Cookie`.
 */
export function privateCaching(res: HeaderSetter): void {
  const set = res.setHeader.bind(res);
  res.setHeader = (name, value) =>
    set(name, name.toLowerCase() === 'cache-control' ? 'private, no-store' : value);
  set('cache-control', 'private, no-store');
  set('vary', 'Cookie');
}

function mac(record: ChannelRecord, generation: number, expiry: number): string {
  return createHmac('sha256', record.joinSecret)
    .update(`onair-join\n${record.name}\n${generation}\n${expiry}`)
    .digest('base64url');
}

/** A join token for `record`, valid until `expiry` (Unix seconds; 0: until the secret is rotated). */
export function mintJoinToken(record: ChannelRecord, expiry: number): string {
  return `${record.joinGeneration}.${expiry}.${mac(record, record.joinGeneration, expiry)}`;
}

/** The expiry of a valid join token of `record` (0: none), or null when forged, expired or revoked. */
export function verifyJoinToken(record: ChannelRecord, token: string, nowS: number): number | null {
  if (token.length > MAX_TOKEN_CHARS) return null;
  const m = /^(\d{1,10})\.(\d{1,12})\.([A-Za-z0-9_-]{43})$/.exec(token);
  if (!m) return null;
  const generation = Number(m[1]);
  const expiry = Number(m[2]);
  const given = Buffer.from(m[3] as string, 'base64url');
  const expected = Buffer.from(mac(record, generation, expiry), 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
  if (generation !== record.joinGeneration) return null;
  if (expiry !== 0 && expiry <= nowS) return null;
  return expiry;
}

/** The value of cookie `name` in a `Cookie` header, or null. */
export function cookieValue(header: string | string[] | undefined, name: string): string | null {
  const text = Array.isArray(header) ? header.join('; ') : (header ?? '');
  for (const part of text.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return null;
}

export class ChannelAccess {
  private readonly store: ChannelStore;
  private readonly now: () => number;

  constructor(store: ChannelStore, now: () => number = Date.now) {
    this.store = store;
    this.now = now;
  }

  /** True when `mount` is a private channel. */
  isPrivate(mount: string): boolean {
    return this.store.get(mount)?.visibility === 'private';
  }

  /** True when `req` may hear `mount`: not a private channel, or its join cookie is good. */
  allowed(req: AccessRequest, mount: string): boolean {
    const record = this.store.get(mount);
    if (record?.visibility !== 'private') return true;
    const token = cookieValue(req.headers.cookie, joinCookieName(mount));
    return token !== null && verifyJoinToken(record, token, this.nowS()) !== null;
  }

  /** Null when `req` may hear `mount`; else CHANNEL_PRIVATE (403). The one check every listener route makes. */
  check(req: AccessRequest, mount: string): ApiError | null {
    if (this.allowed(req, mount)) return null;
    return new ApiError(
      'CHANNEL_PRIVATE',
      `Channel "${mount}" is private: open its join link, or type its join code on its page.`,
    );
  }

  /**
   * The same check for any listener path (null for paths that name no mount); an allowed answer of
   * a private channel is kept out of shared caches (`privateCaching`).
   */
  checkPath(req: AccessRequest, path: string, res: HeaderSetter): ApiError | null {
    const mount = listenerMountOf(path);
    if (mount === null) return null;
    const refused = this.check(req, mount);
    if (!refused && this.isPrivate(mount)) privateCaching(res);
    return refused;
  }

  nowS(): number {
    return Math.floor(this.now() / 1000);
  }
}

/**
 * The `Set-Cookie` value that lets this browser hear `record` until `expiry` (0: for
 * JOIN_COOKIE_MAX_AGE_S): HttpOnly, SameSite=Lax (a join link opened from a mail or a QR code must set
 * it), Secure on HTTPS, scoped to the whole site (the streams are at `/<mount>.*`).
 */
export function joinCookie(record: ChannelRecord, expiry: number, nowS: number, secure: boolean): string {
  const until = expiry === 0 ? nowS + JOIN_COOKIE_MAX_AGE_S : expiry;
  const token = mintJoinToken(record, until);
  const maxAge = Math.max(0, until - nowS);
  return `${joinCookieName(record.name)}=${token}; Path=/; Max-Age=${maxAge}; HttpOnly; SameSite=Lax${secure ? '; Secure' : ''}`;
}
