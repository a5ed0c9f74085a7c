/**
 * Runs the built `onair` CLI as a child process on 127.0.0.1 (plain HTTP only), for tests that signal or
 * kill it and for bench/cluster.
 */
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The built CLI, seen from build/node/tools/cli.js. */
const MAIN = fileURLToPath(new URL('../src/server/main.js', import.meta.url));

export interface CliServer {
  child: ChildProcess;
  port: number;
  /** Standard output so far (the JSON log). */
  out(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Resolves once the log holds `text`; rejects after `timeoutMs`. */
  waitForLog(text: string, timeoutMs: number): Promise<void>;
  kill(): void;
}

export async function startCliServer(
  dataDir: string,
  streamKey: string,
  args: string[] = [],
): Promise<CliServer> {
  const child = spawn(
    process.execPath,
    [MAIN, '--port', '0', '--https-port', 'off', '--host', '127.0.0.1', '--data', dataDir, ...args],
    {
      env: { ...process.env, ONAIR_STREAM_KEY: streamKey, ONAIR_LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  child.stdout?.setEncoding('utf8').on('data', (s: string) => {
    out += s;
  });
  child.stderr?.resume();
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const poll = <T>(get: () => T | null, timeoutMs: number, what: string): Promise<T> =>
    new Promise((resolve, reject) => {
      const deadline = Date.now() + timeoutMs;
      const timer = setInterval(() => {
        const v = get();
        if (v !== null) {
          clearInterval(timer);
          resolve(v);
        } else if (Date.now() > deadline || child.exitCode !== null) {
          clearInterval(timer);
          reject(new Error(`no ${what} within ${timeoutMs} ms; log:\n${out}`));
        }
      }, 20);
    });
  const port = await poll(
    () => {
      const line = out.split('\n').find((l) => l.includes('"msg":"listening"'));
      return line ? (JSON.parse(line) as { httpPort: number }).httpPort : null;
    },
    15_000,
    '"listening" log line',
  );
  return {
    child,
    port,
    out: () => out,
    exited,
    waitForLog: (text, timeoutMs) =>
      poll(() => (out.includes(text) ? true : null), timeoutMs, `"${text}" in the log`).then(() => {}),
    kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  };
}
