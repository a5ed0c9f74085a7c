/**
 * The rung for an MP3 or AAC mount (its source sends MP3 or AAC in ADTS, passed through; the status
 * says which in `format`): the `<audio>` element plays `/<mount>.mp3` or `.aac` itself, as every
 * browser does (an iPhone's too, on the lock screen), through the plain-element session
 * (`progressive-session.ts`) with its watchdog and the same OFFLINE / "The stream is started"
 * sequence as the other rungs. No Opus rung applies: such a mount has no Opus outputs.
 */
import type { StreamFormat } from '../shared/protocol.js';
import { paths } from '../shared/protocol.js';
import type { ProgressiveSessionOptions } from './progressive-session.js';
import { runProgressiveSession } from './progressive-session.js';

export type FrameFormat = Exclude<StreamFormat, 'opus'>;

/** The content type the element is asked about, per format. */
const MIME: Readonly<Record<FrameFormat, string>> = { mp3: 'audio/mpeg', aac: 'audio/aac' };

/** True for a mount whose source sends MP3 or AAC (this rung's), from its status's `format`. */
export function isFrameFormat(format: StreamFormat | undefined): format is FrameFormat {
  return format === 'mp3' || format === 'aac';
}

/** What the details line says for this rung; the element's own answer when it doubts it can play. */
export function framesLabel(format: FrameFormat): string {
  const name = format === 'mp3' ? 'MP3' : 'AAC';
  const probe = typeof document === 'undefined' ? null : document.createElement('audio');
  const can = probe?.canPlayType(MIME[format]) ?? '';
  return `Plain <audio> · ${name}, as the station sends it${can === '' ? ' (this browser may not play it)' : ''}`;
}

/** The stream this rung plays. */
export function framesUrl(mount: string, format: FrameFormat): string {
  return paths.listenFrames(mount, format);
}

/** Same contract as the other sessions: resolves when the stream ends, rejects with a PlayerError or the abort reason. */
export function runFramesSession(opts: ProgressiveSessionOptions): Promise<void> {
  return runProgressiveSession(opts);
}
