// Tool (tests): Debian's Firefox ESR (/usr/bin/firefox-esr; no browser download works on these machines)
// driven by puppeteer-core over WebDriver BiDi, headless, with Firefox's own fake microphone and, without a
// sound card, a mock audio output (the prefs are explained at firefoxPrefs). See README "Test it".
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import type { PageDriver } from './page-audio.js';

export const DEFAULT_FIREFOX_PATH = '/usr/bin/firefox-esr';

/** Longest wait for one BiDi command (navigation, evaluate) before puppeteer gives up. */
export const FIREFOX_PROTOCOL_TIMEOUT_MS = 30_000;

export interface LaunchFirefoxOptions {
  /** Let media play without a gesture (media.autoplay.default 0). Default true. */
  autoplay?: boolean;
  /** Pitch of the fake microphone's sine (media.navigator.audio.fake_frequency; Firefox's default is 1000). Default 440. */
  fakeToneHz?: number;
  /**
   * Route audio output through cubeb's mock backend (media.cubeb.force_mock_context). Default true.
   * Needed to hear anything in the page: without it (no PulseAudio, no ALSA card here) every
   * AudioContext stays 'suspended', so the in-page FFT reads silence. But the mock's clock runs slow
   * (measured: 11.40 s of media per 12.10 s, 0.94×) and it drives the whole media graph, the fake
   * microphone too: a broadcaster on it feeds listeners 6 % too little audio and they rebuffer every
   * few seconds. Broadcasters therefore run without it (the graph then keeps real time: 12.10 s per 12.10 s).
   */
  mockAudioOutput?: boolean;
  /** Accept the test server's self-signed certificate (WebDriver's acceptInsecureCerts). Default false. */
  acceptInsecureCerts?: boolean;
}

/**
 * The prefs that make headless Firefox a broadcaster and a listener on a machine without audio hardware:
 * - `media.navigator.streams.fake` + `media.navigator.permission.disabled`: getUserMedia answers at
 *   once with a generated sine (label "Default Audio Device", peak 0.1 of full scale) at
 *   `media.navigator.audio.fake_frequency`;
 * - `media.cubeb.force_mock_context`: see `mockAudioOutput`;
 * - `media.autoplay.default` 0 (allow) and `media.autoplay.blocking_policy` 0: play() without a gesture.
 */
export function firefoxPrefs(options: LaunchFirefoxOptions = {}): Record<string, unknown> {
  const { autoplay = true, fakeToneHz = 440, mockAudioOutput = true } = options;
  return {
    'media.navigator.streams.fake': true,
    'media.navigator.permission.disabled': true,
    'media.navigator.audio.fake_frequency': fakeToneHz,
    'media.cubeb.force_mock_context': mockAudioOutput,
    'media.autoplay.default': autoplay ? 0 : 1,
    'media.autoplay.blocking_policy': 0,
  };
}

/** Launch headless Firefox ESR over WebDriver BiDi (no CDP: puppeteer's Firefox path). */
export async function launchFirefox(options: LaunchFirefoxOptions = {}): Promise<Browser> {
  return puppeteer.launch({
    browser: 'firefox',
    protocol: 'webDriverBiDi',
    executablePath: process.env.FIREFOX_PATH ?? DEFAULT_FIREFOX_PATH,
    headless: true,
    timeout: 30_000,
    protocolTimeout: FIREFOX_PROTOCOL_TIMEOUT_MS,
    acceptInsecureCerts: options.acceptInsecureCerts ?? false,
    extraPrefsFirefox: firefoxPrefs(options),
  });
}

/** A puppeteer page as a PageDriver for the driver-neutral checks in page-audio.ts. */
export function puppeteerDriver(page: Page): PageDriver {
  return {
    run: async <A, R>(fn: (arg: A) => R | Promise<R>, arg: A): Promise<R> =>
      (await page.evaluate(fn as (a: unknown) => unknown, arg as unknown)) as R,
  };
}
