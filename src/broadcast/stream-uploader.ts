/** Streaming upload: one long HTTP/2 POST carrying the recorder's bytes; on failure, per-chunk upload takes over. */
import type { ErrorCode, IngestSession } from '../shared/protocol.js';
import { paths, SESSION_HEADER, WEBM_CONTENT_TYPE } from '../shared/protocol.js';
import { ChunkUploader } from './chunk-uploader.js';
import { BroadcastError } from './errors.js';
import { REQUEST_TIMEOUT_MS } from './http.js';
import type { ServerBytes } from './server-bytes.js';
import { errorFromAnswer } from './session.js';
import type { StreamingRequestInit } from './transport.js';
import type { Bytes, Uploader, UploaderCallbacks } from './upload.js';
import { UPLOAD_QUEUE_MAX_BYTES } from './upload.js';

/** How long after the body ends the server has to answer the streaming POST. */
export const STREAM_RESPONSE_TIMEOUT_MS = REQUEST_TIMEOUT_MS;

/** Server answers after which another transport cannot help: the session or the bytes themselves are bad. */
const FATAL_CODES: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'AUTH_BAD_KEY',
  'AUTH_BAD_SESSION',
  'MOUNT_IN_USE',
  'INGEST_IDLE_TIMEOUT',
  'INGEST_UNSUPPORTED_TYPE',
  'WEBM_CORRUPT',
  'WEBM_INIT_TOO_LARGE',
  'WEBM_ELEMENT_TOO_LARGE',
]);

/** A chunk handed to the request body, kept until the server's bytesIn shows it arrived. */
interface Handed {
  /** Offset of its first byte in the broadcast's byte stream. */
  start: number;
  bytes: Bytes;
}

export interface StreamUploaderOptions {
  mount: string;
  session: IngestSession;
  /** The server's bytesIn for this broadcast, from the status socket. */
  serverBytes: ServerBytes;
}

//
// Switching transport, and what the server must do for it.
//
// The stream and the per-chunk POSTs carry ONE byte stream: the recorder's WebM, byte for byte. When the
// streaming request fails before Stop (fetch rejects, a 5xx or unknown error answer, or an early end), the
// page keeps the same session and goes on with per-chunk POSTs, each carrying its byte offset in the
// broadcast (OFFSET_HEADER). Chunks handed to the stream are kept until the server's bytesIn (status
// socket) covers them, and all kept ones are sent again: the server skips the bytes it already holds,
// including the part of a chunk it got before the break, so it receives a gapless, duplicate-free WebM
// and just appends.
//
// The server must:
//  1. keep the session (and the mount LIVE, and its WebM splitter state, a partial element included)
//     when a streaming request ends abnormally; its idle timeout (the grace period) still ends the
//     broadcast if nothing follows;
//  2. count in bytesIn exactly the bytes it appended for this broadcast;
//  3. accept chunk POSTs on a session that has streamed, going by the offset header;
//  4. when a chunk POST arrives while a streaming request of the same session is still open (the page
//     gave up on it but the server has not noticed yet), destroy that request before appending, and
//     take no more bytes from it.
//

export class StreamUploader implements Uploader {
  readonly #opts: StreamUploaderOptions;
  readonly #cb: UploaderCallbacks;
  readonly #signal: AbortSignal;
  readonly #streamAbort = new AbortController();
  /** Pushed, not yet pulled by the request body. */
  #pending: Bytes[] = [];
  #pendingBytes = 0;
  /** Pulled by the request body, not yet covered by the server's bytesIn. */
  #handed: Handed[] = [];
  #handedBytes = 0;
  /** Offset of the oldest byte still kept: bytes before it were dropped without confirmation (cap). */
  #keptFrom = 0;
  #chunksSent = 0;
  #closed = false;
  #bodyEnded = false;
  #wake: (() => void) | null = null;
  #switching = false;
  #fallback: ChunkUploader | null = null;
  #fallbackFinishing = false;
  #error: BroadcastError | null = null;
  #settled = false;
  #resolve!: () => void;
  #reject!: (err: BroadcastError) => void;
  readonly #result: Promise<void>;
  readonly #unsubscribe: () => void;

  constructor(opts: StreamUploaderOptions, cb: UploaderCallbacks, signal: AbortSignal) {
    this.#opts = opts;
    this.#cb = cb;
    this.#signal = signal;
    this.#result = new Promise<void>((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
    this.#result.catch(() => {
      // Reported through onError; finish() hands the rejection to whoever waits.
    });
    this.#unsubscribe = opts.serverBytes.subscribe((n) => this.#confirm(n));
    signal.addEventListener(
      'abort',
      () => {
        this.#streamAbort.abort(signal.reason);
        this.#unsubscribe();
        this.#wake?.();
      },
      { once: true },
    );
    this.#start();
    this.#report();
  }

  push(bytes: Bytes): void {
    if (this.#error || this.#signal.aborted) return;
    if (this.#fallback) {
      this.#fallback.push(bytes);
      return;
    }
    this.#pending.push(bytes);
    this.#pendingBytes += bytes.byteLength;
    if (this.#pendingBytes > UPLOAD_QUEUE_MAX_BYTES) {
      this.#fail(
        new BroadcastError(
          'QUEUE_FULL',
          'The audio is not getting through to the server, so the broadcast stopped. Check the Wi-Fi or network cable, then press Go live again.',
        ),
      );
      return;
    }
    this.#wakePull();
    this.#report();
  }

  finish(): Promise<void> {
    this.#closed = true;
    if (this.#fallback) this.#finishFallback(this.#fallback);
    else this.#wakePull();
    return this.#result;
  }

  #start(): void {
    const { mount, session } = this.#opts;
    const body = new ReadableStream<Uint8Array>(
      { pull: (controller) => this.#pull(controller) },
      // Pull one chunk per read, so "handed" means the request has taken it.
      { highWaterMark: 0 },
    );
    const init: StreamingRequestInit = {
      method: 'POST',
      headers: { 'content-type': WEBM_CONTENT_TYPE, [SESSION_HEADER]: session.sessionId },
      body,
      duplex: 'half',
      signal: this.#streamAbort.signal,
    };
    fetch(paths.ingestStream(mount), init).then(
      (res) => this.#onResponse(res),
      (err: unknown) => {
        if (!this.#signal.aborted) void this.#switchToChunks(err);
      },
    );
  }

  /** Feeds the request body: the next pending chunk, the end of the body after finish(), or waits. */
  async #pull(controller: ReadableStreamDefaultController<Uint8Array>): Promise<void> {
    for (;;) {
      if (this.#switching || this.#fallback || this.#error || this.#signal.aborted) return;
      const next = this.#pending.shift();
      if (next) {
        this.#pendingBytes -= next.byteLength;
        this.#keep(next);
        this.#chunksSent += 1;
        // A copy: the request may transfer or hold on to what it is given.
        controller.enqueue(next.slice());
        this.#report();
        return;
      }
      if (this.#closed) {
        controller.close();
        this.#bodyEnded = true;
        setTimeout(() => {
          if (!this.#settled) this.#streamAbort.abort(new DOMException('no answer', 'TimeoutError'));
        }, STREAM_RESPONSE_TIMEOUT_MS);
        return;
      }
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
      });
    }
  }

  async #onResponse(res: Response): Promise<void> {
    if (res.ok && this.#bodyEnded) {
      this.#settle();
      return;
    }
    if (res.ok) {
      await this.#switchToChunks(new Error(`server answered ${res.status} before the upload ended`));
      return;
    }
    const err = await errorFromAnswer(res, this.#opts.mount);
    if (err.serverCode && FATAL_CODES.has(err.serverCode)) this.#fail(err);
    else await this.#switchToChunks(err);
  }

  /** The streaming request is gone: go on with per-chunk POSTs from the server's byte count. */
  async #switchToChunks(cause: unknown): Promise<void> {
    if (this.#switching || this.#fallback || this.#error || this.#settled) return;
    this.#switching = true;
    console.warn('[broadcast] streaming upload failed; switching to per-chunk upload', cause);
    this.#streamAbort.abort();
    this.#wake?.();
    const { mount, session } = this.#opts;
    this.#unsubscribe();
    if (this.#signal.aborted || this.#error) return;
    // Every kept byte is sent again with its offset: the server skips what it already holds, and
    // answers INGEST_SEQUENCE_GAP (which the chunk uploader reports as lost audio) if it holds less
    // than the oldest kept byte. No need to wait for its byte count.
    const resumeAt = this.#handed[0]?.start ?? this.#handedBytes;
    const fallback = new ChunkUploader(
      {
        mount,
        session,
        firstSeq: session.nextSeq,
        firstOffset: resumeAt,
        base: { bytesSent: resumeAt, chunksSent: this.#chunksSent, fellBack: true },
      },
      { onProgress: (p) => this.#cb.onProgress(p), onError: (err) => this.#fail(err) },
      this.#signal,
    );
    for (const h of this.#handed) fallback.push(h.bytes);
    for (const bytes of this.#pending) fallback.push(bytes);
    this.#handed = [];
    this.#pending = [];
    this.#pendingBytes = 0;
    this.#fallback = fallback;
    this.#switching = false;
    if (this.#closed) this.#finishFallback(fallback);
  }

  #finishFallback(fallback: ChunkUploader): void {
    if (this.#fallbackFinishing) return;
    this.#fallbackFinishing = true;
    fallback.finish().then(
      () => this.#settle(),
      (err: unknown) =>
        this.#fail(err instanceof BroadcastError ? err : new BroadcastError('SERVER', String(err))),
    );
  }

  /** Remembers a chunk handed to the body until bytesIn covers it; keeps at most UPLOAD_QUEUE_MAX_BYTES. */
  #keep(bytes: Bytes): void {
    this.#handed.push({ start: this.#handedBytes, bytes });
    this.#handedBytes += bytes.byteLength;
    let keptBytes = this.#handedBytes - this.#keptFrom;
    while (keptBytes > UPLOAD_QUEUE_MAX_BYTES && this.#handed.length > 1) {
      const dropped = this.#handed.shift() as Handed;
      keptBytes -= dropped.bytes.byteLength;
      this.#keptFrom = dropped.start + dropped.bytes.byteLength;
    }
  }

  /** The server's bytesIn: chunks it fully holds need not be kept for a resume. */
  #confirm(serverHas: number): void {
    if (this.#switching) return;
    while (this.#handed.length > 0) {
      const first = this.#handed[0] as Handed;
      if (first.start + first.bytes.byteLength > serverHas) break;
      this.#handed.shift();
      this.#keptFrom = first.start + first.bytes.byteLength;
    }
  }

  #wakePull(): void {
    const wake = this.#wake;
    this.#wake = null;
    wake?.();
  }

  #settle(): void {
    if (this.#settled) return;
    this.#settled = true;
    this.#unsubscribe();
    this.#resolve();
  }

  #fail(err: BroadcastError): void {
    if (this.#error || this.#settled) return;
    this.#error = err;
    this.#settled = true;
    this.#streamAbort.abort();
    this.#unsubscribe();
    this.#wakePull();
    this.#reject(err);
    this.#cb.onError(err);
  }

  #report(): void {
    if (this.#fallback) return;
    this.#cb.onProgress({
      transport: 'stream',
      bytesSent: this.#handedBytes,
      chunksSent: this.#chunksSent,
      chunksAcked: 0,
      queuedBytes: this.#pendingBytes,
      retrying: this.#switching,
      fellBack: false,
    });
  }
}
