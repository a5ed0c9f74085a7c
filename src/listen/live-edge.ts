/** Live-edge control: keeps playback a fraction of a second behind live, by rate changes rather than seeks. */

/**
 * Buffer ahead of the playhead we aim for at first; above it playback runs slightly fast. Chromium
 * holds ≈ 0.24 s on its own. 0.2 s measured 244–261 ms glass-to-glass with no rebuffering from the
 * browser broadcaster (bench/latency), against 350–365 ms uncontrolled.
 */
export const TARGET_AHEAD_S = 0.2;
/** Each rebuffer (a `waiting` event while playing) raises the target by this much: bursty sources get headroom. */
export const TARGET_STEP_S = 0.05;
/** The target never grows past this. */
export const MAX_TARGET_AHEAD_S = 0.5;
/** Buffer ahead beyond which we jump (a backgrounded tab, a stall): seeks cause dropouts, so only then. */
export const MAX_AHEAD_S = 1.5;
/** Where a jump lands, behind the end of the buffer. */
export const JUMP_BEHIND_EDGE_S = 0.3;
/** Playback rate while catching up; FIELD-NOTES §4: a gentle rate change plays without dropouts. */
export const CATCH_UP_RATE = 1.1;
/** Back buffer kept behind the playhead; older media is removed. */
export const BACK_BUFFER_S = 10;

export interface LiveEdgeDecision {
  /** Time to seek to, or null to stay. */
  seekTo: number | null;
  playbackRate: number;
}

/** What to do with `aheadS` seconds buffered ahead of the playhead and the buffer ending at `edgeS`. */
export function decideLiveEdge(aheadS: number, edgeS: number, targetS = TARGET_AHEAD_S): LiveEdgeDecision {
  if (aheadS > MAX_AHEAD_S) return { seekTo: edgeS - JUMP_BEHIND_EDGE_S, playbackRate: 1 };
  if (aheadS > targetS) return { seekTo: null, playbackRate: CATCH_UP_RATE };
  return { seekTo: null, playbackRate: 1 };
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

/** The target after one more rebuffer. */
export function raiseTarget(targetS: number): number {
  return Math.min(MAX_TARGET_AHEAD_S, targetS + TARGET_STEP_S);
}

/** Applies {@link decideLiveEdge} to `media`. Also used while paused, so a paused buffer stays bounded. */
export function steerToLiveEdge(media: HTMLMediaElement, targetS = TARGET_AHEAD_S): void {
  const end = bufferedEnd(media);
  if (end === null || media.seeking) return;
  const { seekTo, playbackRate } = decideLiveEdge(end - media.currentTime, end, targetS);
  if (seekTo !== null) media.currentTime = seekTo;
  if (media.playbackRate !== playbackRate) media.playbackRate = playbackRate;
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
