import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseRequestHead } from '../../../src/server/ingest/http-head.js';
import { isTlsUpgradeProbe, streamInfo } from '../../../src/server/ingest/icecast-source.js';

function head(text: string) {
  const h = parseRequestHead(Buffer.from(text, 'latin1'));
  assert.ok(h, text);
  return h;
}

describe('icecast-source', () => {
  it("recognises libshout's TLS probe and other TLS upgrades, not WebSocket or h2c ones", () => {
    assert.ok(
      isTlsUpgradeProbe(head('OPTIONS * HTTP/1.1\r\nConnection: Upgrade\r\nUpgrade: TLS/1.0, HTTP/1.1\r\n')),
    );
    assert.ok(isTlsUpgradeProbe(head('OPTIONS * HTTP/1.1\r\nUpgrade: HTTP/2.0, tls/1.2\r\n')));
    assert.ok(!isTlsUpgradeProbe(head('OPTIONS * HTTP/1.1\r\nUpgrade: websocket\r\n')));
    assert.ok(!isTlsUpgradeProbe(head('OPTIONS * HTTP/1.1\r\nUpgrade: h2c\r\n')));
    assert.ok(!isTlsUpgradeProbe(head('OPTIONS * HTTP/1.1\r\nX-Upgrade: TLS/1.0\r\n')));
  });

  it('reads the ice-* headers (icy-* and x-audiocast-* as fallbacks), each capped', () => {
    const info = streamInfo(
      head(
        'SOURCE /m HTTP/1.0\r\nice-name: Radio\r\nicy-name: Other\r\nicy-genre: jazz\r\nice-public: 1\r\n' +
          `x-audiocast-description: ${'d'.repeat(600)}\r\nicy-br: 128\r\nice-audio-info: ice-channels=2\r\n`,
      ),
      'audio/ogg',
    );
    assert.equal(info.name, 'Radio');
    assert.equal(info.genre, 'jazz');
    assert.equal(info.public, 1);
    assert.equal(info.description?.length, 500);
    assert.equal(info.bitrate, '128');
    assert.equal(info.audioInfo, 'ice-channels=2');
    assert.equal(info.sourceType, 'audio/ogg');
    assert.equal(streamInfo(head('PUT /m HTTP/1.1\r\nice-public: yes\r\n'), 'audio/ogg').public, 0);
    assert.deepEqual(streamInfo(head('PUT /m HTTP/1.1\r\n'), 'audio/webm'), { sourceType: 'audio/webm' });
  });
});
