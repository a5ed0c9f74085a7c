/** One broadcast from Go live to Stop: microphone, ingest session, recorder and uploader wired together. */
import type { IngestSession, Transport } from '../shared/protocol.js';
import { ChunkUploader } from './chunk-uploader.js';
import { BroadcastError, toBroadcastError } from './errors.js';
import { REQUEST_TIMEOUT_MS } from './http.js';
import type { RecorderHandle } from './recorder.js';
import { openMicrophone, startRecorder, stopTracks, timeslice } from './recorder.js';
import type { ServerBytes } from './server-bytes.js';
import { closeSession, closeSessionOnUnload, openSession } from './session.js';
import { StreamUploader } from './stream-uploader.js';
import { chooseTransport } from './transport.js';
import type { Uploader, UploadProgress } from './upload.js';

export interface LiveOptions {
  mount: string;
  streamKey: string;
  /** Fed by the page's status socket with this mount's bytesIn. */
  serverBytes: ServerBytes;
  /** Microphone chosen on the page; the default one when absent. */
  deviceId?: string;
}

export interface LiveCallbacks {
  onProgress(progress: UploadProgress): void;
  /** The broadcast broke while live. It has already been torn down and its session ended. Called at most once. */
  onFailure(err: BroadcastError): void;
}

export interface LiveBroadcast {
  readonly session: IngestSession;
  /** Transport chosen at start (the progress reports a later fallback). */
  readonly transport: Transport;
  /** The microphone being recorded (for the level meter; mute disables its track). */
  readonly mic: MediaStream;
  /**
   * Stops the recorder (its last chunk included), waits for the upload to drain, then ends the session.
   * Never rejects: a drain or DELETE that fails is logged, and the server's idle timeout ends the broadcast.
   */
  stop(): Promise<void>;
}

/**
 * Goes live: microphone first (so a refused microphone never claims the mount), then the session, then
 * recording and upload. Rejects with a BroadcastError, or with the abort reason when `signal` aborts
 * first. Aborting `signal` later tears the broadcast down at once (keepalive DELETE, no drain).
 */
export async function goLive(
  opts: LiveOptions,
  cb: LiveCallbacks,
  signal: AbortSignal,
): Promise<LiveBroadcast> {
  const { mount, streamKey, serverBytes } = opts;
  const mic = await openMicrophone(signal, opts.deviceId);

  let session: IngestSession;
  try {
    session = await openSession(mount, streamKey, signal);
  } catch (err) {
    stopTracks(mic);
    throw err;
  }
  if (signal.aborted) {
    stopTracks(mic);
    closeSessionOnUnload(mount, session.sessionId);
    throw signal.reason;
  }

  // Everything below stops with `media`; `signal` (page teardown) aborts it too.
  const media = new AbortController();
  let ended = false;
  const onPageHide = (): void => closeSessionOnUnload(mount, session.sessionId);
  const release = (): void => {
    media.abort();
    window.removeEventListener('pagehide', onPageHide);
    signal.removeEventListener('abort', onPageAbort);
  };
  const onPageAbort = (): void => {
    if (ended) return;
    ended = true;
    release();
    closeSessionOnUnload(mount, session.sessionId);
  };
  const endSession = async (): Promise<void> => {
    try {
      await closeSession(mount, session.sessionId, AbortSignal.timeout(REQUEST_TIMEOUT_MS));
    } catch (err) {
      console.warn('[broadcast] could not end the session; the server will time it out', err);
    }
  };
  const fail = (err: BroadcastError): void => {
    if (ended) return;
    ended = true;
    release();
    void endSession();
    cb.onFailure(err);
  };

  serverBytes.reset();
  const transport = chooseTransport();
  const uploaderCallbacks = { onProgress: cb.onProgress, onError: fail };
  const uploader: Uploader =
    transport === 'stream'
      ? new StreamUploader({ mount, session, serverBytes }, uploaderCallbacks, media.signal)
      : new ChunkUploader({ mount, session, firstSeq: session.nextSeq }, uploaderCallbacks, media.signal);
  let recorder: RecorderHandle;
  try {
    recorder = startRecorder(
      mic,
      { onChunk: (bytes) => uploader.push(bytes), onError: fail },
      media.signal,
      timeslice(transport),
    );
  } catch (err) {
    ended = true;
    release();
    stopTracks(mic);
    void endSession();
    throw new BroadcastError(
      'RECORDER_FAILED',
      'The browser could not start recording. Reload the page and try again.',
      {
        cause: err,
      },
    );
  }
  window.addEventListener('pagehide', onPageHide);
  signal.addEventListener('abort', onPageAbort, { once: true });

  const stop = async (): Promise<void> => {
    if (ended) return;
    ended = true;
    try {
      await recorder.stop();
      await uploader.finish();
    } catch (err) {
      console.warn('[broadcast] the end of the recording did not reach the server', toBroadcastError(err));
    }
    release();
    await endSession();
  };

  return { session, transport, mic, stop };
}
