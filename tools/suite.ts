/** What an e2e suite shares (a server or a listen rig, and Chromium): started before its first test, closed after its last. */
import { after, before } from 'node:test';
import type { Browser } from 'playwright-core';
import type { Config } from '../src/server/config.js';
import { launchChromium } from './chromium.js';
import { type ListenRig, type ListenRigOptions, startListenRig } from './listen-rig.js';
import { startRedis, type TestRedis } from './redis.js';
import { startTestServer, type TestServer } from './server.js';

export interface ChromiumSuite {
  /** Set once the suite's `before` has run. */
  readonly server: TestServer;
  readonly browser: Browser;
}

/**
 * Registers the suite's `before` (a test server with `config`, then Chromium) and `after` (both
 * closed, the browser first); call it inside `describe`.
 */
export function chromiumSuite(opts: { autoplay?: boolean; config?: Partial<Config> } = {}): ChromiumSuite {
  const suite = {} as { server: TestServer; browser: Browser };
  before(async () => {
    suite.server = await startTestServer(opts.config);
    suite.browser = await launchChromium({ autoplay: opts.autoplay ?? true });
  });
  after(async () => {
    await suite.browser?.close();
    await suite.server?.close();
  });
  return suite;
}

export interface ListenRigSuite {
  /** Set once the suite's `before` has run. */
  readonly rig: ListenRig;
  readonly browser: Browser;
}

/**
 * Registers the suite's `before` (a listen rig with `rigOptions`, then Chromium with autoplay) and
 * `after` (both closed, the browser first); call it inside `describe`.
 */
export function listenRigSuite(rigOptions: ListenRigOptions): ListenRigSuite {
  const suite = {} as { rig: ListenRig; browser: Browser };
  before(async () => {
    suite.rig = await startListenRig(rigOptions);
    suite.browser = await launchChromium({ autoplay: true });
  });
  after(async () => {
    await suite.browser?.close();
    await suite.rig?.close();
  });
  return suite;
}

export interface RedisPairSuite {
  /** Set once the suite's `before` has run. A test that restarts Redis puts the new one here, for `after` to stop. */
  redis: TestRedis;
  readonly a: TestServer;
  readonly b: TestServer;
}

/**
 * Registers the suite's `before` (a real redis-server, then two test servers on it) and `after`
 * (both servers closed, then Redis); call it inside `describe`.
 */
export function redisPairSuite(): RedisPairSuite {
  const suite = {} as { redis: TestRedis; a: TestServer; b: TestServer };
  before(async () => {
    suite.redis = await startRedis();
    suite.a = await startTestServer({ redisUrl: suite.redis.url });
    suite.b = await startTestServer({ redisUrl: suite.redis.url });
  });
  after(async () => {
    await suite.a?.close();
    await suite.b?.close();
    await suite.redis?.stop();
  });
  return suite;
}
