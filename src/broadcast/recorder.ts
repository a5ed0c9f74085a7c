/** Microphone capture and MediaRecorder (WebM/Opus): delivers every recorded chunk's bytes, in order. */

import type { Transport } from '../shared/protocol.js';
import {
  RECORDER_BITS_PER_SECOND,
  RECORDER_TIMESLICE_MS,
  WEBM_OPUS_RECORDER_MIME,
} from '../shared/protocol.js';
import { BroadcastError } from './errors.js';

/**
 * The recorder timeslice for `transport` (RECORDER_TIMESLICE_MS), or `?timeslice=N` (20–1000) on the
 * page URL, which the latency bench uses to compare settings.
 */
export function timeslice(transport: Transport): number {
  const n = Number(new URLSearchParams(location.search).get('timeslice'));
  return Number.isInteger(n) && n >= 20 && n <= 1000 ? n : RECORDER_TIMESLICE_MS[transport];
}

/** Longest wait for the recorder's final `dataavailable` + `stop` after `stop()`. */
export const RECORDER_STOP_TIMEOUT_MS = 3_000;

/** Null when this browser can record WebM/Opus, else the error to show. */
export function checkRecorderSupport(): BroadcastError | null {
  if (typeof MediaRecorder === 'function' && MediaRecorder.isTypeSupported(WEBM_OPUS_RECORDER_MIME))
    return null;
  return new BroadcastError(
    'RECORDER_UNSUPPORTED',
    'This browser cannot record audio in the format onair uses (WebM/Opus). Use a recent Chrome or Edge, Firefox, or Safari 18.4 or newer.',
  );
}

function micError(err: unknown): BroadcastError {
  const name = err instanceof DOMException ? err.name : '';
  if (name === 'NotAllowedError' || name === 'SecurityError') {
    return new BroadcastError(
      'MIC_DENIED',
      'The browser is not allowed to use the microphone. Click the microphone or padlock icon in the address bar, choose Allow, then press Go live again. (On a Mac, also check System Settings → Privacy & Security → Microphone.)',
      { cause: err },
    );
  }
  if (name === 'NotFoundError' || name === 'OverconstrainedError') {
    return new BroadcastError(
      'MIC_MISSING',
      'No microphone was found. Plug in a microphone or headset (or switch on the built-in one), then press Go live again.',
      { cause: err },
    );
  }
  return new BroadcastError(
    'MIC_BUSY',
    'The microphone could not be started. Another program (a video call, a recorder) may be using it: close that program, then press Go live again.',
    { cause: err },
  );
}

/**
 * Asks for the microphone (`deviceId`, or the default one). Rejects with a BroadcastError
 * (MIC_DENIED, MIC_MISSING, MIC_BUSY) or the abort reason.
 */
export async function openMicrophone(signal: AbortSignal, deviceId?: string): Promise<MediaStream> {
  let stream: MediaStream;
  try {
    stream = await navigator.mediaDevices.getUserMedia({
      audio: deviceId ? { deviceId: { exact: deviceId } } : true,
    });
  } catch (err) {
    throw micError(err);
  }
  if (signal.aborted) {
    stopTracks(stream);
    throw signal.reason;
  }
  return stream;
}

export function stopTracks(stream: MediaStream): void {
  for (const track of stream.getTracks()) track.stop();
}

export interface RecorderCallbacks {
  /** One recorder chunk, called strictly in recording order. */
  onChunk(bytes: Uint8Array<ArrayBuffer>): void;
  /** The recorder or the microphone failed while recording; no more chunks follow. */
  onError(err: BroadcastError): void;
}

export interface RecorderHandle {
  /** Stops recording; resolves once the last chunk has gone to `onChunk`. Idempotent. */
  stop(): Promise<void>;
}

/**
 * Records `stream` and hands each chunk (every `timesliceMs`, rounded up to Chromium's 60 ms blocks) to `onChunk`. `blob.arrayBuffer()` is started at
 * once for each chunk, but deliveries are chained so they stay in order. Aborting `signal` stops the
 * recorder without delivering further chunks and stops the microphone tracks.
 */
export function startRecorder(
  stream: MediaStream,
  cb: RecorderCallbacks,
  signal: AbortSignal,
  timesliceMs: number,
): RecorderHandle {
  const recorder = new MediaRecorder(stream, {
    mimeType: WEBM_OPUS_RECORDER_MIME,
    audioBitsPerSecond: RECORDER_BITS_PER_SECOND,
  });
  let delivered: Promise<void> = Promise.resolve();
  let failed = false;

  const fail = (err: BroadcastError): void => {
    if (failed || signal.aborted) return;
    failed = true;
    cb.onError(err);
  };

  recorder.addEventListener('dataavailable', (ev: BlobEvent) => {
    if (ev.data.size === 0 || signal.aborted) return;
    const bytes = ev.data.arrayBuffer();
    delivered = delivered
      .then(() => bytes)
      .then((buf) => {
        if (!signal.aborted && !failed) cb.onChunk(new Uint8Array(buf));
      })
      .catch((err: unknown) => {
        fail(
          new BroadcastError('RECORDER_FAILED', 'The browser could not read the recorded audio.', {
            cause: err,
          }),
        );
      });
  });
  recorder.addEventListener('error', (ev: Event) => {
    const cause = (ev as ErrorEvent).error ?? ev;
    fail(
      new BroadcastError('RECORDER_FAILED', 'The browser stopped recording. Press Go live to start again.', {
        cause,
      }),
    );
  });
  for (const track of stream.getAudioTracks()) {
    // `ended` fires only when the track ends by itself (device unplugged), not on our own stop().
    track.addEventListener('ended', () => {
      fail(
        new BroadcastError(
          'MIC_ENDED',
          'The microphone stopped (was it unplugged?). Plug it back in, then press Go live again.',
        ),
      );
    });
  }

  const stopped = new Promise<void>((resolve) =>
    recorder.addEventListener('stop', () => resolve(), { once: true }),
  );
  let stopping: Promise<void> | undefined;

  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      if (recorder.state !== 'inactive') recorder.stop();
      // stop() queues a final dataavailable, then `stop`; don't hang if the browser never fires it.
      await Promise.race([stopped, new Promise((r) => setTimeout(r, RECORDER_STOP_TIMEOUT_MS))]);
      await delivered;
      stopTracks(stream);
    })();
    return stopping;
  };

  signal.addEventListener(
    'abort',
    () => {
      if (recorder.state !== 'inactive') recorder.stop();
      stopTracks(stream);
    },
    { once: true },
  );
  recorder.start(timesliceMs);
  return { stop };
}
