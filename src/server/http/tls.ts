/** TLS material: the operator's certificate and key, or a self-signed pair generated once into the data dir. */
import { X509Certificate } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import selfsigned from 'selfsigned';
import { lanAddresses, machineName } from './lan.js';

export interface TlsMaterial {
  cert: string;
  key: string;
  /** True when onair generated it (browsers will ask the user to accept it). */
  selfSigned: boolean;
  /** SHA-256 fingerprint, printed so a user can check what the browser shows. */
  fingerprint256: string;
}

const CERT_FILE = 'tls-cert.pem';
const KEY_FILE = 'tls-key.pem';
const VALID_DAYS = 825; // the longest validity Apple platforms accept for a server certificate

/**
 * Loads the operator's files when given; otherwise reads `<dataDir>/tls-*.pem`, generating a
 * self-signed certificate for localhost, `hostnames` and `ips` when they are missing.
 */
export async function loadTls(opts: {
  dataDir: string;
  certFile: string | null;
  keyFile: string | null;
  hostnames: readonly string[];
  ips: readonly string[];
}): Promise<TlsMaterial> {
  if (opts.certFile && opts.keyFile) {
    const [cert, key] = await Promise.all([readFile(opts.certFile, 'utf8'), readFile(opts.keyFile, 'utf8')]);
    return { cert, key, selfSigned: false, fingerprint256: new X509Certificate(cert).fingerprint256 };
  }
  const certPath = join(opts.dataDir, CERT_FILE);
  const keyPath = join(opts.dataDir, KEY_FILE);
  try {
    const [cert, key] = await Promise.all([readFile(certPath, 'utf8'), readFile(keyPath, 'utf8')]);
    return { cert, key, selfSigned: true, fingerprint256: new X509Certificate(cert).fingerprint256 };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const names = [...new Set(['localhost', ...opts.hostnames])];
  const ips = [...new Set(['127.0.0.1', '::1', ...opts.ips])];
  const pems = await selfsigned.generate([{ name: 'commonName', value: 'onair' }], {
    notBeforeDate: new Date(Date.now() - 60_000),
    notAfterDate: new Date(Date.now() + VALID_DAYS * 86_400_000),
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
      { name: 'extKeyUsage', serverAuth: true },
      {
        name: 'subjectAltName',
        altNames: [
          ...names.map((value) => ({ type: 2 as const, value })),
          ...ips.map((ip) => ({ type: 7 as const, ip })),
        ],
      },
    ],
  });
  await mkdir(opts.dataDir, { recursive: true, mode: 0o700 });
  await writeFile(keyPath, pems.private, { mode: 0o600 });
  await writeFile(certPath, pems.cert, { mode: 0o644 });
  return {
    cert: pems.cert,
    key: pems.private,
    selfSigned: true,
    fingerprint256: new X509Certificate(pems.cert).fingerprint256,
  };
}

/** The HTTPS listener's material, for this machine's names and LAN addresses; null when HTTPS is off. */
export function serverTls(config: {
  httpsPort: number | null;
  dataDir: string;
  tlsCertFile: string | null;
  tlsKeyFile: string | null;
}): Promise<TlsMaterial | null> {
  if (config.httpsPort === null) return Promise.resolve(null);
  return loadTls({
    dataDir: config.dataDir,
    certFile: config.tlsCertFile,
    keyFile: config.tlsKeyFile,
    hostnames: [machineName(), `${machineName()}.local`],
    ips: lanAddresses(),
  });
}
