/**
 * The listener's ladder with fake capabilities: which rung a browser gets (`choosePlaybackPath`),
 * `?player=` (`requestedPlayer`), and the audio session a Web Audio rung asks for.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { PlaybackCapabilities } from '../../../src/listen/media-support.js';
import { choosePlaybackPath, requestedPlayer } from '../../../src/listen/media-support.js';
import { preferPlaybackAudioSession } from '../../../src/listen/native-hls.js';
import { HLS, WEBM_OPUS_MSE_MIME } from '../../../src/shared/protocol.js';

/** A MediaSource constructor that takes WebM/Opus (or not). */
function fakeMediaSource(webmOpus: boolean): typeof MediaSource {
  return { isTypeSupported: (type: string) => webmOpus && type === WEBM_OPUS_MSE_MIME } as typeof MediaSource;
}

/** An element that plays what `types` names ("maybe"), nothing else. */
function canPlay(...types: string[]): (type: string) => string {
  return (type) => (types.includes(type) ? 'maybe' : '');
}

const OGG = 'audio/ogg; codecs="opus"';

/** Capabilities of the browsers the README's rung table names (from vendor documentation for Apple's). */
const BROWSERS: Record<string, PlaybackCapabilities> = {
  'Chromium on a secure page': {
    want: null,
    packets: true,
    MediaSource: fakeMediaSource(true),
    canPlayType: canPlay(OGG, HLS.mimeType),
  },
  'Chromium on plain http://': {
    want: null,
    packets: false,
    MediaSource: fakeMediaSource(true),
    canPlayType: canPlay(OGG, HLS.mimeType),
  },
  'iPhone iOS 16 (no MediaSource of any kind)': {
    want: null,
    packets: false,
    canPlayType: canPlay(HLS.mimeType),
  },
  'iPhone iOS 17.1–18 (ManagedMediaSource that takes WebM/Opus)': {
    want: null,
    packets: false,
    ManagedMediaSource: fakeMediaSource(true),
    canPlayType: canPlay(HLS.mimeType, OGG),
  },
  'iPhone iOS 17.1–18 (ManagedMediaSource that refuses WebM/Opus)': {
    want: null,
    packets: false,
    ManagedMediaSource: fakeMediaSource(false),
    canPlayType: canPlay(HLS.mimeType),
  },
  'iPhone iOS 26 on a secure page': {
    want: null,
    packets: true,
    ManagedMediaSource: fakeMediaSource(true),
    canPlayType: canPlay(HLS.mimeType, OGG),
  },
  'WebKitGTK without opusparse, ?player=mse (MSE refuses WebM/Opus)': {
    want: 'mse',
    packets: true,
    MediaSource: fakeMediaSource(false),
    canPlayType: canPlay(HLS.mimeType, OGG),
  },
};

function rung(name: string, extra: Partial<PlaybackCapabilities> = {}): string {
  const caps = BROWSERS[name];
  assert.ok(caps, name);
  const path = choosePlaybackPath({ ...caps, ...extra });
  if (path.kind === 'mse') return `${path.managed ? 'managed' : 'mse'}${path.airplayHls ? '+airplay' : ''}`;
  if (path.kind === 'progressive') return `progressive-${path.container}`;
  return path.kind;
}

describe('choosePlaybackPath', () => {
  it('gives each browser its rung', () => {
    assert.equal(rung('Chromium on a secure page'), 'packets');
    assert.equal(rung('Chromium on plain http://'), 'mse');
    assert.equal(rung('iPhone iOS 16 (no MediaSource of any kind)'), 'hls');
    assert.equal(rung('iPhone iOS 17.1–18 (ManagedMediaSource that takes WebM/Opus)'), 'managed+airplay');
    assert.equal(rung('iPhone iOS 17.1–18 (ManagedMediaSource that refuses WebM/Opus)'), 'hls');
    assert.equal(rung('iPhone iOS 26 on a secure page'), 'packets');
    assert.equal(rung('WebKitGTK without opusparse, ?player=mse (MSE refuses WebM/Opus)'), 'progressive-ogg');
  });

  it('gives ManagedMediaSource the HLS playlist as AirPlay alternative only where the element plays HLS', () => {
    const name = 'iPhone iOS 17.1–18 (ManagedMediaSource that takes WebM/Opus)';
    assert.equal(rung(name, { canPlayType: canPlay(OGG) }), 'managed');
    const path = choosePlaybackPath(BROWSERS[name] as PlaybackCapabilities);
    assert.match(path.label, /^ManagedMediaSource · WebM\/Opus \(AirPlay: HLS\)$/);
  });

  it('takes native HLS after ManagedMediaSource failed here', () => {
    assert.equal(
      rung('iPhone iOS 17.1–18 (ManagedMediaSource that takes WebM/Opus)', { skipManaged: true }),
      'hls',
    );
  });

  it('never takes the element’s HLS by itself where there is a classic MediaSource', () => {
    // Chromium and WebKitGTK say "maybe" to HLS; WebKitGTK's GStreamer HLS is off by default.
    assert.equal(
      rung('Chromium on plain http://', { MediaSource: fakeMediaSource(false) }),
      'progressive-ogg',
    );
  });

  it('follows ?player=', () => {
    assert.equal(rung('Chromium on a secure page', { want: 'hls' }), 'hls');
    assert.equal(rung('Chromium on a secure page', { want: 'mse' }), 'mse');
    assert.equal(rung('Chromium on a secure page', { want: 'progressive' }), 'progressive-ogg');
    assert.equal(
      rung('iPhone iOS 16 (no MediaSource of any kind)', { want: 'progressive' }),
      'progressive-webm',
    );
    assert.equal(rung('iPhone iOS 26 on a secure page', { want: 'mse' }), 'managed+airplay');
    // Asked for where the element has no HLS: the rung below.
    assert.equal(
      rung('Chromium on a secure page', { want: 'hls', canPlayType: canPlay(OGG) }),
      'progressive-ogg',
    );
  });
});

describe('preferPlaybackAudioSession', () => {
  it('sets navigator.audioSession.type to playback where there is one', () => {
    const nav = { audioSession: { type: 'auto' } };
    assert.equal(preferPlaybackAudioSession(nav), true);
    assert.equal(nav.audioSession.type, 'playback');
  });

  it('does nothing where there is none, or the engine refuses the type', () => {
    assert.equal(preferPlaybackAudioSession({}), false);
    const refusing = {
      audioSession: {
        get type() {
          return 'auto';
        },
        set type(_v: string) {
          throw new TypeError('not supported');
        },
      },
    };
    assert.equal(preferPlaybackAudioSession(refusing), false);
  });
});

describe('requestedPlayer', () => {
  it('takes the rung names', () => {
    assert.equal(requestedPlayer('?player=packets'), 'packets');
    assert.equal(requestedPlayer('?player=mse'), 'mse');
    assert.equal(requestedPlayer('?player=hls'), 'hls');
    assert.equal(requestedPlayer('?player=progressive'), 'progressive');
  });

  it('takes lowlat, the packets player’s old name, so old links keep working', () => {
    assert.equal(requestedPlayer('?player=lowlat'), 'packets');
  });

  it('ignores an unknown or missing name', () => {
    assert.equal(requestedPlayer(''), null);
    assert.equal(requestedPlayer('?player=flash'), null);
    assert.equal(requestedPlayer('?mount=live'), null);
  });
});
