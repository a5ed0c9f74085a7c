/**
 * The iPhone side of the ladder. The native-HLS rung: where the page has no classic MediaSource
 * (iPhone Safari) and the `<audio>` element says it plays HLS itself, it gets the mount's Low-Latency
 * HLS playlist (Opus in fMP4, iOS 17+): the element plays on with the screen locked and offers
 * AirPlay, which no Web Audio rung does. The session is the plain-element one
 * (`progressive-session.ts`) with the playlist as its source; nothing here loads a player library.
 * Beside it: the HLS playlist as ManagedMediaSource's AirPlay alternative, and the audio session a
 * Web Audio rung asks for.
 */
import { HLS } from '../shared/protocol.js';

export const NATIVE_HLS_LABEL = 'Native HLS · fMP4/Opus (no MediaSource)';

/**
 * Gives `audio` the MediaSource `objectUrl` as its source, with `hlsUrl` (the mount's HLS playlist)
 * after it as a second `<source>`: the AirPlay-playable alternative WebKit switches to when the
 * listener picks an AirPlay device, and without which a ManagedMediaSource only opens with remote
 * playback disabled (WebKit blog, "How to use Media Source Extensions with AirPlay", 2024). Remote
 * playback stays allowed. Returns the detach: both `<source>`s removed and the element reloaded empty.
 */
export function attachWithAirPlayAlternative(
  audio: HTMLMediaElement,
  objectUrl: string,
  hlsUrl: string,
): () => void {
  const doc = audio.ownerDocument;
  const media = doc.createElement('source');
  media.src = objectUrl;
  const airplay = doc.createElement('source');
  airplay.type = HLS.mimeType;
  airplay.src = hlsUrl;
  audio.removeAttribute('src');
  audio.disableRemotePlayback = false;
  audio.append(media, airplay);
  // A source child only takes effect through the element's load algorithm.
  audio.load();
  return () => {
    if (!media.isConnected && !airplay.isConnected) return;
    media.remove();
    airplay.remove();
    audio.load();
  };
}

/** The part of `navigator` this file uses: Safari 16.4+'s Audio Session API. */
interface AudioSessionNavigator {
  audioSession?: { type: string };
}

/**
 * Asks the engine (Safari 16.4+, `navigator.audioSession`) to treat the page's audio as playback, so a
 * Web Audio rung is not silenced when the screen locks. Does nothing where the API is missing.
 * Returns whether the type is now `playback`.
 */
export function preferPlaybackAudioSession(
  nav: AudioSessionNavigator | undefined = globalThis.navigator as AudioSessionNavigator | undefined,
): boolean {
  const session = nav?.audioSession;
  if (!session) return false;
  try {
    session.type = 'playback';
  } catch {
    // An engine that refuses the type keeps its default: nothing else to do.
  }
  return session.type === 'playback';
}
