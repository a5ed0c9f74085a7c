/**
 * Debian's nginx (`nginx-light`, installed by `scripts/install-deps.sh --test`) as a caching reverse
 * proxy in front of onair, with the configuration the README documents, on a free loopback port,
 * in a temp prefix of its own; plus a counting HTTP forwarder to put between nginx and onair, so a
 * test sees what reached the origin.
 */
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './ports.js';

/** Debian puts it in /usr/sbin, which not every PATH has. */
export const NGINX = process.env.NGINX_PATH ?? (existsSync('/usr/sbin/nginx') ? '/usr/sbin/nginx' : 'nginx');

/**
 * The cache part of the README's nginx section: `proxy_cache` with `proxy_cache_lock on`, the cache
 * key with the query (blocking reloads differ only by it), lock and read timeouts above the origin's
 * hold (three target durations), keep-alive to the origin. `upstream` is `host:port`.
 */
export function onairNginxLocations(upstream: string): string {
  return `
    location ~ (\\.m3u8$|^/hls/) {
      proxy_pass http://${upstream};
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_cache onair_hls;
      proxy_cache_key $scheme$host$request_uri;
      proxy_cache_lock on;
      proxy_cache_lock_timeout 10s;
      proxy_cache_lock_age 10s;
      proxy_read_timeout 10s;
      add_header X-Cache $upstream_cache_status always;
    }`;
}

export interface Nginx {
  url: string;
  /** The master process (its workers are its children). */
  pid: number | undefined;
  stderr(): string;
  close(): Promise<void>;
}

/** Starts nginx proxying the HLS paths to `upstream` (`host:port`) through a cache; resolves once it answers. */
export async function startNginx(upstream: string, timeoutMs = 10_000): Promise<Nginx> {
  const prefix = mkdtempSync(join(tmpdir(), 'onair-nginx-'));
  // Started as root, nginx's workers run as an unprivileged user: they must reach and write these.
  chmodSync(prefix, 0o755);
  mkdirSync(join(prefix, 'cache'), { mode: 0o777 });
  mkdirSync(join(prefix, 'tmp'), { mode: 0o777 });
  chmodSync(join(prefix, 'cache'), 0o777);
  chmodSync(join(prefix, 'tmp'), 0o777);
  const port = await freePort();
  const conf = `
worker_processes 1;
pid ${prefix}/nginx.pid;
error_log stderr warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${prefix}/tmp;
  proxy_temp_path ${prefix}/tmp;
  fastcgi_temp_path ${prefix}/tmp;
  uwsgi_temp_path ${prefix}/tmp;
  scgi_temp_path ${prefix}/tmp;
  proxy_cache_path ${prefix}/cache levels=1:2 keys_zone=onair_hls:10m max_size=256m inactive=10m use_temp_path=off;
  server {
    listen 127.0.0.1:${port};
    ${onairNginxLocations(upstream)}
  }
}
`;
  writeFileSync(join(prefix, 'nginx.conf'), conf);
  const proc: ChildProcess = spawn(
    NGINX,
    ['-e', 'stderr', '-p', prefix, '-c', join(prefix, 'nginx.conf'), '-g', 'daemon off;'],
    {
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  let err = '';
  proc.stderr?.on('data', (b: Buffer) => {
    err += b.toString();
  });
  const exited = new Promise<void>((resolve) => proc.on('exit', () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`nginx exited: ${err}`);
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1', () => {
        s.destroy();
        resolve(true);
      });
      s.on('error', () => resolve(false));
    });
    if (ok) break;
    if (Date.now() > deadline) {
      proc.kill('SIGKILL');
      throw new Error(`nginx did not listen within ${timeoutMs} ms: ${err}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    url,
    pid: proc.pid,
    stderr: () => err,
    close: async () => {
      if (proc.exitCode === null) proc.kill('SIGTERM');
      await exited;
      rmSync(prefix, { recursive: true, force: true });
    },
  };
}

export interface CountingForwarder {
  /** `127.0.0.1:port`, for nginx's proxy_pass. */
  hostPort: string;
  /** Requests seen per path with query. */
  counts: Map<string, number>;
  close(): Promise<void>;
}

/** An HTTP forwarder to `target` (`http://host:port`) that counts every request it passes on. */
export async function startCountingForwarder(target: string): Promise<CountingForwarder> {
  const counts = new Map<string, number>();
  const to = new URL(target);
  const agent = new http.Agent({ keepAlive: true });
  const server = http.createServer((req, res) => {
    const path = req.url ?? '/';
    counts.set(path, (counts.get(path) ?? 0) + 1);
    const up = http.request(
      { host: to.hostname, port: to.port, path, method: req.method, headers: req.headers, agent },
      (r) => {
        res.writeHead(r.statusCode ?? 502, r.headers);
        r.pipe(res);
      },
    );
    up.on('error', () => res.destroy());
    req.pipe(up);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    hostPort: `127.0.0.1:${port}`,
    counts,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      agent.destroy();
    },
  };
}
