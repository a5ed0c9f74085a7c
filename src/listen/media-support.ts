/** Feature detection, done once: which way this browser can play the live WebM/Opus stream. */
import { WEBM_OPUS_MSE_MIME } from '../shared/protocol.js';

export type PlaybackPath =
  | { kind: 'mse'; label: string; MediaSource: typeof MediaSource; managed: boolean }
  | { kind: 'progressive'; label: string; container: 'ogg' | 'webm' };

interface MediaSourceGlobals {
  MediaSource?: typeof MediaSource;
  /** iOS 17.1+ / Safari 17+: MediaSource under another name; needs `disableRemotePlayback`. */
  ManagedMediaSource?: typeof MediaSource;
}

let detected: PlaybackPath | undefined;

/**
 * MediaSource when it takes WebM/Opus, then ManagedMediaSource, else a plain `<audio src>` of the
 * Ogg/Opus stream where the element says it can play it (it is what radio players take), else WebM.
 */
export function detectPlaybackPath(): PlaybackPath {
  if (detected) return detected;
  const g = globalThis as MediaSourceGlobals;
  if (g.MediaSource?.isTypeSupported(WEBM_OPUS_MSE_MIME)) {
    detected = { kind: 'mse', label: 'MSE · WebM/Opus', MediaSource: g.MediaSource, managed: false };
  } else if (g.ManagedMediaSource?.isTypeSupported(WEBM_OPUS_MSE_MIME)) {
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
