/** Live-edge control: the decision (pure) and what it does to a media element's playhead and rate. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  backBufferRange,
  bufferAhead,
  bufferedEnd,
  CATCH_UP_EXCESS_S,
  CATCH_UP_RATE,
  decideLiveEdge,
  JUMP_BEHIND_EDGE_S,
  MAX_AHEAD_S,
  SKIP_EXCESS_S,
  SLOW_DOWN_RATE,
  seekIntoBuffer,
  steerToLiveEdge,
} from '../../../src/listen/live-edge.js';

/** The parts of an HTMLMediaElement live-edge.ts reads and writes. */
interface FakeMedia {
  buffered: { length: number; start(i: number): number; end(i: number): number };
  currentTime: number;
  paused: boolean;
  seeking: boolean;
  playbackRate: number;
}

function media(
  ranges: Array<[number, number]>,
  currentTime: number,
  more: Partial<FakeMedia> = {},
): FakeMedia {
  return {
    buffered: {
      length: ranges.length,
      start: (i) => (ranges[i] as [number, number])[0],
      end: (i) => (ranges[i] as [number, number])[1],
    },
    currentTime,
    paused: false,
    seeking: false,
    playbackRate: 1,
    ...more,
  };
}

const asMedia = (m: FakeMedia): HTMLMediaElement => m as unknown as HTMLMediaElement;

describe('decideLiveEdge', () => {
  it('stays at rate 1 while the trough is not known yet', () => {
    assert.deepEqual(decideLiveEdge(10, 0.3, 10.3, null), { seekTo: null, playbackRate: 1, skippedS: 0 });
  });

  it('stays at rate 1 when the trough is at the margin', () => {
    assert.deepEqual(decideLiveEdge(10, 0.3, 10.3, CATCH_UP_EXCESS_S / 2), {
      seekTo: null,
      playbackRate: 1,
      skippedS: 0,
    });
  });

  it('plays a small excess off at the catch-up rate', () => {
    const d = decideLiveEdge(10, 0.5, 10.5, CATCH_UP_EXCESS_S + 0.01);
    assert.deepEqual(d, { seekTo: null, playbackRate: CATCH_UP_RATE, skippedS: 0 });
  });

  it('slows down a little when the latency is short of what the arrivals need', () => {
    const d = decideLiveEdge(10, 0.2, 10.2, -CATCH_UP_EXCESS_S - 0.01);
    assert.deepEqual(d, { seekTo: null, playbackRate: SLOW_DOWN_RATE, skippedS: 0 });
    assert.equal(decideLiveEdge(10, 0.2, 10.2, -CATCH_UP_EXCESS_S / 2).playbackRate, 1);
  });

  it('skips a stall backlog larger than SKIP_EXCESS_S at once, by exactly the excess', () => {
    const excess = SKIP_EXCESS_S + 0.2;
    assert.deepEqual(decideLiveEdge(10, 1.5, 11.5, excess), {
      seekTo: 10 + excess,
      playbackRate: 1,
      skippedS: excess,
    });
  });

  it('does not skip past the buffer: an excess beyond what is held is played off instead', () => {
    const d = decideLiveEdge(10, 0.6, 10.6, 0.7);
    assert.equal(d.seekTo, null);
    assert.equal(d.playbackRate, CATCH_UP_RATE);
  });

  it('jumps close to the edge when far too much is buffered, whatever the trough says', () => {
    const ahead = MAX_AHEAD_S + 1;
    const d = decideLiveEdge(10, ahead, 10 + ahead, null);
    assert.equal(d.seekTo, 10 + ahead - JUMP_BEHIND_EDGE_S);
    assert.equal(d.playbackRate, 1);
    assert.ok(Math.abs(d.skippedS - (ahead - JUMP_BEHIND_EDGE_S)) < 1e-9);
  });
});

describe('steerToLiveEdge', () => {
  it('seeks a playing element past a backlog', () => {
    const m = media([[0, 12]], 10);
    steerToLiveEdge(asMedia(m), 0.8);
    assert.equal(m.currentTime, 10.8);
    assert.equal(m.playbackRate, 1);
  });

  it('plays a small excess off at the catch-up rate, and goes back to rate 1 once it is unknown', () => {
    const m = media([[0, 10.5]], 10);
    steerToLiveEdge(asMedia(m), 0.1);
    assert.equal(m.playbackRate, CATCH_UP_RATE);
    steerToLiveEdge(asMedia(m), null);
    assert.equal(m.playbackRate, 1);
  });

  it('leaves a seeking or empty element alone', () => {
    const seeking = media([[0, 20]], 10, { seeking: true });
    steerToLiveEdge(asMedia(seeking), 2);
    assert.equal(seeking.currentTime, 10);
    const empty = media([], 0);
    steerToLiveEdge(asMedia(empty), 2);
    assert.equal(empty.currentTime, 0);
  });
});

describe('buffer helpers', () => {
  it('measure the buffer end and what is held ahead of the playhead', () => {
    const m = media(
      [
        [0, 3],
        [4, 6.5],
      ],
      6,
    );
    assert.equal(bufferedEnd(asMedia(m)), 6.5);
    assert.equal(bufferAhead(asMedia(m)), 0.5);
    assert.equal(bufferedEnd(asMedia(media([], 0))), null);
    assert.equal(bufferAhead(asMedia(media([], 0))), null);
    assert.equal(bufferAhead(asMedia(media([[0, 1]], 2))), 0, 'never negative');
  });

  it('move a playhead that sits before the first buffered range (a late joiner) to its start', () => {
    const m = media([[41.2, 42]], 0);
    seekIntoBuffer(asMedia(m));
    assert.equal(m.currentTime, 41.2);
    const inside = media([[41.2, 42]], 41.5);
    seekIntoBuffer(asMedia(inside));
    assert.equal(inside.currentTime, 41.5);
  });

  it('name the back buffer older than keepS, only when more than half a second would go', () => {
    assert.deepEqual(backBufferRange(asMedia(media([[0, 30]], 25)), 10), [0, 15]);
    assert.equal(backBufferRange(asMedia(media([[0, 30]], 10.4)), 10), null);
    assert.equal(backBufferRange(asMedia(media([], 25)), 10), null);
  });
});
