/** Feature detection, done once: which way this browser can play the live stream. */
import { HLS, WEBM_OPUS_MSE_MIME } from '../shared/protocol.js';
import { NATIVE_HLS_LABEL } from './native-hls.js';
import { packetsPlayerSupported } from './packets-session.js';

export type PlaybackPath =
  | { kind: 'packets'; label: string }
  | {
      kind: 'mse';
      label: string;
      MediaSource: typeof MediaSource;
      managed: boolean;
      /**
       * ManagedMediaSource with an element that plays HLS (Safari 17.1+): the mount's HLS playlist goes
       * beside the MediaSource as the element's AirPlay alternative `<source>`.
       */
      airplayHls: boolean;
    }
  | { kind: 'progressive'; label: string; container: 'ogg' | 'webm' }
  | { kind: 'hls'; label: string };

/** What the page can use, as `choosePlaybackPath` needs it (the browser's, or a test's fakes). */
export interface PlaybackCapabilities {
  /** `?player=`, or null. */
  want: PlayerName | null;
  /** The packets player can run here (WebCodecs Opus, AudioWorklet) and has not failed here. */
  packets: boolean;
  /** The classic MediaSource, where there is one. */
  MediaSource?: typeof MediaSource;
  /** iOS 17.1+ / Safari 17+: MediaSource under another name; needs `disableRemotePlayback` or an alternative source. */
  ManagedMediaSource?: typeof MediaSource;
  /** ManagedMediaSource failed to play here: the rungs below it from now on. */
  skipManaged?: boolean;
  /** The `<audio>` element's `canPlayType`. */
  canPlayType(type: string): string;
}

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

const OGG_OPUS_TYPE = 'audio/ogg; codecs="opus"';

/**
 * The ladder, first rung that fits:
 * 1. the packets player (WebCodecs AudioDecoder + AudioWorklet, low latency);
 * 2. MediaSource taking WebM/Opus;
 * 3. ManagedMediaSource taking WebM/Opus (Safari 17.1+ on iPhone), with the HLS playlist as its
 *    AirPlay alternative where the element plays HLS;
 * 4. the element's own HLS (the iPhone rung: lock screen, AirPlay) where there is no classic
 *    MediaSource, or with `?player=hls`;
 * 5. a plain `<audio src>` of the Ogg/Opus stream where the element says it plays it (what radio
 *    players take), else of the WebM stream.
 * `?player=X` skips the rungs above X.
 */
export function choosePlaybackPath(c: PlaybackCapabilities): PlaybackPath {
  const { want } = c;
  const msePlayable = want !== 'progressive' && want !== 'hls';
  const hls = c.canPlayType(HLS.mimeType) !== '';
  if ((want === null || want === 'packets') && c.packets) {
    return { kind: 'packets', label: 'Low latency · WebCodecs Opus' };
  }
  if (msePlayable && c.MediaSource?.isTypeSupported(WEBM_OPUS_MSE_MIME)) {
    return {
      kind: 'mse',
      label: 'MSE · WebM/Opus',
      MediaSource: c.MediaSource,
      managed: false,
      airplayHls: false,
    };
  }
  if (msePlayable && !c.skipManaged && c.ManagedMediaSource?.isTypeSupported(WEBM_OPUS_MSE_MIME)) {
    return {
      kind: 'mse',
      label: `ManagedMediaSource · WebM/Opus${hls ? ' (AirPlay: HLS)' : ''}`,
      MediaSource: c.ManagedMediaSource,
      managed: true,
      airplayHls: hls,
    };
  }
  if (want !== 'progressive' && hls && (want === 'hls' || c.MediaSource === undefined)) {
    return { kind: 'hls', label: NATIVE_HLS_LABEL };
  }
  return c.canPlayType(OGG_OPUS_TYPE) !== ''
    ? { kind: 'progressive', label: 'Plain <audio> · Ogg/Opus (no MediaSource)', container: 'ogg' }
    : { kind: 'progressive', label: 'Plain <audio> · WebM/Opus (no MediaSource)', container: 'webm' };
}

let detected: PlaybackPath | undefined;
let skipPackets = false;
let skipManaged = false;

function requested(): PlayerName | null {
  try {
    return requestedPlayer(location.search);
  } catch {
    return null;
  }
}

/**
 * `path` failed before it ever played (the packets player: an Opus config WebCodecs refuses;
 * ManagedMediaSource: WebM/Opus it says it takes and does not play): the next rung from now on.
 * Returns whether there was a rung to skip.
 */
export function demotePlaybackPath(path: PlaybackPath): boolean {
  if (path.kind === 'packets') skipPackets = true;
  else if (path.kind === 'mse' && path.managed) skipManaged = true;
  else return false;
  detected = undefined;
  return true;
}

/** This browser's rung (see `choosePlaybackPath`), detected once. */
export function detectPlaybackPath(): PlaybackPath {
  if (detected) return detected;
  const g = globalThis as { MediaSource?: typeof MediaSource; ManagedMediaSource?: typeof MediaSource };
  const probe = typeof document === 'undefined' ? null : document.createElement('audio');
  detected = choosePlaybackPath({
    want: requested(),
    packets: !skipPackets && packetsPlayerSupported(),
    MediaSource: g.MediaSource,
    ManagedMediaSource: g.ManagedMediaSource,
    skipManaged,
    canPlayType: (type) => probe?.canPlayType(type) ?? '',
  });
  return detected;
}
