/** Live-edge control: keeps playback a fraction of a second behind live, by rate changes rather than seeks. */

/**
 * The margin the MSE buffer's trough aims at, at first (BufferTarget learns it from then on: the
 * trough is the buffer just before new bytes land). Chromium holds ≈ 0.24 s on its own; a trough of
 * 0.15 s with 60–120 ms chunks puts the mean near the old 0.2 s target (bench/latency).
 */
export const START_TARGET_S = 0.15;
export const MIN_TARGET_S = 0.08;
/** The margin never grows past this (a stall a phone can ride out). */
export const MAX_TARGET_S = 1.5;
/** An excess (trough above the margin) this large is skipped at once: a stall's backlog, not piled up. */
export const SKIP_EXCESS_S = 0.5;
/** Buffer ahead beyond which we jump whatever the history says (a backgrounded tab). */
export const MAX_AHEAD_S = 4;
/** Where that jump lands, behind the end of the buffer. */
export const JUMP_BEHIND_EDGE_S = 0.3;
/** An excess above this plays off at CATCH_UP_RATE. */
export const CATCH_UP_EXCESS_S = 0.04;
/**
 * Playback rate while catching up. Measured in Chromium (MSE, 100 ms chunks): rate 1.1 while the buffer
 * is over target cut glass-to-glass from about 355 to 293 ms with no rebuffer, where seeking to the live
 * edge cut it to about 280 ms but with audible dropouts (about 20 in 10 s).
 */
export const CATCH_UP_RATE = 1.1;
/** A nudge moves a playhead that holds audio but does not play it this far (hls.js nudges by 0.1 s). */
export const NUDGE_S = 0.05;
/** Back buffer kept behind the playhead; older media is removed. */
export const BACK_BUFFER_S = 10;

export interface LiveEdgeDecision {
  /** Time to seek to, or null to stay. */
  seekTo: number | null;
  playbackRate: number;
  /** Seconds of audio the seek skips (0 without a seek). */
  skippedS: number;
}

/**
 * What to do with `aheadS` buffered ahead of `currentS`, the buffer ending at `edgeS`, when the trough
 * is `excessS` above the margin (null: not known yet).
 */
export function decideLiveEdge(
  currentS: number,
  aheadS: number,
  edgeS: number,
  excessS: number | null,
): LiveEdgeDecision {
  if (aheadS > MAX_AHEAD_S) {
    const seekTo = edgeS - JUMP_BEHIND_EDGE_S;
    return { seekTo, playbackRate: 1, skippedS: seekTo - currentS };
  }
  if (excessS === null) return { seekTo: null, playbackRate: 1, skippedS: 0 };
  if (excessS > SKIP_EXCESS_S && excessS < aheadS) {
    return { seekTo: currentS + excessS, playbackRate: 1, skippedS: excessS };
  }
  if (excessS > CATCH_UP_EXCESS_S) return { seekTo: null, playbackRate: CATCH_UP_RATE, skippedS: 0 };
  return { seekTo: null, playbackRate: 1, skippedS: 0 };
}

/** End of the buffered media (seconds), or null when nothing is buffered. */
export function bufferedEnd(media: HTMLMediaElement): number | null {
  const b = media.buffered;
  return b.length > 0 ? b.end(b.length - 1) : null;
}

/** Seconds buffered ahead of the playhead (the player's latency share), or null when nothing is buffered. */
export function bufferAhead(media: HTMLMediaElement): number | null {
  const end = bufferedEnd(media);
  return end === null ? null : Math.max(0, end - media.currentTime);
}

/**
 * Applies {@link decideLiveEdge} to `media`; returns the seconds of audio skipped or played off early
 * since the last call (so the caller's trough history can be lowered by as much). Also used while
 * paused, so a paused buffer stays bounded.
 */
export function steerToLiveEdge(media: HTMLMediaElement, excessS: number | null, sinceS: number): number {
  const end = bufferedEnd(media);
  if (end === null || media.seeking) return 0;
  // What the last period's rate already played off.
  const playedOff = media.paused ? 0 : (media.playbackRate - 1) * sinceS;
  const d = decideLiveEdge(media.currentTime, end - media.currentTime, end, excessS);
  if (d.seekTo !== null) media.currentTime = d.seekTo;
  if (media.playbackRate !== d.playbackRate) media.playbackRate = d.playbackRate;
  return playedOff + d.skippedS;
}

/** If the playhead sits before the buffered media (a late joiner's first Cluster), moves it to the start. */
export function seekIntoBuffer(media: HTMLMediaElement): void {
  const b = media.buffered;
  if (b.length > 0 && media.currentTime < b.start(0)) media.currentTime = b.start(0);
}

/** Back-buffer range older than `keepS` behind the playhead, or null when there is none worth removing. */
export function backBufferRange(media: HTMLMediaElement, keepS: number): readonly [number, number] | null {
  const b = media.buffered;
  if (b.length === 0) return null;
  const start = b.start(0);
  const end = media.currentTime - keepS;
  return end - start > 0.5 ? [start, end] : null;
}
