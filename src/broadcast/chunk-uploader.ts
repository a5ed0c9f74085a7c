/**
 * Per-chunk upload: one POST per recorder chunk, in order, one at a time, each kept until
 * acknowledged. Each POST carries its byte offset in the broadcast, so after a broken connection
 * the server takes every byte once whichever transport had sent it before.
 */
import type { ChunkAck, IngestSession } from '../shared/protocol.js';
import { OFFSET_HEADER, paths, SEQ_HEADER, SESSION_HEADER, WEBM_CONTENT_TYPE } from '../shared/protocol.js';
import { Backoff } from '../web/backoff.js';
import { sleep } from '../web/wait.js';
import { BroadcastError, toBroadcastError } from './errors.js';
import { REQUEST_TIMEOUT_MS, readErrorBody, timeoutSignal } from './http.js';
import { errorFromAnswer } from './session.js';
import type { Bytes, Uploader, UploaderCallbacks } from './upload.js';
import { splitBytes, UPLOAD_DRAIN_TIMEOUT_MS, UPLOAD_QUEUE_MAX_BYTES } from './upload.js';

/** First wait before retrying a failed POST; doubles on each further failure. */
export const RETRY_MIN_MS = 250;
/** Longest wait between retries. */
export const RETRY_MAX_MS = 4_000;

interface QueuedChunk {
  seq: number;
  /** Offset of its first byte in the broadcast's byte stream. */
  offset: number;
  bytes: Bytes;
}

/** What one POST came to: done (acknowledged, maybe more), retry later, or a fatal error. */
type Outcome =
  | { kind: 'acked'; bytesIn: number }
  | { kind: 'resend-from'; offset: number }
  | { kind: 'retry' }
  | { kind: 'failed'; error: BroadcastError };

function isChunkAck(v: unknown): v is ChunkAck {
  if (typeof v !== 'object' || v === null) return false;
  const a = v as Record<string, unknown>;
  return typeof a.ack === 'number' && typeof a.duplicate === 'boolean' && typeof a.bytesIn === 'number';
}

export interface ChunkUploaderOptions {
  mount: string;
  session: IngestSession;
  /** Sequence number of the first chunk; `session.nextSeq` (0 for a new session). */
  firstSeq: number;
  /** Byte offset of the first byte pushed (0 for a new session; where a broken stream left off). */
  firstOffset?: number;
  /** Added to the reported byte and chunk counts (what an earlier transport already delivered). */
  base?: { bytesSent: number; chunksSent: number; fellBack: boolean };
}

export class ChunkUploader implements Uploader {
  readonly #opts: ChunkUploaderOptions;
  readonly #cb: UploaderCallbacks;
  readonly #signal: AbortSignal;
  readonly #queue: QueuedChunk[] = [];
  #nextSeq: number;
  #nextOffset: number;
  #queuedBytes = 0;
  #ackedBytes = 0;
  /** Highest sequence number posted at least once + 1. */
  #posted: number;
  /** Highest acknowledged sequence number + 1. */
  #acked: number;
  #running = false;
  #retrying = false;
  #closed = false;
  #error: BroadcastError | null = null;
  /** Woken when the queue empties or the upload fails. */
  #idle: (() => void) | null = null;

  constructor(opts: ChunkUploaderOptions, cb: UploaderCallbacks, signal: AbortSignal) {
    this.#opts = opts;
    this.#cb = cb;
    this.#signal = signal;
    this.#nextSeq = opts.firstSeq;
    this.#nextOffset = opts.firstOffset ?? 0;
    this.#acked = opts.firstSeq;
    this.#posted = opts.firstSeq;
  }

  push(bytes: Bytes): void {
    if (this.#error || this.#closed || this.#signal.aborted) return;
    for (const piece of splitBytes(bytes, this.#opts.session.maxChunkBytes)) {
      this.#queue.push({ seq: this.#nextSeq++, offset: this.#nextOffset, bytes: piece });
      this.#nextOffset += piece.byteLength;
      this.#queuedBytes += piece.byteLength;
    }
    if (this.#queuedBytes > UPLOAD_QUEUE_MAX_BYTES) {
      this.#fail(
        new BroadcastError(
          'QUEUE_FULL',
          `The audio is not getting through to the server (${(this.#queuedBytes / 1048576).toFixed(1)} MiB waiting), so the broadcast stopped. Check the Wi-Fi or network cable, then press Go live again.`,
        ),
      );
      return;
    }
    this.#report();
    if (!this.#running) void this.#run();
  }

  async finish(): Promise<void> {
    this.#closed = true;
    const deadline = Date.now() + UPLOAD_DRAIN_TIMEOUT_MS;
    while (this.#queue.length > 0 && !this.#error) {
      if (this.#signal.aborted) throw this.#signal.reason;
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new BroadcastError(
          'UNREACHABLE',
          `The last ${(this.#queuedBytes / 1024).toFixed(0)} KiB of audio did not reach the server at ${location.origin} in time.`,
        );
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#idle = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    if (this.#error) throw this.#error;
  }

  /** Sends the queue head until the queue is empty; one request in flight at a time. */
  async #run(): Promise<void> {
    this.#running = true;
    const backoff = new Backoff(RETRY_MIN_MS, RETRY_MAX_MS);
    try {
      while (this.#queue.length > 0 && !this.#error && !this.#signal.aborted) {
        const head = this.#batch();
        const outcome = await this.#post(head);
        if (outcome.kind === 'failed') {
          this.#fail(outcome.error);
          break;
        }
        if (outcome.kind === 'retry') {
          this.#retrying = true;
          this.#report();
          await sleep(backoff.next(), this.#signal);
          continue;
        }
        backoff.reset();
        this.#retrying = false;
        if (outcome.kind === 'acked')
          this.#dropBefore(Math.max(outcome.bytesIn, head.offset + head.bytes.byteLength));
        else this.#resendFrom(outcome.offset);
        this.#report();
      }
    } catch (err) {
      // Aborted (Stop or page teardown) ends the loop quietly; anything else is a bug worth showing.
      if (!this.#signal.aborted) this.#fail(toBroadcastError(err));
    } finally {
      this.#running = false;
      this.#wakeIdle();
    }
  }

  /**
   * What the next POST carries: the queue head, and when more is waiting (after a blip, or on a
   * connection whose round trip is longer than a chunk), the chunks after it too, up to
   * maxChunkBytes. One request per chunk could never catch up once the round trip exceeds the chunk
   * period; one request for the backlog does. The offsets are contiguous, so the bytes go as one body.
   */
  #batch(): QueuedChunk {
    const head = this.#queue[0] as QueuedChunk;
    const max = this.#opts.session.maxChunkBytes;
    let size = head.bytes.byteLength;
    let n = 1;
    while (n < this.#queue.length) {
      const next = this.#queue[n] as QueuedChunk;
      if (size + next.bytes.byteLength > max || next.offset !== head.offset + size) break;
      size += next.bytes.byteLength;
      n++;
    }
    if (n === 1) return head;
    const bytes = new Uint8Array(size);
    let at = 0;
    for (let i = 0; i < n; i++) {
      const c = (this.#queue[i] as QueuedChunk).bytes;
      bytes.set(c, at);
      at += c.byteLength;
    }
    const last = this.#queue[n - 1] as QueuedChunk;
    return { seq: last.seq, offset: head.offset, bytes };
  }

  /** One POST of `chunk`. Network errors, timeouts and 5xx come back as `retry`; fatal answers fail the upload. */
  async #post(chunk: QueuedChunk): Promise<Outcome> {
    const { mount, session } = this.#opts;
    let res: Response;
    try {
      res = await fetch(paths.ingestChunk(mount), {
        method: 'POST',
        headers: {
          'content-type': WEBM_CONTENT_TYPE,
          [SESSION_HEADER]: session.sessionId,
          [SEQ_HEADER]: String(chunk.seq),
          [OFFSET_HEADER]: String(chunk.offset),
        },
        body: chunk.bytes,
        signal: timeoutSignal(this.#signal, REQUEST_TIMEOUT_MS),
      });
    } catch (err) {
      if (this.#signal.aborted) throw err;
      return { kind: 'retry' };
    }
    this.#posted = Math.max(this.#posted, chunk.seq + 1);
    if (res.ok) {
      const json: unknown = await res.json().catch(() => null);
      // A 2xx without a readable ack still means this chunk was taken.
      return {
        kind: 'acked',
        bytesIn: isChunkAck(json) ? json.bytesIn : chunk.offset + chunk.bytes.byteLength,
      };
    }
    if (res.status >= 500) return { kind: 'retry' };
    if (res.status === 409) {
      const body = await readErrorBody(res.clone());
      if (body.code === 'INGEST_SEQUENCE_GAP' && typeof body.expectedOffset === 'number') {
        return { kind: 'resend-from', offset: body.expectedOffset };
      }
    }
    return { kind: 'failed', error: await errorFromAnswer(res, mount) };
  }

  /** The server holds every byte before `offset`: forget the chunks it covers, trim one it cuts. */
  #dropBefore(offset: number): void {
    while (this.#queue.length > 0) {
      const head = this.#queue[0] as QueuedChunk;
      const end = head.offset + head.bytes.byteLength;
      if (end <= offset) {
        this.#queue.shift();
        this.#queuedBytes -= head.bytes.byteLength;
        this.#ackedBytes += head.bytes.byteLength;
        this.#acked = Math.max(this.#acked, head.seq + 1);
        continue;
      }
      if (head.offset < offset) {
        const held = offset - head.offset;
        this.#queue[0] = { seq: head.seq, offset, bytes: head.bytes.subarray(held) };
        this.#queuedBytes -= held;
        this.#ackedBytes += held;
      }
      break;
    }
  }

  /** INGEST_SEQUENCE_GAP: the server wants the bytes from `offset` next; it holds those before. */
  #resendFrom(offset: number): void {
    const first = this.#queue[0];
    if (first && offset < first.offset) {
      // We dropped those chunks only after the server acknowledged them: it has lost audio it had taken.
      this.#fail(
        new BroadcastError(
          'SESSION_ENDED',
          'The server lost part of the broadcast it had already received. Press Stop, then Go live again.',
        ),
      );
      return;
    }
    this.#dropBefore(offset);
  }

  #fail(err: BroadcastError): void {
    if (this.#error) return;
    this.#error = err;
    this.#wakeIdle();
    this.#cb.onError(err);
  }

  #wakeIdle(): void {
    const idle = this.#idle;
    this.#idle = null;
    idle?.();
  }

  #report(): void {
    const base = this.#opts.base ?? { bytesSent: 0, chunksSent: 0, fellBack: false };
    this.#cb.onProgress({
      transport: 'chunks',
      bytesSent: base.bytesSent + this.#ackedBytes,
      chunksSent: base.chunksSent + this.#posted - this.#opts.firstSeq,
      chunksAcked: this.#acked,
      queuedBytes: this.#queuedBytes,
      retrying: this.#retrying,
      fellBack: base.fellBack,
    });
    if (this.#queue.length === 0) this.#wakeIdle();
  }
}
