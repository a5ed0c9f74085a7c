/** Secrets (stream key, admin token): from the operator, or generated once and kept in the data dir (0600). */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export const STREAM_KEY_FILE = 'stream-key';
export const ADMIN_TOKEN_FILE = 'admin-token';

/** Reads `<dataDir>/stream-key`, creating it with a fresh random key when missing. */
export function loadOrCreateStreamKey(dataDir: string): Promise<{ key: string; created: boolean }> {
  return loadOrCreateSecret(dataDir, STREAM_KEY_FILE);
}

/** Reads `<dataDir>/<name>`, creating it with a fresh random secret when missing or too short. */
export async function loadOrCreateSecret(
  dataDir: string,
  name: string,
): Promise<{ key: string; created: boolean }> {
  const file = join(dataDir, name);
  try {
    const key = (await readFile(file, 'utf8')).trim();
    if (key.length >= 8) return { key, created: false };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  // 18 random bytes → 24 URL-safe characters: easy to copy, impossible to guess.
  const key = randomBytes(18).toString('base64url');
  // Written beside and renamed over, so the key never sits in a file others could read.
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, `${key}\n`, { mode: 0o600 });
  await rename(tmp, file);
  return { key, created: true };
}

export interface Secrets {
  streamKey: string;
  /** True when it was generated just now (the banner says so). */
  streamKeyCreated: boolean;
  adminToken: string;
  adminTokenCreated: boolean;
}

/** The operator's stream key and admin token, or the ones kept in (or now created in) the data dir. */
export async function loadSecrets(config: {
  dataDir: string;
  streamKey: string | null;
  adminToken: string | null;
}): Promise<Secrets> {
  const stream = config.streamKey
    ? { key: config.streamKey, created: false }
    : await loadOrCreateStreamKey(config.dataDir);
  const admin = config.adminToken
    ? { key: config.adminToken, created: false }
    : await loadOrCreateSecret(config.dataDir, ADMIN_TOKEN_FILE);
  return {
    streamKey: stream.key,
    streamKeyCreated: stream.created,
    adminToken: admin.key,
    adminTokenCreated: admin.created,
  };
}

/** Compares two secrets in constant time (hashing first so lengths leak nothing either). */
export function secretEquals(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}
