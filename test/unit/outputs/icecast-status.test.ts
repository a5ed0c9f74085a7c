import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { audioInfoFields } from '../../../src/server/outputs/icecast-status.js';

describe('icecast-status audioInfoFields', () => {
  it('splits ice-audio-info into fields as Icecast 2.4 does: unescaped, capped, never over our own', () => {
    assert.deepEqual(
      audioInfoFields(
        'ice-samplerate=44100;ice-bitrate=128;;bad;title=a%20b;listeners=9',
        new Set(['listeners']),
      ),
      { 'ice-samplerate': '44100', 'ice-bitrate': '128', title: 'a b' },
    );
    assert.deepEqual(audioInfoFields(`k=${'v'.repeat(300)}`, new Set()), { k: 'v'.repeat(199) });
    assert.deepEqual(
      audioInfoFields('k=%E0%A4%A', new Set()),
      { k: '%E0%A4%A' },
      'kept when it cannot be unescaped',
    );
    const many = Array.from({ length: 50 }, (_, i) => `k${i}=${i}`).join(';');
    assert.equal(Object.keys(audioInfoFields(many, new Set())).length, 16);
  });
});
