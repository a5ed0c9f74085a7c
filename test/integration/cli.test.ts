import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import http2 from 'node:http2';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { withTimeout } from '../../tools/wait.js';

/** The built CLI, seen from build/node/test/integration/cli.test.js. */
const MAIN = fileURLToPath(new URL('../../src/server/main.js', import.meta.url));
const START_TIMEOUT_MS = 15_000;
const EXIT_TIMEOUT_MS = 5_000;
const REQUEST_TIMEOUT_MS = 5_000;

/** The parent's environment without any ONAIR_* variable, so each run sees only what the test sets. */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('ONAIR_')) env[k] = v;
  return { ...env, ...extra };
}

interface Banner {
  httpPort: number;
  httpsPort: number;
  streamKey: string;
  keyIsNew: boolean;
  fingerprint: string | null;
  text: string;
}

interface Cli {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves with the exit code (null when killed by a signal). */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Resolves once `done(stdout, stderr)` holds; rejects after `timeoutMs` or when the process exits first. */
  waitFor(done: (stdout: string, stderr: string) => boolean, timeoutMs: number, what: string): Promise<void>;
  /** Kills the process (if it still runs) and waits for it to go. */
  kill(): Promise<void>;
}

function runCli(args: readonly string[], env: NodeJS.ProcessEnv = cleanEnv()): Cli {
  const child = spawn(process.execPath, [MAIN, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout?.setEncoding('utf8').on('data', (s: string) => {
    out += s;
  });
  child.stderr?.setEncoding('utf8').on('data', (s: string) => {
    err += s;
  });
  let exitState: { code: number | null; signal: NodeJS.Signals | null } | null = null;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => {
      exitState = { code, signal };
      resolve(exitState);
    });
  });
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    exited,
    waitFor(done, timeoutMs, what) {
      return new Promise((resolve, reject) => {
        const check = (): void => {
          if (done(out, err)) finish();
          else if (exitState) finish(new Error(`onair exited (${JSON.stringify(exitState)}) before ${what}`));
        };
        const finish = (e?: Error): void => {
          clearTimeout(timer);
          clearInterval(poll);
          if (e) reject(new Error(`${e.message}\nstdout:\n${out}\nstderr:\n${err}`));
          else resolve();
        };
        const timer = setTimeout(
          () => finish(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)),
          timeoutMs,
        );
        const poll = setInterval(check, 20);
        check();
      });
    },
    async kill() {
      if (exitState) return;
      child.kill('SIGKILL');
      await withTimeout(exited, EXIT_TIMEOUT_MS, 'onair to die after SIGKILL');
    },
  };
}

/** Parses the banner; throws when a line it needs is missing. */
function parseBanner(text: string): Banner {
  const httpPort = /^ {4}listen: {4}http:\/\/localhost:(\d+)\/$/m.exec(text)?.[1];
  const httpsPort = /\(HTTPS, HTTP\/2: https:\/\/localhost:(\d+)\/broadcast\)/.exec(text)?.[1];
  const key = /^ {2}Stream key: (\S+)(.*)$/m.exec(text);
  assert.ok(httpPort, `no listen URL in the banner:\n${text}`);
  assert.ok(httpsPort, `no HTTPS URL in the banner:\n${text}`);
  assert.ok(key?.[1], `no stream key in the banner:\n${text}`);
  return {
    httpPort: Number(httpPort),
    httpsPort: Number(httpsPort),
    streamKey: key[1],
    keyIsNew: (key[2] ?? '').includes('new'),
    fingerprint: /SHA-256 fingerprint: (\S+)/.exec(text)?.[1] ?? null,
    text,
  };
}

/** Starts onair on free loopback ports and waits for its banner and its `listening` log line. */
async function startCli(
  dataDir: string,
  env?: NodeJS.ProcessEnv,
  extraArgs: string[] = [],
): Promise<[Cli, Banner]> {
  const cli = runCli(
    ['--port', '0', '--https-port', '0', '--data', dataDir, '--host', '127.0.0.1', ...extraArgs],
    env,
  );
  try {
    await cli.waitFor(
      (out, err) => out.includes('"listening"') && /SHA-256 fingerprint: \S+\n/.test(err),
      START_TIMEOUT_MS,
      'the banner and the listening log line',
    );
    return [cli, parseBanner(cli.stderr())];
  } catch (e) {
    await cli.kill();
    throw e;
  }
}

async function get(url: string): Promise<{ status: number; type: string | null; body: string }> {
  const res = await fetch(url, { signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
  return { status: res.status, type: res.headers.get('content-type'), body: await res.text() };
}

/** GET over HTTP/2 (TLS, self-signed certificate accepted). */
async function getH2(
  origin: string,
  path: string,
): Promise<{ alpn: string | undefined; status: number; type: string | undefined; body: string }> {
  const session = http2.connect(origin, { rejectUnauthorized: false });
  try {
    return await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`HTTP/2 GET ${path} timed out`)), REQUEST_TIMEOUT_MS);
      session.once('error', (e) => {
        clearTimeout(timer);
        reject(e);
      });
      const req = session.request({ ':path': path, ':method': 'GET' });
      let status = 0;
      let type: string | undefined;
      let body = '';
      req.setEncoding('utf8');
      req.on('response', (headers) => {
        status = Number(headers[':status']);
        type = headers['content-type'];
      });
      req.on('data', (s: string) => {
        body += s;
      });
      req.on('end', () => {
        clearTimeout(timer);
        resolve({ alpn: session.alpnProtocol, status, type, body });
      });
      req.on('error', (e) => {
        clearTimeout(timer);
        reject(e);
      });
      req.end();
    });
  } finally {
    session.destroy();
  }
}

/** Every stdout line, which must all be JSON log records. */
function logLines(cli: Cli): string[] {
  const lines = cli
    .stdout()
    .split('\n')
    .filter((l) => l.trim() !== '');
  for (const line of lines) assert.doesNotThrow(() => JSON.parse(line), `not a JSON log line: ${line}`);
  return lines;
}

function assertNotInLogs(cli: Cli, secret: string): void {
  for (const line of logLines(cli))
    assert.ok(!line.includes(secret), `a log line holds the stream key: ${line}`);
}

describe('onair CLI', () => {
  let dataDir: string;
  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'onair-cli-'));
  });
  after(() => rm(dataDir, { recursive: true, force: true }));

  describe('first start', () => {
    let cli: Cli;
    let banner: Banner;
    before(async () => {
      [cli, banner] = await startCli(dataDir);
    });
    after(() => cli.kill());

    it('prints the listener URL, the broadcaster URLs and a new stream key in the banner', () => {
      const { text, httpPort, httpsPort } = banner;
      assert.ok(httpPort > 0 && httpsPort > 0 && httpPort !== httpsPort);
      assert.ok(text.includes(`listen:    http://localhost:${httpPort}/\n`), text);
      assert.ok(text.includes(`broadcast: http://localhost:${httpPort}/broadcast\n`), text);
      assert.ok(text.includes(`(HTTPS, HTTP/2: https://localhost:${httpsPort}/broadcast)`), text);
      assert.match(banner.streamKey, /^[A-Za-z0-9_-]{24}$/);
      assert.equal(banner.keyIsNew, true);
      assert.ok(text.includes(`Audio stream for players: http://127.0.0.1:${httpPort}/live.webm`), text);
      assert.ok(text.includes('self-signed certificate'), text);
    });

    it('keeps the stream key in <data>/stream-key with mode 0600', async () => {
      const file = join(dataDir, 'stream-key');
      assert.equal((await stat(file)).mode & 0o777, 0o600);
      assert.equal((await readFile(file, 'utf8')).trim(), banner.streamKey);
    });

    it('writes a self-signed certificate into the data directory', async () => {
      const cert = new X509Certificate(await readFile(join(dataDir, 'tls-cert.pem')));
      assert.equal(cert.subject, cert.issuer, 'self-signed');
      assert.ok(cert.checkHost('localhost'));
      assert.ok(cert.checkIP('127.0.0.1'));
      assert.equal(cert.fingerprint256, banner.fingerprint);
      assert.equal((await stat(join(dataDir, 'tls-key.pem'))).mode & 0o777, 0o600);
    });

    it('serves the listener page at /', async () => {
      const res = await get(`http://127.0.0.1:${banner.httpPort}/`);
      assert.equal(res.status, 200);
      assert.match(res.type ?? '', /^text\/html/);
      assert.ok(res.body.includes('<div id="app">'), res.body);
      assert.ok(res.body.includes('<script type="module" src="/assets/listen.js"></script>'), res.body);
      const js = await get(`http://127.0.0.1:${banner.httpPort}/assets/listen.js`);
      assert.equal(js.status, 200);
      assert.match(js.type ?? '', /javascript/);
    });

    it('serves the broadcaster page at /broadcast', async () => {
      const res = await get(`http://127.0.0.1:${banner.httpPort}/broadcast`);
      assert.equal(res.status, 200);
      assert.match(res.type ?? '', /^text\/html/);
      assert.ok(res.body.includes('<div id="app">'), res.body);
      assert.ok(res.body.includes('<script type="module" src="/assets/broadcast.js"></script>'), res.body);
      const js = await get(`http://127.0.0.1:${banner.httpPort}/assets/broadcast.js`);
      assert.equal(js.status, 200);
    });

    it('answers /api/info over HTTP/2 on the HTTPS port', async () => {
      const res = await getH2(`https://127.0.0.1:${banner.httpsPort}`, '/api/info');
      assert.equal(res.alpn, 'h2');
      assert.equal(res.status, 200);
      assert.match(res.type ?? '', /^application\/json/);
      const info = JSON.parse(res.body) as Record<string, unknown>;
      assert.equal(info.name, 'onair');
      assert.equal(info.httpPort, banner.httpPort);
      assert.equal(info.httpsPort, banner.httpsPort);
      assert.equal(info.defaultMount, 'live');
    });

    it('writes only JSON lines to stdout, none holding the stream key', () => {
      const lines = logLines(cli);
      assert.ok(lines.length > 0);
      assertNotInLogs(cli, banner.streamKey);
    });

    it('exits 0 within 5 s of SIGTERM', async () => {
      const t0 = Date.now();
      cli.child.kill('SIGTERM');
      const result = await withTimeout(cli.exited, EXIT_TIMEOUT_MS, 'onair to exit after SIGTERM');
      assert.deepEqual(result, { code: 0, signal: null }, `after ${Date.now() - t0} ms`);
      assertNotInLogs(cli, banner.streamKey);
    });
  });

  describe('second start', () => {
    it('reuses the stream key and the certificate', async () => {
      const keyBefore = await readFile(join(dataDir, 'stream-key'), 'utf8');
      const certBefore = await readFile(join(dataDir, 'tls-cert.pem'), 'utf8');
      const [cli, banner] = await startCli(dataDir);
      try {
        assert.equal(banner.streamKey, keyBefore.trim());
        assert.equal(banner.keyIsNew, false);
        assert.equal(await readFile(join(dataDir, 'stream-key'), 'utf8'), keyBefore);
        assert.equal(await readFile(join(dataDir, 'tls-cert.pem'), 'utf8'), certBefore);
        assert.equal(banner.fingerprint, new X509Certificate(certBefore).fingerprint256);
        const res = await getH2(`https://127.0.0.1:${banner.httpsPort}`, '/api/info');
        assert.equal(res.status, 200);
        assertNotInLogs(cli, banner.streamKey);
      } finally {
        await cli.kill();
      }
    });

    it('uses ONAIR_STREAM_KEY instead of the stored key, leaving the file alone', async () => {
      const keyBefore = await readFile(join(dataDir, 'stream-key'), 'utf8');
      const envKey = 'env-stream-key-4b1d';
      const [cli, banner] = await startCli(dataDir, cleanEnv({ ONAIR_STREAM_KEY: envKey }));
      try {
        assert.equal(banner.streamKey, envKey);
        assert.equal(banner.keyIsNew, false);
        assert.ok(!banner.text.includes(keyBefore.trim()));
        assert.equal(await readFile(join(dataDir, 'stream-key'), 'utf8'), keyBefore);
        assertNotInLogs(cli, envKey);
      } finally {
        await cli.kill();
      }
    });
  });

  describe('loopback', () => {
    it('does not advertise network addresses it is not listening on', async () => {
      const lan = Object.values(networkInterfaces())
        .flatMap((list) => list ?? [])
        .filter((a) => a.family === 'IPv4' && !a.internal)
        .map((a) => a.address);
      const [cli, banner] = await startCli(dataDir);
      try {
        for (const ip of lan) {
          assert.ok(
            !banner.text.includes(`${ip}:`),
            `bound to 127.0.0.1 but the banner sends people to ${ip}:\n${banner.text}`,
          );
        }
      } finally {
        await cli.kill();
      }
    });
  });

  describe('bad arguments', () => {
    it('exits with code 2 and names the flag when a value is invalid', async () => {
      const cli = runCli(['--port', 'eighty', '--data', dataDir]);
      try {
        const { code } = await withTimeout(cli.exited, EXIT_TIMEOUT_MS, 'onair to exit');
        assert.equal(code, 2);
        assert.match(cli.stderr(), /--port/);
        assert.match(cli.stderr(), /eighty/);
        assert.match(cli.stderr(), /Usage: onair/);
      } finally {
        await cli.kill();
      }
    });

    it('exits with code 2 and names an unknown flag', async () => {
      const cli = runCli(['--prot', '80', '--data', dataDir]);
      try {
        const { code } = await withTimeout(cli.exited, EXIT_TIMEOUT_MS, 'onair to exit');
        assert.equal(code, 2);
        assert.match(cli.stderr(), /--prot/);
      } finally {
        await cli.kill();
      }
    });

    it('exits with code 2 when ONAIR_STREAM_KEY is too short, without printing it', async () => {
      const cli = runCli(['--data', dataDir], cleanEnv({ ONAIR_STREAM_KEY: 'tiny1' }));
      try {
        const { code } = await withTimeout(cli.exited, EXIT_TIMEOUT_MS, 'onair to exit');
        assert.equal(code, 2);
        assert.match(cli.stderr(), /ONAIR_STREAM_KEY/);
        assert.ok(!cli.stderr().includes('tiny1'));
      } finally {
        await cli.kill();
      }
    });

    it('prints the usage and exits 0 for --help, starting nothing', async () => {
      const empty = await mkdtemp(join(tmpdir(), 'onair-cli-help-'));
      const cli = runCli(['--help', '--data', empty]);
      try {
        const { code } = await withTimeout(cli.exited, EXIT_TIMEOUT_MS, 'onair to exit');
        assert.equal(code, 0);
        assert.match(cli.stdout(), /^Usage: onair/);
        assert.equal(existsSync(join(empty, 'stream-key')), false);
      } finally {
        await cli.kill();
        await rm(empty, { recursive: true, force: true });
      }
    });
  });
});
