/**
 * The one parser of `Authorization` headers, and what each endpoint takes from it: the stream key
 * (Bearer, or Basic with any user), a source client's key (Basic `source:`), the admin token (Bearer,
 * or Basic `admin:`).
 */

export type Credentials =
  | { scheme: 'bearer'; token: string }
  | { scheme: 'basic'; user: string; password: string };

/**
 * `Bearer TOKEN` (surrounding white space trimmed) or `Basic base64(user:password)`, the scheme in
 * any case; null when the header is absent, empty, another scheme or malformed.
 */
export function parseAuthorization(header: string | undefined): Credentials | null {
  const text = header?.trim() ?? '';
  const bearer = /^Bearer\s+(.+)$/i.exec(text);
  if (bearer?.[1]) return { scheme: 'bearer', token: bearer[1] };
  const basic = /^Basic\s+(\S+)$/i.exec(text);
  if (!basic?.[1]) return null;
  const decoded = Buffer.from(basic[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return null;
  return { scheme: 'basic', user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/** The stream key offered: a Bearer token, or the password of Basic credentials with any user. */
export function streamKeyOf(creds: Credentials | null): string | null {
  if (creds?.scheme === 'bearer') return creds.token;
  return creds?.password || null;
}

/** The password of Basic credentials for `user` (Icecast's `source:` and `admin:`); null otherwise. */
export function passwordOf(creds: Credentials | null, user: string): string | null {
  return creds?.scheme === 'basic' && creds.user === user ? creds.password : null;
}

/** The admin token offered: a Bearer token, or Basic with user `admin`. */
export function adminTokenOf(creds: Credentials | null): string | null {
  return creds?.scheme === 'bearer' ? creds.token : passwordOf(creds, 'admin');
}
