/** `?player=`: the rung names the listener page takes, `lowlat` still meaning the packets player. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { requestedPlayer } from '../../../src/listen/media-support.js';

describe('requestedPlayer', () => {
  it('takes the rung names', () => {
    assert.equal(requestedPlayer('?player=packets'), 'packets');
    assert.equal(requestedPlayer('?player=mse'), 'mse');
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
