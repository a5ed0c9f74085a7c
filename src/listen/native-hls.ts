/**
 * The iPhone rung: where the page has no classic MediaSource (iPhone Safari) and the `<audio>` element
 * says it plays HLS itself, it gets the mount's Low-Latency HLS playlist (Opus in fMP4, iOS 17+): the
 * element plays on with the screen locked and offers AirPlay, which no Web Audio rung does. The
 * session is the plain-element one (`progressive-session.ts`) with the playlist as its source.
 * Nothing here loads a player library: the engine's own HLS player plays it.
 */
import { HLS } from '../shared/protocol.js';

export const NATIVE_HLS_LABEL = 'Native HLS · fMP4/Opus (no MediaSource)';

/**
 * No classic MediaSource (or `forced`: `?player=hls`), and an element that answers `canPlayType` for
 * the HLS type.
 */
export function nativeHlsSupported(forced = false): boolean {
  if (typeof document === 'undefined') return false;
  if (!forced && (globalThis as { MediaSource?: unknown }).MediaSource !== undefined) return false;
  return document.createElement('audio').canPlayType(HLS.mimeType) !== '';
}

/**
 * Asks the engine (Safari 16.4+, `navigator.audioSession`) to treat the page's audio as playback, so a
 * Web Audio rung is not silenced when the screen locks. Does nothing where the API is missing.
 */
export function preferPlaybackAudioSession(): void {
  const session = (globalThis.navigator as { audioSession?: { type: string } } | undefined)?.audioSession;
  if (!session) return;
  try {
    session.type = 'playback';
  } catch {
    // An engine that refuses the type keeps its default: nothing else to do.
  }
}
