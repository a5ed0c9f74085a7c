/** Live-edge control: keeps playback a fraction of a second behind live, by rate changes rather than seeks. */

/**
 * Buffer the MSE player keeps beyond the latency the arrivals' delays need (BufferTarget learns
 * those): Chromium's renderer wants some audio ahead of the playhead to play on at all.
 */
export const MARGIN_S = 0.1;
/** The delivery interval assumed until one is known (a browser broadcaster's chunks: 60–120 ms). */
export const DEFAULT_INTERVAL_S = 0.1;
/** The buffer never adds more than this over the least delayed arrival (a stall a phone can ride out). */
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
/**
 * Playback rate while the latency is short of what the arrivals need by more than
 * CATCH_UP_EXCESS_S: the buffer builds up gently instead of waiting for an underrun to do it.
 */
export const SLOW_DOWN_RATE = 0.95;
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
  if (excessS < -CATCH_UP_EXCESS_S) return { seekTo: null, playbackRate: SLOW_DOWN_RATE, skippedS: 0 };
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
 * Applies {@link decideLiveEdge} to `media` (the excess is measured against its playhead, so what a
 * seek or a faster rate plays off shows in the next one by itself). Also used while paused, so a
 * paused buffer stays bounded.
 */
export function steerToLiveEdge(media: HTMLMediaElement, excessS: number | null): void {
  const end = bufferedEnd(media);
  if (end === null || media.seeking) return;
  const d = decideLiveEdge(media.currentTime, end - media.currentTime, end, excessS);
  if (d.seekTo !== null) media.currentTime = d.seekTo;
  if (media.playbackRate !== d.playbackRate) media.playbackRate = d.playbackRate;
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
