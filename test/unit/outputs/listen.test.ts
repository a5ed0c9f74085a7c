/** Which outputs a mount has: an MP3/AAC mount only its own frames, an Opus mount every Opus output. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Mount } from '../../../src/server/hub/mount.js';
import { formatError, listenContainer, listenHeaders } from '../../../src/server/outputs/listen.js';

function mountOf(sourceType: string): Mount {
  const m = new Mount({ name: 'm', burstBytes: 65536, onChange: () => {} });
  m.begin({ init: new Uint8Array(0), title: null, info: { sourceType }, origin: 'local', output: 'mpeg' });
  return m;
}

describe('listen outputs', () => {
  it('gives an MP3 mount /<mount> and .mp3 only; 415 for the Opus outputs and .aac', () => {
    const m = mountOf('audio/mpeg');
    for (const ext of [undefined, '.mp3']) {
      assert.equal(formatError(m, ext), null);
      assert.equal(listenContainer(ext, m), 'mpeg');
    }
    for (const ext of ['.webm', '.ogg', '.opus', '.oga', '.pkt', '.m3u8', '.aac']) {
      assert.equal(formatError(m, ext)?.code, 'LISTEN_FORMAT_UNAVAILABLE', ext);
      assert.equal(formatError(m, ext)?.status, 415);
    }
  });

  it('gives an AAC mount .aac (audio/aacp kept as the source named it), not .mp3', () => {
    const m = mountOf('audio/aacp');
    assert.equal(formatError(m, '.aac'), null);
    assert.equal(formatError(m, '.mp3')?.code, 'LISTEN_FORMAT_UNAVAILABLE');
    assert.equal(listenHeaders(m, 'mpeg')['content-type'], 'audio/aacp');
  });

  it('refuses .mp3 and .aac of an Opus mount, and nothing else', () => {
    for (const type of ['audio/webm', 'audio/ogg']) {
      const m = mountOf(type);
      for (const ext of [undefined, '.webm', '.ogg', '.pkt', '.m3u8'])
        assert.equal(formatError(m, ext), null);
      for (const ext of ['.mp3', '.aac'])
        assert.equal(formatError(m, ext)?.code, 'LISTEN_FORMAT_UNAVAILABLE');
    }
  });

  it('sends icy-metaint only to an MP3/AAC listener that asked, and the icy-* headers Icecast sends', () => {
    const m = mountOf('audio/mpeg');
    m.info.name = 'Station';
    m.info.frames = { channels: 2, sampleRate: 44100, bitrateKbps: 128 };
    const asked = listenHeaders(m, 'mpeg', true);
    assert.equal(asked['icy-metaint'], '16000');
    assert.equal(asked['icy-br'], '128');
    assert.equal(asked['icy-name'], 'Station');
    assert.equal(asked['icy-pub'], '0');
    assert.equal(listenHeaders(m, 'mpeg', false)['icy-metaint'], undefined);
    assert.equal(listenHeaders(mountOf('audio/ogg'), 'ogg', true)['icy-metaint'], undefined);
  });
});
