/** CLI entry (`onair`): config → server → banner; SIGINT/SIGTERM close it. The only file touching process.* (and heap.ts, its flags). */
// First: the heap settings must hold before anything else allocates.
import './heap.js';
import { DEFAULT_MOUNT, paths } from '../shared/protocol.js';
import type { OnairServer } from './app.js';
import { startServer } from './app.js';
import { ConfigError, loadConfig, USAGE } from './config.js';
import { lanAddresses } from './http/lan.js';
import { createLogger } from './log.js';

/** A shutdown that takes longer than this exits anyway. */
const SHUTDOWN_TIMEOUT_MS = 5_000;

function banner(server: OnairServer, bindHost: string): string {
  const lines = ['', 'onair is running.', ''];
  // Only advertise addresses the server is actually reachable on.
  const everywhere = bindHost === '0.0.0.0' || bindHost === '::';
  const loopback = /^(127\.|::1$|localhost$)/.test(bindHost);
  const hosts = everywhere ? ['localhost', ...lanAddresses()] : loopback ? ['localhost'] : [bindHost];
  for (const host of hosts) {
    const http = `http://${host}:${server.httpPort}`;
    const https = server.httpsPort === null ? null : `https://${host}:${server.httpsPort}`;
    // Phones need HTTPS for the microphone; listening works on either.
    lines.push(`  ${host === 'localhost' ? 'On this machine' : `On the network (${host})`}:`);
    lines.push(`    listen:    ${http}${paths.home}`);
    lines.push(`    broadcast: ${host === 'localhost' ? http : (https ?? http)}${paths.broadcastPage}`);
    if (https && host === 'localhost') lines.push(`    (HTTPS, HTTP/2: ${https}${paths.broadcastPage})`);
  }
  lines.push('');
  lines.push(
    `  Stream key: ${server.streamKey}${server.streamKeyCreated ? '  (new; kept in the data directory)' : ''}`,
  );
  lines.push(
    `  Admin token (user "admin"): ${server.adminToken}${server.adminTokenCreated ? '  (new; kept in the data directory)' : ''}`,
  );
  lines.push(`  Organiser's dashboard: ${server.httpsUrl ?? server.httpUrl}${paths.adminPage}`);
  lines.push(`  Audio stream for players: ${server.httpUrl}${paths.listenWebm(DEFAULT_MOUNT)}`);
  if (server.tls?.selfSigned) {
    lines.push(`  HTTPS uses a self-signed certificate; browsers ask once to accept it.`);
    lines.push(`  Its SHA-256 fingerprint: ${server.tls.fingerprint256}`);
  }
  lines.push('');
  return lines.join('\n');
}

async function main(): Promise<void> {
  let loaded: ReturnType<typeof loadConfig>;
  try {
    loaded = loadConfig(process.argv.slice(2), process.env);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`onair: ${err.message}\n\n${USAGE}\n`);
      process.exit(2);
    }
    throw err;
  }
  if (loaded.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const { config } = loaded;
  const log = createLogger(config.logLevel);
  const server = await startServer(config, log);
  // The banner is for a person at a terminal; the log lines are for machines.
  process.stderr.write(banner(server, config.host));
  log.info({ httpPort: server.httpPort, httpsPort: server.httpsPort, dataDir: config.dataDir }, 'listening');

  const stop = (signal: string): void => {
    log.info({ signal }, 'shutting down');
    const force = setTimeout(() => process.exit(1), SHUTDOWN_TIMEOUT_MS);
    force.unref();
    server.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
}

main().catch((err: unknown) => {
  process.stderr.write(`onair: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
