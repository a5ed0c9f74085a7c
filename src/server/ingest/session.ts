/**
 * Ingest sessions: one per broadcast. A session claims its mount, numbers per-chunk uploads,
 * feeds bytes through the WebM splitter into the hub, and ends on request or when idle.
 */
import { randomBytes } from 'node:crypto';
import type { ChunkAck } from '../../shared/protocol.js';
import type { StreamKeyKind } from '../auth/gate.js';
import { ApiError, endsBroadcast } from '../errors.js';
import type { Hub } from '../hub/hub.js';
import type { Mount } from '../hub/mount.js';
import type { SourceFormat, StreamInfo } from '../hub/types.js';
import type { Logger } from '../log.js';
import type { IngestPipeline } from './pipeline.js';
import { MpegPipeline, OggPipeline, WebmPipeline } from './pipeline.js';

export type EndReason = 'stopped' | 'idle' | 'error' | 'shutdown';

/** How often idle sessions are looked for. */
const IDLE_CHECK_INTERVAL_MS = 250;

export interface SessionLimits {
  maxInitBytes: number;
  maxElementBytes: number;
  ingestIdleTimeoutMs: number;
  /** Broadcasts (mounts) that may be live at once; a new one beyond it is refused with MOUNT_LIMIT. */
  maxMounts: number;
}

export class IngestSession {
  readonly id = randomBytes(16).toString('base64url');
  readonly mount: Mount;
  readonly createdAt = Date.now();
  /** Sequence number the per-chunk transport expects next. */
  nextSeq = 0;
  /** A streaming upload is attached right now. */
  streamOpen = false;
  ended = false;
  lastDataAt = Date.now();
  bytesIn = 0;
  /** Called once when the session ends (for whatever reason). */
  onEnd: (() => void) | undefined;
  /** Where the source connects from and how (`browser`, `icecast-put`, …), for the dashboard. */
  source: { address: string | null; transport: string } = { address: null, transport: 'browser' };
  /** The key the source came in with: a channel's own ends with its rotation, the operator's does not. */
  key: StreamKeyKind = 'operator';
  /** Ends the open streaming upload, if any. */
  streamAbort: (() => void) | undefined;
  private readonly pipeline: IngestPipeline;
  private readonly totals: IngestTotals | null;
  /** Ends this session for an error in its bytes (IngestSessions.end). */
  private readonly fail: (err: ApiError) => void;

  /** This session ends after this long without bytes. */
  readonly idleTimeoutMs: number;

  constructor(
    mount: Mount,
    options: {
      limits: SessionLimits;
      idleTimeoutMs: number;
      format: SourceFormat;
      log: Logger;
      totals: IngestTotals | null;
      fail: (err: ApiError) => void;
      /** What the source says about the stream (Icecast's ice-* headers): the pipeline gives it to the mount. */
      info?: StreamInfo;
    },
  ) {
    this.mount = mount;
    this.idleTimeoutMs = options.idleTimeoutMs;
    this.totals = options.totals;
    this.fail = options.fail;
    const info = options.info ?? {};
    this.pipeline =
      options.format === 'ogg'
        ? new OggPipeline(mount, { info, log: options.log })
        : options.format === 'webm'
          ? new WebmPipeline(mount, { limits: options.limits, log: options.log, info })
          : new MpegPipeline(mount, { format: options.format, info, log: options.log });
  }

  /**
   * Feeds upload bytes in order. Throws ApiError: AUTH_BAD_SESSION once the session has ended, and
   * the media error for bytes that cannot be read, which also ends the broadcast when the error
   * table says so (`endsBroadcast`).
   */
  feed(bytes: Uint8Array): void {
    if (this.ended) throw new ApiError('AUTH_BAD_SESSION', 'This broadcast has ended; start a new one.');
    this.lastDataAt = Date.now();
    this.bytesIn += bytes.byteLength;
    if (this.totals) add(this.totals.bytes, this.mount.name, bytes.byteLength);
    try {
      this.pipeline.push(bytes);
    } catch (err) {
      if (endsBroadcast(err)) this.fail(err);
      throw err;
    }
  }

  /**
   * Takes one per-chunk upload exactly once: by byte `offset` when the broadcaster sends one (the part
   * of `body` this session does not hold yet, so a resend overlapping what an earlier connection
   * delivered, streaming or per-chunk, is applied once), else by sequence number `seq` (in order,
   * once). Stops taking bytes from an open streaming upload (the broadcaster fell back from it).
   * Throws INGEST_SEQUENCE_GAP (with what it expects) for bytes ahead of what it holds, and what
   * `feed` throws.
   */
  acceptChunk(seq: number, offset: number | undefined, body: Uint8Array): ChunkAck {
    if (this.ended) throw new ApiError('AUTH_BAD_SESSION', 'This broadcast has ended.');
    if (this.streamOpen) this.detachStream();
    const held = this.bytesIn;
    const duplicate = offset === undefined ? this.takeBySeq(seq, body) : this.takeByOffset(seq, offset, body);
    // A resend after a broken connection: some or all of it was here already.
    if (duplicate || (offset !== undefined && offset < held)) this.noteRetry();
    return { ack: this.nextSeq - 1, duplicate, bytesIn: this.bytesIn };
  }

  /** Chunk numbers only: takes chunk `seq` once, in order. Returns true for a duplicate. */
  private takeBySeq(seq: number, body: Uint8Array): boolean {
    if (seq < this.nextSeq) return true;
    if (seq > this.nextSeq) {
      throw new ApiError('INGEST_SEQUENCE_GAP', `Chunk ${seq} arrived before chunk ${this.nextSeq}.`, {
        extra: { expectedSeq: this.nextSeq, expectedOffset: this.bytesIn },
      });
    }
    this.feed(body);
    this.nextSeq++;
    return false;
  }

  /** By byte offset: takes what is new in `body`. Returns true when nothing in it was new. */
  private takeByOffset(seq: number, offset: number, body: Uint8Array): boolean {
    if (offset > this.bytesIn) {
      throw new ApiError(
        'INGEST_SEQUENCE_GAP',
        `Bytes from offset ${offset} arrived before those from ${this.bytesIn}.`,
        { extra: { expectedSeq: this.nextSeq, expectedOffset: this.bytesIn } },
      );
    }
    this.nextSeq = Math.max(this.nextSeq, seq + 1);
    const skip = this.bytesIn - offset;
    if (skip >= body.byteLength) return true;
    this.feed(skip === 0 ? body : body.subarray(skip));
    return false;
  }

  /** Counts an upload that resent bytes this session already had. */
  private noteRetry(): void {
    if (this.totals) add(this.totals.retries, this.mount.name, 1);
  }

  /** Stops taking bytes from the open streaming upload (another transport takes over). */
  detachStream(): void {
    this.streamAbort?.();
    this.streamAbort = undefined;
  }
}

/**
 * A claim on a mount shared with other servers (the Redis cluster): `acquire` resolves once this
 * server holds `mount` everywhere, or rejects with MOUNT_IN_USE (another server holds it) or
 * CLUSTER_UNAVAILABLE; `release` gives it back (best effort, never throws).
 */
export interface MountClaims {
  acquire(mount: string, graceMs: number): Promise<void>;
  release(mount: string): void;
}

export interface SessionOptions {
  idleTimeoutMs?: number;
  info?: StreamInfo;
  /** What the source sends (WebM by default). */
  format?: SourceFormat;
  /** The key the source came in with (the operator's by default). */
  key?: StreamKeyKind;
}

/** Running totals per mount since start, for /metrics. */
export interface IngestTotals {
  /** Bytes taken from broadcasters. */
  bytes: Map<string, number>;
  /** Uploads that resent bytes this server already had (after a broken connection). */
  retries: Map<string, number>;
}

export class IngestSessions {
  readonly totals: IngestTotals = { bytes: new Map(), retries: new Map() };
  private readonly byMount = new Map<string, IngestSession>();
  /** Mounts whose shared claim is being acquired: a second broadcaster meanwhile gets MOUNT_IN_USE. */
  private readonly claiming = new Set<string>();
  private readonly hub: Hub;
  private readonly limits: SessionLimits;
  private readonly log: Logger;
  private readonly claims: MountClaims | null;
  private readonly timer: NodeJS.Timeout;

  constructor(options: { hub: Hub; limits: SessionLimits; log: Logger; claims?: MountClaims | null }) {
    this.hub = options.hub;
    this.limits = options.limits;
    this.log = options.log;
    this.claims = options.claims ?? null;
    this.timer = setInterval(() => this.endIdle(), IDLE_CHECK_INTERVAL_MS);
    this.timer.unref();
  }

  /** Broadcasts live now. */
  get live(): number {
    return this.byMount.size;
  }

  /**
   * Starts a broadcast on `mountName`, after claiming the mount across the cluster when there are
   * shared claims. Rejects with MOUNT_IN_USE when someone holds it, MOUNT_LIMIT when the server is full.
   * Without shared claims the mount is taken before this returns, so a second broadcaster in the same
   * tick is refused.
   */
  async open(
    mountName: string,
    fields: Record<string, unknown> = {},
    options: SessionOptions = {},
  ): Promise<IngestSession> {
    if (!this.claims) return this.create(mountName, fields, options);
    this.refuseIfHeld(mountName);
    // Before claiming cluster-wide: a claim this node cannot use would block the mount elsewhere.
    this.refuseIfFull(mountName, fields);
    this.claiming.add(mountName);
    try {
      await this.claims.acquire(mountName, options.idleTimeoutMs ?? this.limits.ingestIdleTimeoutMs);
    } finally {
      this.claiming.delete(mountName);
    }
    return this.create(mountName, fields, options);
  }

  /** MOUNT_LIMIT when `maxMounts` broadcasts are live already. */
  private refuseIfFull(mountName: string, fields: Record<string, unknown>): void {
    if (this.byMount.size < this.limits.maxMounts) return;
    this.log.warn({ mount: mountName, live: this.byMount.size, ...fields }, 'ingest refused: mount limit');
    throw new ApiError(
      'MOUNT_LIMIT',
      `The server already has ${this.limits.maxMounts} live broadcasts, as many as it allows (maxMounts); try again when one ends.`,
    );
  }

  /**
   * Claims `mountName` on this server for a new broadcast; MOUNT_IN_USE when another session holds it,
   * MOUNT_LIMIT when `maxMounts` broadcasts are live already.
   */
  private create(
    mountName: string,
    fields: Record<string, unknown> = {},
    options: SessionOptions = {},
  ): IngestSession {
    const held = this.byMount.get(mountName);
    if (held && !held.ended) {
      throw new ApiError('MOUNT_IN_USE', `Someone is already broadcasting on mount "${mountName}".`);
    }
    this.refuseIfFull(mountName, fields);
    const mount = this.hub.mount(mountName);
    const session: IngestSession = new IngestSession(mount, {
      limits: this.limits,
      idleTimeoutMs: options.idleTimeoutMs ?? this.limits.ingestIdleTimeoutMs,
      format: options.format ?? 'webm',
      log: this.log,
      totals: this.totals,
      fail: (err) => this.end(session, 'error', err),
      info: options.info,
    });
    session.key = options.key ?? 'operator';
    session.source = {
      address: typeof fields.ip === 'string' ? fields.ip : null,
      transport: typeof fields.transport === 'string' ? fields.transport : 'browser',
    };
    this.byMount.set(mountName, session);
    this.log.info({ mount: mountName, session: session.id.slice(0, 6), ...fields }, 'ingest session started');
    return session;
  }

  private refuseIfHeld(mountName: string): void {
    const held = this.byMount.get(mountName);
    if ((held && !held.ended) || this.claiming.has(mountName)) {
      throw new ApiError('MOUNT_IN_USE', `Someone is already broadcasting on mount "${mountName}".`);
    }
  }

  /** Ends the broadcast on `mountName`, if this server has one (its shared claim was lost). */
  endMount(mountName: string, reason: EndReason, error?: ApiError): void {
    const s = this.byMount.get(mountName);
    if (s) this.end(s, reason, error);
  }

  /**
   * Ends the broadcast on `mountName` if this server has one that came in with the channel's own key
   * (that key was rotated or the channel removed); one that came in with the operator's key stays.
   */
  endChannelKeySource(mountName: string): boolean {
    const s = this.find(mountName);
    if (s?.key !== 'channel') return false;
    this.end(s, 'stopped');
    return true;
  }

  /** Each broadcast on this server: its mount and when its last bytes came (ms). */
  lastData(): Array<[string, number]> {
    return [...this.byMount.values()].filter((s) => !s.ended).map((s) => [s.mount.name, s.lastDataAt]);
  }

  /** The live session of `mountName` on this node, if any. */
  find(mountName: string): IngestSession | undefined {
    const s = this.byMount.get(mountName);
    return s && !s.ended ? s : undefined;
  }

  /** True while a broadcast holds `mountName`. */
  isLive(mountName: string): boolean {
    const s = this.byMount.get(mountName);
    return s !== undefined && !s.ended;
  }

  /** The live session of `mountName` with id `id`; AUTH_BAD_SESSION otherwise. */
  get(mountName: string, id: string | undefined): IngestSession {
    const s = this.byMount.get(mountName);
    if (!id || !s || s.ended || s.id !== id) {
      throw new ApiError(
        'AUTH_BAD_SESSION',
        'Unknown or ended broadcast session; start the broadcast again.',
      );
    }
    return s;
  }

  /** Ends `session`: its mount goes OFFLINE and every listener's stream ends. Idempotent. */
  end(session: IngestSession, reason: EndReason, error?: ApiError): void {
    if (session.ended) return;
    session.ended = true;
    if (this.byMount.get(session.mount.name) === session) this.byMount.delete(session.mount.name);
    session.mount.end(reason === 'shutdown' ? 'shutdown' : 'ended');
    this.claims?.release(session.mount.name);
    session.onEnd?.();
    const fields = {
      mount: session.mount.name,
      session: session.id.slice(0, 6),
      reason,
      bytesIn: session.bytesIn,
      seconds: Math.round((Date.now() - session.createdAt) / 100) / 10,
      ...(error ? { code: error.code, err: error } : {}),
    };
    if (reason === 'error') this.log.warn(fields, 'ingest session ended');
    else this.log.info(fields, 'ingest session ended');
  }

  close(): void {
    clearInterval(this.timer);
    for (const s of [...this.byMount.values()]) this.end(s, 'shutdown');
  }

  private endIdle(): void {
    const now = Date.now();
    for (const s of [...this.byMount.values()]) {
      if (now - s.lastDataAt > s.idleTimeoutMs) this.end(s, 'idle');
    }
  }
}

function add(map: Map<string, number>, key: string, n: number): void {
  map.set(key, (map.get(key) ?? 0) + n);
}
