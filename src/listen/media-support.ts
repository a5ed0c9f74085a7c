/** Feature detection, done once: which way this browser can play the live stream. */
import { WEBM_OPUS_MSE_MIME } from '../shared/protocol.js';
import { NATIVE_HLS_LABEL, nativeHlsSupported } from './native-hls.js';
import { packetsPlayerSupported } from './packets-session.js';

export type PlaybackPath =
  | { kind: 'packets'; label: string }
  | { kind: 'mse'; label: string; MediaSource: typeof MediaSource; managed: boolean }
  | { kind: 'progressive'; label: string; container: 'ogg' | 'webm' }
  | { kind: 'hls'; label: string };

interface MediaSourceGlobals {
  MediaSource?: typeof MediaSource;
  /** iOS 17.1+ / Safari 17+: MediaSource under another name; needs `disableRemotePlayback`. */
  ManagedMediaSource?: typeof MediaSource;
}

let detected: PlaybackPath | undefined;

/** The rungs as `?player=` names them. */
export type PlayerName = PlaybackPath['kind'];

/** Old `?player=` names still taken (bookmarks): `lowlat` was the packets player's name. */
const PLAYER_ALIASES: Readonly<Record<string, PlayerName>> = { lowlat: 'packets' };

/**
 * The rung `?player=` asks for (`packets`, `mse`, `hls` or `progressive`; `lowlat` for `packets`), or null.
 * A rung skips the rungs above it: for comparisons and support.
 */
export function requestedPlayer(search: string): PlayerName | null {
  const want = new URLSearchParams(search).get('player');
  if (want === null) return null;
  if (want === 'packets' || want === 'mse' || want === 'progressive' || want === 'hls') return want;
  return PLAYER_ALIASES[want] ?? null;
}

function requested(): PlayerName | null {
  try {
    return requestedPlayer(location.search);
  } catch {
    return null;
  }
}

/** The packets player failed here (an Opus config WebCodecs refuses): use the next rung from now on. */
export function demotePacketsPlayer(): void {
  detected = undefined;
  skipPackets = true;
}
let skipPackets = false;

/**
 * WebCodecs AudioDecoder + AudioWorklet (the packets player, low latency), then MediaSource when it
 * takes WebM/Opus, then the element's own HLS where there is no MediaSource (iPhone), then
 * ManagedMediaSource, else a plain `<audio src>` of the
 * Ogg/Opus stream where the element says it can play it (it is what radio players take), else WebM.
 */
export function detectPlaybackPath(): PlaybackPath {
  if (detected) return detected;
  const g = globalThis as MediaSourceGlobals;
  const want = requested();
  if (!skipPackets && (want === null || want === 'packets') && packetsPlayerSupported()) {
    detected = { kind: 'packets', label: 'Low latency · WebCodecs Opus' };
  } else if (want !== 'progressive' && want !== 'hls' && g.MediaSource?.isTypeSupported(WEBM_OPUS_MSE_MIME)) {
    detected = { kind: 'mse', label: 'MSE · WebM/Opus', MediaSource: g.MediaSource, managed: false };
  } else if (want === 'hls' && nativeHlsSupported(true)) {
    // The element's own HLS player (lock screen, AirPlay), on request only for now: Chromium's native
    // HLS player, the only stand-in for an iPhone here, fails at each broadcast's start for seconds.
    detected = { kind: 'hls', label: NATIVE_HLS_LABEL };
  } else if (want !== 'progressive' && g.ManagedMediaSource?.isTypeSupported(WEBM_OPUS_MSE_MIME)) {
    detected = {
      kind: 'mse',
      label: 'ManagedMediaSource · WebM/Opus',
      MediaSource: g.ManagedMediaSource,
      managed: true,
    };
  } else {
    const probe = typeof document === 'undefined' ? null : document.createElement('audio');
    const ogg = probe?.canPlayType('audio/ogg; codecs="opus"') ?? '';
    detected =
      ogg !== ''
        ? { kind: 'progressive', label: 'Plain <audio> · Ogg/Opus (no MediaSource)', container: 'ogg' }
        : { kind: 'progressive', label: 'Plain <audio> · WebM/Opus (no MediaSource)', container: 'webm' };
  }
  return detected;
}
