// Tool (tests, benches, scripts): the system Chromium (Debian's /usr/bin/chromium; no browser download
// works on these machines) driven by playwright-core, with a fake microphone fed from a WAV file, plus a
// pure-TS tone WAV writer and the in-page FFT peak meter.
// The flags: `--no-sandbox` (no user namespaces for Chromium's sandbox in this container), `--disable-gpu`
// (no GPU), `--disable-quic` (loopback HTTP/2 only), the `--no-first-run` / `--disable-background-networking`
// / `--disable-component-update` / `--disable-sync` set (no calls out of the machine); the fake microphone
// (`--use-fake-ui-for-media-stream` grants it, `--use-fake-device-for-media-stream` +
// `--use-file-for-fake-audio-capture=<48 kHz WAV>` feed it, looping); `--autoplay-policy=
// no-user-gesture-required` lets pages play without a tap. Playwright adds `--mute-audio`, which silences the
// page's audio graph the meters read, so it is dropped (ignoreDefaultArgs).
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { type PageDriver, type PeakMeasurement, peakInPage } from './page-audio.js';

export type { PeakMeasurement } from './page-audio.js';

export const DEFAULT_CHROMIUM_PATH = '/usr/bin/chromium';

export interface LaunchChromiumOptions {
  /** Add `--autoplay-policy=no-user-gesture-required`. Default true; false tests the tap-to-listen path. */
  autoplay?: boolean;
  /** WAV fed to the fake microphone. Default: toneWavPath() (440 Hz, 60 s, 48 kHz mono). */
  fakeAudioFile?: string;
  /** Further Chromium flags, appended last. */
  extraArgs?: string[];
}

/** Launch headless system Chromium with the fake-mic flags. Playwright's `--mute-audio` is removed. */
export async function launchChromium(options: LaunchChromiumOptions = {}): Promise<Browser> {
  const { autoplay = true, fakeAudioFile = toneWavPath(), extraArgs = [] } = options;
  const args = [
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--use-fake-ui-for-media-stream',
    '--use-fake-device-for-media-stream',
    `--use-file-for-fake-audio-capture=${fakeAudioFile}`,
  ];
  if (autoplay) args.push('--autoplay-policy=no-user-gesture-required');
  args.push(...extraArgs);
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? DEFAULT_CHROMIUM_PATH,
    headless: true,
    ignoreDefaultArgs: ['--mute-audio'],
    args,
  });
}

export interface ToneWavOptions {
  freqHz?: number;
  seconds?: number;
  sampleRate?: number;
  /** Peak amplitude, 0..1 of full scale. */
  amplitude?: number;
  /** Gate the tone: on for `onMs` at the start of every `periodMs`, silence otherwise. */
  bursts?: { onMs: number; periodMs: number };
}

/** Write a 16-bit mono PCM WAV sine tone to `path` (parent directories are created). */
export function writeToneWav(path: string, options: ToneWavOptions = {}): void {
  const { freqHz = 440, seconds = 60, sampleRate = 48000, amplitude = 0.5, bursts } = options;
  const frames = Math.round(seconds * sampleRate);
  const dataBytes = frames * 2;
  const buf = Buffer.alloc(44 + dataBytes);
  buf.write('RIFF', 0, 'ascii');
  buf.writeUInt32LE(36 + dataBytes, 4);
  buf.write('WAVE', 8, 'ascii');
  buf.write('fmt ', 12, 'ascii');
  buf.writeUInt32LE(16, 16); // fmt chunk size
  buf.writeUInt16LE(1, 20); // PCM
  buf.writeUInt16LE(1, 22); // mono
  buf.writeUInt32LE(sampleRate, 24);
  buf.writeUInt32LE(sampleRate * 2, 28); // byte rate
  buf.writeUInt16LE(2, 32); // block align
  buf.writeUInt16LE(16, 34); // bits per sample
  buf.write('data', 36, 'ascii');
  buf.writeUInt32LE(dataBytes, 40);
  const peak = Math.max(0, Math.min(1, amplitude)) * 32767;
  const step = (2 * Math.PI * freqHz) / sampleRate;
  for (let i = 0; i < frames; i++) {
    let on = true;
    if (bursts) on = ((i * 1000) / sampleRate) % bursts.periodMs < bursts.onMs;
    const v = on ? Math.round(peak * Math.sin(step * i)) : 0;
    buf.writeInt16LE(v, 44 + i * 2);
  }
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, buf);
}

let standardTone: string | undefined;

/**
 * Path of the standard 440 Hz, 60 s, 48 kHz mono tone in os.tmpdir(), written once per process. The
 * name is fixed (no file per process piles up); the write goes through a rename, so concurrent test
 * processes never see a half-written file.
 */
export function toneWavPath(): string {
  if (standardTone === undefined) {
    const path = join(tmpdir(), 'onair-tone-440hz-60s-48k.wav');
    const partial = `${path}.${process.pid}.tmp`;
    writeToneWav(partial);
    renameSync(partial, path);
    standardTone = path;
  }
  return standardTone;
}

/**
 * Measure what a media element in the page is playing (see peakInPage in page-audio.ts).
 * page.evaluate counts as a user gesture, so the AudioContext may resume.
 */
export async function measurePeakHz(page: Page, selector = 'audio', ms = 1500): Promise<PeakMeasurement> {
  return page.evaluate(peakInPage, { selector, ms });
}

/** A Playwright page as a PageDriver for the driver-neutral checks in page-audio.ts. */
export function playwrightDriver(page: Page): PageDriver {
  return {
    run: async <A, R>(fn: (arg: A) => R | Promise<R>, arg: A): Promise<R> =>
      (await page.evaluate(fn as (a: unknown) => unknown, arg as unknown)) as R,
  };
}
