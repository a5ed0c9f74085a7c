/**
 * The Low-Latency HLS media playlist of one {@link HlsStream} (RFC 8216bis with its LL extensions):
 * what a plain HLS client reads (EXTINF segments, a window, ENDLIST at the end), plus parts of the
 * newest segments, the preload hint of the next part, and the server-control line that announces
 * blocking reloads. URIs are relative to the playlist (`/<mount>.m3u8`).
 */
import type { HlsStream } from './hls-stream.js';

/** Parts are listed for this many complete segments before the live edge (and the edge itself). */
const PART_SEGMENTS = 3;

/** The relative URL prefix of a stream's media: `hls/<mount>/<broadcast>/`. */
export function mediaPrefix(mount: string, stream: HlsStream): string {
  return `hls/${mount}/${stream.id}/`;
}

export function segmentName(msn: number): string {
  return `s${msn}.m4s`;
}

export function partName(msn: number, part: number): string {
  return `s${msn}.${part}.m4s`;
}

export const INIT_NAME = 'init.mp4';

function seconds(samples: number): string {
  return (samples / 48_000).toFixed(5);
}

function secondsOf(ms: number): string {
  return String(Math.round(ms) / 1000);
}

/** The playlist text of `stream` as it is now, for mount `mount`. */
export function renderPlaylist(mount: string, stream: HlsStream): string {
  const prefix = mediaPrefix(mount, stream);
  const { partMs } = stream.timing;
  const lines = [
    '#EXTM3U',
    '#EXT-X-VERSION:6',
    `#EXT-X-TARGETDURATION:${stream.targetDuration}`,
    // PART-HOLD-BACK: three part targets (at least two, per the spec); HOLD-BACK: three target durations.
    `#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES,PART-HOLD-BACK=${secondsOf(3 * partMs)},HOLD-BACK=${stream.holdBackS}`,
    `#EXT-X-PART-INF:PART-TARGET=${secondsOf(partMs)}`,
    `#EXT-X-MEDIA-SEQUENCE:${stream.firstMsn}`,
    `#EXT-X-MAP:URI="${prefix}${INIT_NAME}"`,
  ];
  const complete = stream.segments.filter((s) => s.bytes !== null).length;
  stream.segments.forEach((seg, i) => {
    lines.push(`#EXT-X-PROGRAM-DATE-TIME:${new Date(seg.startedAt).toISOString()}`);
    if (i >= complete - PART_SEGMENTS) {
      seg.parts.forEach((p, n) => {
        lines.push(
          `#EXT-X-PART:DURATION=${seconds(p.samples)},URI="${prefix}${partName(seg.msn, n)}",INDEPENDENT=YES`,
        );
      });
    }
    if (seg.bytes !== null)
      lines.push(`#EXTINF:${seconds(seg.samples)},`, `${prefix}${segmentName(seg.msn)}`);
  });
  if (stream.ended) {
    lines.push('#EXT-X-ENDLIST');
  } else {
    const next = stream.edge;
    lines.push(`#EXT-X-PRELOAD-HINT:TYPE=PART,URI="${prefix}${partName(next.msn, next.parts)}"`);
  }
  return `${lines.join('\n')}\n`;
}
