/** One serial queue of SourceBuffer operations (hls.js buffer-operation-queue style); waiting appends coalesce. */

import { TimeoutError, waitForEvent } from '../web/wait.js';
import { PlayerError } from './player-error.js';

/** Longest one appendBuffer/remove may take before the queue gives up. */
export const SOURCE_BUFFER_OP_TIMEOUT_MS = 5_000;

type Bytes = Uint8Array<ArrayBuffer>;

type Op = { kind: 'append'; parts: Bytes[]; bytes: number } | { kind: 'remove'; start: number; end: number };

export interface AppendQueueHooks {
  /** Time range that may be dropped when the SourceBuffer is full, or null when there is none. */
  evictableRange(): readonly [number, number] | null;
  /** An append finished; `bytes` were added. */
  onAppended(bytes: number): void;
  /** The queue failed and stopped; nothing queued afterwards runs. Not called after abort. */
  onError(error: PlayerError): void;
}

export class AppendQueue {
  private readonly ops: Op[] = [];
  private running = false;
  private failed = false;
  private idleWaiters: (() => void)[] = [];

  constructor(
    private readonly sb: SourceBuffer,
    private readonly hooks: AppendQueueHooks,
    private readonly signal: AbortSignal,
  ) {}

  /** Queues `bytes`; joins an append that is still waiting, so a backlog goes in as one buffer. */
  append(bytes: Bytes): void {
    if (this.failed || this.signal.aborted) return;
    const last = this.ops[this.ops.length - 1];
    if (last?.kind === 'append') {
      last.parts.push(bytes);
      last.bytes += bytes.byteLength;
    } else {
      this.ops.push({ kind: 'append', parts: [bytes], bytes: bytes.byteLength });
    }
    this.kick();
  }

  /** Queues removal of the time range [start, end) in seconds. */
  remove(start: number, end: number): void {
    if (this.failed || this.signal.aborted || end <= start) return;
    this.ops.push({ kind: 'remove', start, end });
    this.kick();
  }

  /** Resolves once nothing is queued or running (also after a failure or abort). */
  idle(): Promise<void> {
    if (!this.running) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private kick(): void {
    if (!this.running) void this.run();
  }

  private async run(): Promise<void> {
    this.running = true;
    try {
      for (let op = this.ops.shift(); op && !this.signal.aborted; op = this.ops.shift()) {
        if (op.kind === 'append') {
          await this.appendWithEviction(concat(op.parts, op.bytes));
          this.hooks.onAppended(op.bytes);
        } else {
          await this.execute(() => this.sb.remove(op.start, op.end), 'remove');
        }
      }
    } catch (err) {
      this.failed = true;
      this.ops.length = 0;
      if (!this.signal.aborted) {
        this.hooks.onError(
          err instanceof PlayerError
            ? err
            : new PlayerError('MEDIA', `SourceBuffer: ${String(err)}`, { cause: err }),
        );
      }
    } finally {
      this.running = false;
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const w of waiters) w();
    }
  }

  /** On QuotaExceededError: evict the back buffer once and retry, then give up with BUFFER_FULL. */
  private async appendWithEviction(data: Bytes): Promise<void> {
    try {
      await this.execute(() => this.sb.appendBuffer(data), 'append');
    } catch (err) {
      if (!(err instanceof DOMException && err.name === 'QuotaExceededError')) throw err;
      const range = this.hooks.evictableRange();
      if (range) await this.execute(() => this.sb.remove(range[0], range[1]), 'remove');
      try {
        await this.execute(() => this.sb.appendBuffer(data), 'append');
      } catch (again) {
        if (again instanceof DOMException && again.name === 'QuotaExceededError') {
          throw new PlayerError('BUFFER_FULL', 'the audio buffer is full', { cause: again });
        }
        throw again;
      }
    }
  }

  /** Starts one operation and waits for its `updateend` (events fire in a later task); `error` rejects. */
  private async execute(start: () => void, what: string): Promise<void> {
    start();
    try {
      await waitForEvent(this.sb, 'updateend', SOURCE_BUFFER_OP_TIMEOUT_MS, this.signal, ['error']);
    } catch (err) {
      if (this.signal.aborted) throw err;
      const code = err instanceof TimeoutError ? 'TIMEOUT' : 'MEDIA';
      throw new PlayerError(code, `SourceBuffer ${what} failed: ${String(err)}`, { cause: err });
    }
  }
}

function concat(parts: Bytes[], total: number): Bytes {
  const [first] = parts;
  if (parts.length === 1 && first) return first;
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.byteLength;
  }
  return out;
}
