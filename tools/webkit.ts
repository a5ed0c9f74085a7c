// Tool (tests): WebKitGTK (Debian's webkit2gtk-driver: WebKitWebDriver + MiniBrowser) driven over plain
// W3C WebDriver with fetch, on a private Xvfb display (WebKitGTK has no headless mode).
// Each launch owns its Xvfb, its driver and one session, and close() ends all three.
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PageDriver } from './page-audio.js';
import { freePort } from './ports.js';

export const WEBKIT_DRIVER = 'WebKitWebDriver';
export const XVFB = 'Xvfb';
/** Where Debian keeps GStreamer's plugins (what WebKitGTK plays media with), under its multiarch triplet. */
export const GST_PLUGIN_DIR = `/usr/lib/${process.arch === 'arm64' ? 'aarch64' : 'x86_64'}-linux-gnu/gstreamer-1.0`;

/** Longest wait for one WebDriver command (the driver's own script timeout is 30 s). */
export const WEBDRIVER_COMMAND_TIMEOUT_MS = 40_000;
/** Longest wait for Xvfb to name its display and for the driver to answer /status. */
const START_TIMEOUT_MS = 10_000;
/** The W3C key of an element reference. */
const ELEMENT_KEY = 'element-6066-11e4-a52e-4f735466cecf';

export interface LaunchWebKitOptions {
  /** MiniBrowser's `--autoplay-policy=allow` (default true); false leaves WebKit's default (a gesture is needed). */
  autoplay?: boolean;
  /**
   * GStreamer plugin files (e.g. `libgstopusparse.so`) to hide from WebKit: it then sees a plugin
   * directory of links to every other plugin, with a registry of its own. Tests use it to take a
   * playback path away (no opusparse → no MSE WebM/Opus).
   */
  hideGstPlugins?: string[];
}

export interface WebKitSession extends PageDriver {
  /** WebKitGTK's version, as the driver reports it (browserVersion). */
  readonly version: string;
  navigate(url: string): Promise<void>;
  /** Clicks the first element matching a CSS selector (a real, trusted click: a user gesture). */
  click(selector: string): Promise<void>;
  /** Ends the session, the driver and Xvfb. Idempotent. */
  close(): Promise<void>;
}

/** Starts Xvfb on the first free display (`-displayfd`) and resolves with it (":N"). */
function startXvfb(log: (s: string) => void): Promise<{ proc: ChildProcess; display: string }> {
  return new Promise((resolve, reject) => {
    const proc = spawn(XVFB, ['-displayfd', '3', '-screen', '0', '1280x1024x24', '-nolisten', 'tcp'], {
      stdio: ['ignore', 'ignore', 'pipe', 'pipe'],
    });
    let out = '';
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`Xvfb named no display within ${START_TIMEOUT_MS} ms`));
    }, START_TIMEOUT_MS);
    proc.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    proc.stderr?.on('data', (b: Buffer) => log(b.toString()));
    proc.stdio[3]?.on('data', (b: Buffer) => {
      out += b.toString();
      if (!out.includes('\n')) return;
      clearTimeout(timer);
      resolve({ proc, display: `:${out.trim()}` });
    });
  });
}

/** A GStreamer plugin directory of links to every plugin except `hide`, and a registry file beside it. */
function gstPluginDirWithout(hide: string[]): { env: Record<string, string>; dir: string } {
  const dir = mkdtempSync(join(tmpdir(), 'onair-gst-'));
  const plugins = join(dir, 'plugins');
  mkdirSync(plugins);
  for (const name of readdirSync(GST_PLUGIN_DIR)) {
    if (name.endsWith('.so') && !hide.includes(name))
      symlinkSync(join(GST_PLUGIN_DIR, name), join(plugins, name));
  }
  return {
    dir,
    env: { GST_PLUGIN_SYSTEM_PATH: plugins, GST_PLUGIN_PATH: '', GST_REGISTRY: join(dir, 'registry.bin') },
  };
}

/** Ends a process we started and waits for it (SIGTERM, then SIGKILL after `graceMs`). */
async function stopProcess(proc: ChildProcess, graceMs = 3_000): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  proc.kill('SIGTERM');
  const timer = setTimeout(() => proc.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

interface WireResult {
  value: unknown;
}

/**
 * Launches WebKitGTK for one WebDriver session: Xvfb on a free display, WebKitWebDriver on a free
 * port, and a session whose MiniBrowser runs with `--automation` (plus `--autoplay-policy=allow`).
 */
export async function launchWebKit(options: LaunchWebKitOptions = {}): Promise<WebKitSession> {
  const { autoplay = true, hideGstPlugins = [] } = options;
  let stderr = '';
  const log = (s: string): void => {
    stderr = (stderr + s).slice(-8_000);
  };
  const cleanups: Array<() => Promise<void> | void> = [];
  const cleanup = async (): Promise<void> => {
    for (const fn of cleanups.splice(0).reverse()) await fn();
  };
  try {
    const xvfb = await startXvfb(log);
    cleanups.push(() => stopProcess(xvfb.proc));
    const env: Record<string, string | undefined> = {
      ...process.env,
      DISPLAY: xvfb.display,
      NO_AT_BRIDGE: '1',
    };
    if (hideGstPlugins.length > 0) {
      const gst = gstPluginDirWithout(hideGstPlugins);
      cleanups.push(() => rmSync(gst.dir, { recursive: true, force: true }));
      Object.assign(env, gst.env);
    }
    const port = await freePort();
    const driver = spawn(process.env.WEBKIT_DRIVER_PATH ?? WEBKIT_DRIVER, [`--port=${port}`], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    driver.stdout?.on('data', (b: Buffer) => log(b.toString()));
    driver.stderr?.on('data', (b: Buffer) => log(b.toString()));
    const driverFailed = new Promise<never>((_, reject) => {
      driver.on('error', reject);
    });
    driverFailed.catch(() => {});
    cleanups.push(() => stopProcess(driver));
    const base = `http://127.0.0.1:${port}`;

    const command = async (method: string, path: string, body?: unknown): Promise<unknown> => {
      const res = await Promise.race([
        fetch(base + path, {
          method,
          headers: { 'content-type': 'application/json; charset=utf-8' },
          body: body === undefined ? undefined : JSON.stringify(body),
          signal: AbortSignal.timeout(WEBDRIVER_COMMAND_TIMEOUT_MS),
        }),
        driverFailed,
      ]);
      const text = await res.text();
      let parsed: WireResult;
      try {
        parsed = JSON.parse(text) as WireResult;
      } catch {
        throw new Error(`WebDriver ${method} ${path}: ${res.status} ${text.slice(0, 200)}`);
      }
      if (!res.ok)
        throw new Error(`WebDriver ${method} ${path}: ${res.status} ${JSON.stringify(parsed.value)}`);
      return parsed.value;
    };

    // The driver listens a moment after it starts.
    const deadline = Date.now() + START_TIMEOUT_MS;
    for (;;) {
      try {
        const status = (await command('GET', '/status')) as { ready?: boolean };
        if (status.ready) break;
      } catch (err) {
        if (Date.now() > deadline)
          throw new Error(`${WEBKIT_DRIVER} did not answer: ${String(err)}\n${stderr}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }

    const args = ['--automation'];
    if (autoplay) args.push('--autoplay-policy=allow');
    const created = (await command('POST', '/session', {
      capabilities: { alwaysMatch: { 'webkitgtk:browserOptions': { args } } },
    })) as { sessionId: string; capabilities: { browserVersion?: string } };
    const session = `/session/${created.sessionId}`;
    cleanups.push(async () => {
      await command('DELETE', session).catch(() => {});
    });

    let closed = false;
    return {
      version: created.capabilities.browserVersion ?? 'unknown',
      async navigate(url) {
        await command('POST', `${session}/url`, { url });
      },
      async click(selector) {
        const el = (await command('POST', `${session}/element`, {
          using: 'css selector',
          value: selector,
        })) as Record<string, string>;
        await command('POST', `${session}/element/${el[ELEMENT_KEY]}/click`, {});
      },
      async run<A, R>(fn: (arg: A) => R | Promise<R>, arg: A): Promise<R> {
        // The page function goes over as source text; its result or error comes back through the callback.
        const script = `const done = arguments[arguments.length - 1];
Promise.resolve().then(() => (${fn.toString()})(arguments[0])).then(
  (value) => done({ ok: true, value }),
  (err) => done({ ok: false, error: String(err && err.stack || err) }));`;
        let out: { ok: true; value: R } | { ok: false; error: string };
        try {
          out = (await command('POST', `${session}/execute/async`, { script, args: [arg] })) as typeof out;
        } catch (err) {
          throw new Error(`${fn.name || 'page function'} in WebKit: ${String(err)}`);
        }
        if (!out.ok) throw new Error(`${fn.name || 'page function'} in WebKit: ${out.error}`);
        return out.value;
      },
      async close() {
        if (closed) return;
        closed = true;
        await cleanup();
      },
    };
  } catch (err) {
    await cleanup();
    throw err;
  }
}
