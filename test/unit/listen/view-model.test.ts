/** describePage: what the listener page says and which buttons it shows, for every state it can be in. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PlayerError } from '../../../src/listen/player-error.js';
import { describePage, LIVE_TEXT, OFFLINE_TEXT, type PageInput } from '../../../src/listen/view-model.js';
import type { StatusMessage } from '../../../src/shared/protocol.js';

const OFFLINE: StatusMessage = {
  type: 'status',
  mount: 'live',
  state: 'offline',
  listeners: 0,
  title: null,
  startedAt: null,
  bytesIn: 0,
};
const LIVE: StatusMessage = {
  ...OFFLINE,
  state: 'live',
  startedAt: '2026-12-04T13:00:00.000Z',
  bytesIn: 4_096,
};

function input(over: Partial<PageInput>): PageInput {
  return {
    mountValid: true,
    status: OFFLINE,
    connection: 'open',
    statusError: null,
    autoplayChecked: true,
    armed: true,
    stopped: false,
    player: { phase: 'idle' },
    ...over,
  };
}

describe('describePage', () => {
  it('says the link is wrong for an invalid mount or a refused status request', () => {
    assert.equal(describePage(input({ mountValid: false })).statusText, 'No such stream');
    const refused = describePage(
      input({ statusError: { type: 'error', code: 'MOUNT_INVALID', message: 'bad name' } }),
    );
    assert.equal(refused.statusText, 'No such stream');
    assert.equal(refused.note, 'bad name');
  });

  it('says it is connecting before the first status', () => {
    const v = describePage(input({ status: null }));
    assert.equal(v.statusText, 'Connecting…');
    assert.equal(v.badge, 'unknown');
  });

  it('shows OFFLINE and asks for one tap when autoplay needs it', () => {
    const v = describePage(input({ armed: false }));
    assert.equal(v.statusText, OFFLINE_TEXT);
    assert.equal(v.badge, 'offline');
    assert.equal(v.showTap, true);
    assert.match(v.note, /Tap once now/);
  });

  it('waits for the host without a button once armed', () => {
    const v = describePage(input({}));
    assert.equal(v.statusText, OFFLINE_TEXT);
    assert.equal(v.showTap, false);
    assert.equal(v.toggle, null);
    assert.match(v.note, /Waiting for the host/);
  });

  it('offers Play after the listener stopped, offline or live', () => {
    assert.equal(describePage(input({ stopped: true })).toggle, 'play');
    const live = describePage(input({ status: LIVE, stopped: true }));
    assert.equal(live.toggle, 'play');
    assert.equal(live.note, 'Stopped.');
  });

  it('adds that the server is lost while the status socket reconnects', () => {
    const v = describePage(input({ connection: 'closed' }));
    assert.match(v.note, /Lost the server; reconnecting…$/);
    assert.match(describePage(input({ status: LIVE, connection: 'connecting' })).note, /Lost the server/);
  });

  it('shows the started text with the player phase as the note', () => {
    const note = (player: PageInput['player']): string => describePage(input({ status: LIVE, player })).note;
    assert.equal(describePage(input({ status: LIVE })).statusText, LIVE_TEXT);
    assert.equal(describePage(input({ status: LIVE })).badge, 'live');
    assert.equal(note({ phase: 'connecting' }), 'Connecting to the stream…');
    assert.equal(note({ phase: 'playing' }), 'Playing live.');
    assert.equal(note({ phase: 'stalled', reason: 'catching-up' }), 'Catching up…');
    assert.equal(note({ phase: 'stalled', reason: 'reconnecting' }), 'Reconnecting…');
    assert.equal(note({ phase: 'retrying', error: null }), 'Connecting to the stream…');
    assert.equal(note({ phase: 'retrying', error: new PlayerError('NETWORK', 'x') }), 'Reconnecting…');
  });

  it('never says playing while the player is stalled', () => {
    for (const reason of ['catching-up', 'reconnecting'] as const) {
      const v = describePage(input({ status: LIVE, player: { phase: 'stalled', reason } }));
      assert.notEqual(v.note, 'Playing live.');
      assert.equal(v.toggle, 'stop');
    }
  });

  it('asks for a tap when autoplay blocked the element, and hides Stop', () => {
    const v = describePage(input({ status: LIVE, player: { phase: 'paused', reason: 'blocked' } }));
    assert.equal(v.showTap, true);
    assert.equal(v.toggle, null);
    assert.match(v.note, /needs a tap/);
    assert.equal(
      describePage(input({ status: LIVE, player: { phase: 'paused', reason: 'paused' } })).note,
      'Paused.',
    );
  });

  it('asks for a tap before playing live when autoplay is not armed', () => {
    const v = describePage(input({ status: LIVE, armed: false }));
    assert.equal(v.showTap, true);
    assert.equal(v.toggle, null);
  });

  it('offers Try again with the reason after the player gave up', () => {
    const v = describePage(
      input({ status: LIVE, player: { phase: 'failed', error: new PlayerError('STALLED', 'no bytes') } }),
    );
    assert.equal(v.showRetry, true);
    assert.equal(v.toggle, null);
    assert.equal(v.note, "Can't play the stream: no bytes.");
  });
});
