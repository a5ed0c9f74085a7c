/**
 * Test helper: does Chromium's MSE take these WebM bytes? Appends them to a `audio/webm; codecs="opus"`
 * SourceBuffer in a Playwright page (any page; MSE needs no secure context) and reports what happened.
 */
import type { Page } from 'playwright-core';
import { WEBM_OPUS_MSE_MIME } from '../../src/shared/protocol.js';

export interface MseResult {
  /** True when every append finished without an error and the media element has no error. */
  ok: boolean;
  /** The SourceBuffer or media element error, e.g. `CHUNK_DEMUXER_ERROR_APPEND_FAILED: …`. */
  error?: string;
  /** End of the last buffered range, in seconds (0 when nothing is buffered). */
  bufferedEnd: number;
}

export interface MseCheckOptions {
  /** Append in pieces of this many bytes, one `appendBuffer` each (default: all at once). */
  pieceBytes?: number;
  /** SourceBuffer mode (default 'segments'). */
  mode?: 'segments' | 'sequence';
}

// The root tsconfig has no DOM lib (it also covers the server), so the in-page code sees the browser
// through these minimal shapes.
interface PageEventTarget {
  addEventListener(type: string, listener: (event: unknown) => void, options?: { once?: boolean }): void;
}
interface PageTimeRanges {
  readonly length: number;
  end(index: number): number;
}
interface PageSourceBuffer extends PageEventTarget {
  mode: string;
  readonly buffered: PageTimeRanges;
  appendBuffer(data: Uint8Array): void;
}
interface PageMediaSource extends PageEventTarget {
  readonly readyState: string;
  addSourceBuffer(type: string): PageSourceBuffer;
}
interface PageMediaElement extends PageEventTarget {
  src: string;
  readonly error: { code: number; message: string } | null;
}
interface PageGlobals {
  MediaSource: (new () => PageMediaSource) & { isTypeSupported(type: string): boolean };
  URL: { createObjectURL(obj: unknown): string };
  document: { createElement(tag: 'audio'): PageMediaElement };
  atob(data: string): string;
}

/**
 * Appends `bytes` to a fresh MediaSource SourceBuffer of type `audio/webm; codecs="opus"` in `page`,
 * one `appendBuffer` per piece, and returns whether Chromium accepted them and how much it buffered.
 * The bytes cross into the page as base64.
 */
export async function mseAccepts(
  page: Page,
  bytes: Uint8Array,
  options: MseCheckOptions = {},
): Promise<MseResult> {
  const base64 = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('base64');
  return page.evaluate(
    async ({ base64, mime, pieceBytes, mode }) => {
      // Runs in the page: only the arguments cross over, no closure from this module.
      const w = globalThis as unknown as PageGlobals;
      const binary = w.atob(base64);
      const data = new Uint8Array(binary.length);
      for (let i = 0; i < binary.length; i++) data[i] = binary.charCodeAt(i);
      if (!w.MediaSource.isTypeSupported(mime)) {
        return { ok: false, error: `MediaSource does not support ${mime}`, bufferedEnd: 0 };
      }
      const ms = new w.MediaSource();
      const audio = w.document.createElement('audio');
      let mediaError: string | undefined;
      audio.addEventListener('error', () => {
        mediaError = `media element error ${audio.error?.code}: ${audio.error?.message ?? ''}`;
      });
      audio.src = w.URL.createObjectURL(ms);
      await new Promise((resolve) => ms.addEventListener('sourceopen', resolve, { once: true }));
      const sb = ms.addSourceBuffer(mime);
      sb.mode = mode;
      let appendError: string | undefined;
      sb.addEventListener('error', () => {
        appendError = 'SourceBuffer error event';
      });
      const step = pieceBytes > 0 ? pieceBytes : data.length;
      for (let at = 0; at < data.length && appendError === undefined; at += step) {
        const done = new Promise((resolve) => sb.addEventListener('updateend', resolve, { once: true }));
        try {
          sb.appendBuffer(data.subarray(at, at + step));
        } catch (err) {
          appendError = `appendBuffer threw: ${String(err)}`;
          break;
        }
        await done;
      }
      // The media element's decode error (with Chromium's reason) follows the append error asynchronously.
      await new Promise((resolve) => setTimeout(resolve, 100));
      const error = mediaError ?? appendError;
      const ranges = ms.readyState === 'closed' ? null : sb.buffered;
      const bufferedEnd = ranges && ranges.length > 0 ? ranges.end(ranges.length - 1) : 0;
      return error === undefined ? { ok: true, bufferedEnd } : { ok: false, error, bufferedEnd };
    },
    {
      base64,
      mime: WEBM_OPUS_MSE_MIME,
      pieceBytes: options.pieceBytes ?? 0,
      mode: options.mode ?? 'segments',
    },
  );
}
