/**
 * Details: the playback path and, while playing, how much audio is buffered (the player's share of
 * the delay), the target buffer the player has learnt, and the dropouts so far.
 */
import type { RefObject } from 'preact';
import { BURSTY_SOURCE_MS, type StreamFormat } from '../shared/protocol.js';
import { latencyText } from './format.js';
import { framesLabel, isFrameFormat } from './frames-session.js';
import { bufferAhead } from './live-edge.js';
import { detectPlaybackPath } from './media-support.js';
import { useNow } from './use-now.js';

/** The buffer figure refreshes this often. */
const DETAILS_TICK_MS = 500;

export function Details({
  audioRef,
  live,
  format,
  sourceIntervalMs,
}: {
  audioRef: RefObject<HTMLAudioElement>;
  live: boolean;
  format?: StreamFormat | undefined;
  /** The status's `sourceIntervalMs`: a source sending in bursts is named, since it sets the delay. */
  sourceIntervalMs?: number | undefined;
}) {
  useNow(DETAILS_TICK_MS, live);
  const audio = audioRef.current;
  // An MP3/AAC mount plays on its own rung, whatever the browser's Opus rung is.
  const path = isFrameFormat(format) ? { kind: 'frames', label: framesLabel(format) } : detectPlaybackPath();
  const parts = [path.label];
  const d = audio?.dataset;
  if (live && audio && d && path.kind === 'packets') {
    if (d.bufferMs !== undefined) parts.push(`${d.bufferMs} ms buffered`);
  } else if (live && audio) {
    const ahead = audio.currentSrc ? bufferAhead(audio) : null;
    if (ahead !== null) parts.push(latencyText(ahead));
    if (audio.playbackRate !== 1) parts.push(`catching up ×${audio.playbackRate}`);
  }
  if (live && d?.targetMs !== undefined) parts.push(`target ${d.targetMs} ms`);
  if (live && d?.underruns !== undefined) parts.push(`${d.underruns} dropouts`);
  if (live && sourceIntervalMs !== undefined && sourceIntervalMs >= BURSTY_SOURCE_MS) {
    parts.push(`the source sends in ${(sourceIntervalMs / 1000).toFixed(1)} s bursts`);
  }
  return (
    <p id="details" class="details">
      {parts.join(' · ')}
    </p>
  );
}
