/** What both uploaders share: the Uploader contract, its progress report and the byte caps. */
import type { Transport } from '../shared/protocol.js';
import type { BroadcastError } from './errors.js';

/** Recorder bytes as the uploaders hold them (a plain ArrayBuffer underneath, so fetch accepts them as a body). */
export type Bytes = Uint8Array<ArrayBuffer>;

/** Most recorder bytes held for upload at once (≈17 minutes at 64 kbit/s); beyond it the broadcast stops. */
export const UPLOAD_QUEUE_MAX_BYTES = 8 * 1024 * 1024;
/** Longest a Stop waits for queued audio to reach the server before ending the broadcast anyway. */
export const UPLOAD_DRAIN_TIMEOUT_MS = 10_000;

/** Upload health, reported after every change. */
export interface UploadProgress {
  transport: Transport;
  /** Recorder bytes the server has taken: acknowledged chunks, or bytes handed to the streaming request. */
  bytesSent: number;
  /** Recorder chunks handed to the network (both transports). */
  chunksSent: number;
  /** Per-chunk transport: highest acknowledged sequence number + 1. Streaming transport: 0. */
  chunksAcked: number;
  /** Bytes waiting to be sent or acknowledged. */
  queuedBytes: number;
  /** True while the last attempt failed and a retry is waiting. */
  retrying: boolean;
  /** True when the streaming upload failed and the per-chunk upload took over. */
  fellBack: boolean;
}

export interface UploaderCallbacks {
  onProgress(progress: UploadProgress): void;
  /** The upload cannot go on; nothing more will be sent. Called at most once. */
  onError(err: BroadcastError): void;
}

export interface Uploader {
  /** Queues one recorder chunk; chunks must be pushed in recording order. */
  push(bytes: Bytes): void;
  /**
   * No more chunks follow: resolves once everything pushed has reached the server, rejects with a
   * BroadcastError when the upload failed or did not drain within UPLOAD_DRAIN_TIMEOUT_MS.
   */
  finish(): Promise<void>;
}

/** Splits `bytes` into pieces of at most `maxBytes` (the server's per-chunk cap). */
export function splitBytes(bytes: Bytes, maxBytes: number): Bytes[] {
  if (bytes.byteLength <= maxBytes || maxBytes <= 0) return [bytes];
  const pieces: Bytes[] = [];
  for (let at = 0; at < bytes.byteLength; at += maxBytes) pieces.push(bytes.subarray(at, at + maxBytes));
  return pieces;
}
