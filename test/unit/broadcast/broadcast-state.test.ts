/** The broadcaster page's state machine: each action moves only the phase it fits. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  type BroadcastAction,
  type BroadcastState,
  broadcastReducer,
  INITIAL_STATE,
  isBusy,
} from '../../../src/broadcast/broadcast-state.js';
import { BroadcastError } from '../../../src/broadcast/errors.js';

const MIC = { id: 'mic-1' } as unknown as MediaStream;
const KEY_ERROR = new BroadcastError('BAD_KEY', 'The stream key is wrong.');

function run(actions: BroadcastAction[], from: BroadcastState = INITIAL_STATE): BroadcastState {
  return actions.reduce(broadcastReducer, from);
}

describe('broadcastReducer', () => {
  it('goes ready → starting → live → stopping → stopped, keeping the times and the final byte count', () => {
    const live = run([{ type: 'start' }, { type: 'live', mic: MIC, atMs: 1_000 }]);
    assert.equal(live.phase, 'live');
    assert.equal(live.liveMic, MIC);
    assert.equal(live.liveSince, 1_000);
    const stopped = run(
      [{ type: 'server-bytes', bytesIn: 5_000 }, { type: 'stopping', atMs: 9_000 }, { type: 'stopped' }],
      live,
    );
    assert.equal(stopped.phase, 'stopped');
    assert.equal(stopped.liveMic, null);
    assert.equal(stopped.liveUntil, 9_000);
    assert.equal(stopped.serverBytesIn, 5_000, 'the final count stays on screen');
  });

  it('clears the last broadcast’s error, figures and times when Go live is pressed again', () => {
    const failed = run([
      { type: 'start' },
      { type: 'live', mic: MIC, atMs: 1_000 },
      { type: 'server-bytes', bytesIn: 300 },
      { type: 'failed', error: KEY_ERROR, atMs: 2_000 },
    ]);
    assert.equal(failed.phase, 'error');
    assert.equal(failed.liveMic, null);
    const again = broadcastReducer(failed, { type: 'start' });
    assert.deepEqual(
      [again.phase, again.error, again.serverBytesIn, again.liveSince, again.liveUntil, again.progress],
      ['starting', null, null, null, null, null],
    );
  });

  it('ignores Go live while a broadcast is under way', () => {
    for (const phase of ['starting', 'live', 'stopping'] as const) {
      const s = { ...INITIAL_STATE, phase };
      assert.equal(isBusy(phase), true);
      assert.equal(broadcastReducer(s, { type: 'start' }), s);
    }
  });

  it('does not go live after the start failed or was cancelled (a late answer)', () => {
    const refused = run([{ type: 'start' }, { type: 'start-failed', error: KEY_ERROR }]);
    assert.equal(refused.phase, 'error');
    assert.equal(refused.error, KEY_ERROR);
    assert.equal(broadcastReducer(refused, { type: 'live', mic: MIC, atMs: 1 }), refused);
    const cancelled = run([{ type: 'start' }, { type: 'cancelled' }]);
    assert.equal(cancelled.phase, 'stopped');
    assert.equal(broadcastReducer(cancelled, { type: 'live', mic: MIC, atMs: 1 }), cancelled);
  });

  it('takes a failure while starting or live, not after the broadcast stopped', () => {
    const starting = run([{ type: 'start' }, { type: 'failed', error: KEY_ERROR, atMs: 5 }]);
    assert.equal(starting.phase, 'error');
    const stopped = run([
      { type: 'start' },
      { type: 'live', mic: MIC, atMs: 1 },
      { type: 'stopping', atMs: 2 },
      { type: 'stopped' },
    ]);
    assert.equal(broadcastReducer(stopped, { type: 'failed', error: KEY_ERROR, atMs: 3 }), stopped);
  });

  it('mutes only a live microphone', () => {
    assert.equal(broadcastReducer(INITIAL_STATE, { type: 'muted', muted: true }).muted, false);
    const live = run([
      { type: 'start' },
      { type: 'live', mic: MIC, atMs: 1 },
      { type: 'muted', muted: true },
    ]);
    assert.equal(live.muted, true);
    assert.equal(run([{ type: 'stopping', atMs: 2 }, { type: 'stopped' }], live).muted, false);
  });

  it('shows a pre-flight block only while idle, and a new mount clears it', () => {
    const blocked = broadcastReducer(INITIAL_STATE, { type: 'blocked', error: KEY_ERROR });
    assert.equal(blocked.phase, 'error');
    const ready = broadcastReducer(blocked, { type: 'mount' });
    assert.deepEqual([ready.phase, ready.error], ['ready', null]);
    const live = run([{ type: 'start' }, { type: 'live', mic: MIC, atMs: 1 }]);
    assert.equal(broadcastReducer(live, { type: 'blocked', error: KEY_ERROR }), live);
    assert.equal(broadcastReducer(live, { type: 'mount' }), live);
  });

  it('shows an error beside the broadcast (the microphone test) without changing the phase', () => {
    const live = run([
      { type: 'start' },
      { type: 'live', mic: MIC, atMs: 1 },
      { type: 'error', error: KEY_ERROR },
    ]);
    assert.equal(live.phase, 'live');
    assert.equal(live.error, KEY_ERROR);
  });
});
