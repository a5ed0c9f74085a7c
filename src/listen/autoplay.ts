/** Autoplay: detect whether the page may play sound without a gesture, and unlock the `<audio>` inside one. */
import { waitForEvent } from '../web/wait.js';

/** Longest wait for an AudioContext to report 'running' (spec engines switch to it a moment after construction). */
export const AUTOPLAY_PROBE_TIMEOUT_MS = 300;
/** Length of the silent clip played to unlock the element. */
const SILENT_CLIP_SAMPLES = 800;
const SILENT_CLIP_RATE_HZ = 8_000;

type AutoplayPolicy = 'allowed' | 'allowed-muted' | 'disallowed';

interface AutoplayGlobals {
  AudioContext?: typeof AudioContext;
  webkitAudioContext?: typeof AudioContext;
  navigator: { getAutoplayPolicy?: (type: 'mediaelement') => AutoplayPolicy };
}

/**
 * True when sound may start without a gesture. Uses navigator.getAutoplayPolicy where it exists
 * (Firefox); otherwise creates an AudioContext, checks that it runs (Chromium and Safari leave it
 * 'suspended' when autoplay is blocked) and closes it again.
 */
export async function detectAutoplay(signal: AbortSignal): Promise<boolean> {
  const g = globalThis as unknown as AutoplayGlobals;
  if (typeof g.navigator.getAutoplayPolicy === 'function') {
    try {
      return g.navigator.getAutoplayPolicy('mediaelement') === 'allowed';
    } catch {
      // Fall through to the AudioContext probe.
    }
  }
  const Ctor = g.AudioContext ?? g.webkitAudioContext;
  if (!Ctor) return false;
  let ctx: AudioContext;
  try {
    ctx = new Ctor();
  } catch {
    return false;
  }
  try {
    if (isRunning(ctx)) return true;
    await waitForEvent(ctx, 'statechange', AUTOPLAY_PROBE_TIMEOUT_MS, signal).catch(() => {});
    return isRunning(ctx);
  } finally {
    ctx.close().catch(() => {});
  }
}

function isRunning(ctx: AudioContext): boolean {
  return ctx.state === 'running';
}

/**
 * Call synchronously inside a click or tap handler. Calls play() on the element: on its current
 * source when it has one (a session waiting for a gesture), else on a short silent clip. The
 * gesture-blessed element (Safari) and the page's user activation (Chromium) then let a later
 * play() start by itself when the stream starts. Rejections are expected and ignored.
 */
export function unlockAudio(audio: HTMLAudioElement): void {
  // A source is an src attribute or `<source>` children (ManagedMediaSource with its AirPlay source).
  if (!audio.getAttribute('src') && !audio.querySelector('source')) {
    const clip = silentClipUrl();
    audio.src = clip;
    // Leave the element empty again once the clip is done, unless a stream took it over meanwhile.
    const release = (): void => {
      if (audio.getAttribute('src') !== clip) return;
      audio.removeAttribute('src');
      audio.load();
    };
    audio.addEventListener('ended', release, { once: true });
  }
  audio.play().catch(() => {});
}

let silentClip: string | undefined;

/** A 0.1 s silent 8-bit mono WAV as a blob: URL (the page CSP allows media from 'self' and blob: only). */
function silentClipUrl(): string {
  if (silentClip) return silentClip;
  const bytes = new Uint8Array(44 + SILENT_CLIP_SAMPLES);
  const view = new DataView(bytes.buffer);
  const ascii = (at: number, s: string): void => {
    for (let i = 0; i < s.length; i++) bytes[at + i] = s.charCodeAt(i);
  };
  ascii(0, 'RIFF');
  view.setUint32(4, 36 + SILENT_CLIP_SAMPLES, true);
  ascii(8, 'WAVE');
  ascii(12, 'fmt ');
  view.setUint32(16, 16, true); // fmt chunk size
  view.setUint16(20, 1, true); // PCM
  view.setUint16(22, 1, true); // mono
  view.setUint32(24, SILENT_CLIP_RATE_HZ, true);
  view.setUint32(28, SILENT_CLIP_RATE_HZ, true); // byte rate: 1 byte per sample
  view.setUint16(32, 1, true); // block align
  view.setUint16(34, 8, true); // bits per sample
  ascii(36, 'data');
  view.setUint32(40, SILENT_CLIP_SAMPLES, true);
  bytes.fill(0x80, 44); // 8-bit PCM silence is the midpoint
  silentClip = URL.createObjectURL(new Blob([bytes], { type: 'audio/wav' }));
  return silentClip;
}
