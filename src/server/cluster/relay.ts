/**
 * A node's copy of a mount broadcast elsewhere: reads the mount's Redis Stream once (one blocking
 * connection per relayed mount, however many local listeners) and feeds a local Mount through the
 * ingest pipeline a local WebM source uses (origin `relay`), so every output works unchanged; an
 * MP3/AAC broadcast (its info's sourceType says so) goes through the MP3/AAC source's pipeline.
 * It starts from the newest sync point (the meta hash says where), so local late joiners get the
 * init segment and the newest Cluster. It ends the local mount on the broadcast's end entry, when
 * the owner's claim is gone, or after the broadcast's grace period without a chunk (the owner died).
 */
import type { Redis } from 'ioredis';
import type { Hub } from '../hub/hub.js';
import type { Mount } from '../hub/mount.js';
import { MpegPipeline, WebmPipeline } from '../ingest/pipeline.js';
import type { Logger } from '../log.js';
import { frameFormatOf } from '../mpeg/frames.js';
import type { Entry, Meta } from './entries.js';
import { compareIds, decodeEntry, decodeMeta } from './entries.js';
import { claimKey, metaKey, streamKey } from './keys.js';
import { STREAM_MAX_LEN } from './publisher.js';

/** Longest blocking read; the loop looks at stop requests between reads. */
export const READ_BLOCK_MS = 1_000;
/** Entries taken per read. */
const READ_COUNT = 500;
/** How often the silence and the owner's claim are checked. */
const CHECK_INTERVAL_MS = 250;
const CLAIM_CHECK_MS = 1_000;
/** A relay whose Redis connection does not come up within this gives up (and is tried again later). */
const READY_TIMEOUT_MS = 3_000;

export type RelayEnd = 'ended' | 'silent' | 'claim-gone' | 'replaced' | 'not-live' | 'error' | 'stopped';

export class Relay {
  readonly mountName: string;
  /** ms from the publisher's clock to this node reading the newest entry. */
  lagMs = 0;
  entries = 0;
  private readonly hub: Hub;
  /** The blocking reader's own connection. */
  private readonly reader: Redis;
  /** The node's shared command connection (claim checks). */
  private readonly cmd: Redis;
  private readonly log: Logger;
  private readonly onStop: (relay: Relay, reason: RelayEnd) => void;
  private mount: Mount | null = null;
  /** What feeds the local mount, from the begin on. */
  private pipeline: WebmPipeline | MpegPipeline | null = null;
  private meta: Meta | null = null;
  private lastDataAt = Date.now();
  private lastClaimCheck = Date.now();
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  /** True while this relay itself changes the local mount (so its own changes are not sent back). */
  private applying = false;
  private unsubscribe: (() => void) | null = null;
  private readonly onTitle: (mount: string, title: string | null) => void;

  constructor(options: {
    mount: string;
    hub: Hub;
    reader: Redis;
    cmd: Redis;
    log: Logger;
    onStop: (relay: Relay, reason: RelayEnd) => void;
    /** Someone set the title on this node (/admin/metadata): the owner should apply it. */
    onTitle: (mount: string, title: string | null) => void;
  }) {
    this.onTitle = options.onTitle;
    this.mountName = options.mount;
    this.hub = options.hub;
    this.reader = options.reader;
    this.cmd = options.cmd;
    this.log = options.log;
    this.onStop = options.onStop;
  }

  /** Catches up from the newest sync point, then follows the stream until the broadcast ends. */
  async run(): Promise<void> {
    try {
      await waitReady(this.reader, READY_TIMEOUT_MS);
      const meta = decodeMeta(await this.reader.hgetallBuffer(metaKey(this.mountName)));
      const owner = await this.cmd.get(claimKey(this.mountName));
      if (this.stopped) return;
      if (!meta || owner !== meta.node) {
        this.stop('not-live');
        return;
      }
      this.meta = meta;
      const mount = this.hub.mount(this.mountName);
      const format = frameFormatOf(meta.info.sourceType);
      // The packets output is not carried through Redis: the pipeline makes it from the relayed WebM.
      const pipeline = format
        ? new MpegPipeline(mount, { format, log: this.log, info: meta.info, relay: true })
        : new WebmPipeline(mount, { log: this.log, info: meta.info, relay: true });
      this.applying = true;
      try {
        if (pipeline instanceof MpegPipeline) {
          pipeline.begin(meta.title, new Date(meta.startedAt));
        } else {
          pipeline.begin(meta.init, meta.title, new Date(meta.startedAt));
          if (meta.oggInit) pipeline.setInit('ogg', meta.oggInit);
        }
      } finally {
        this.applying = false;
      }
      this.mount = mount;
      this.pipeline = pipeline;
      this.unsubscribe = this.hub.onChange((snap, kind) => {
        if (kind === 'title' && !this.applying && snap.mount === this.mountName) {
          this.onTitle(this.mountName, snap.title);
        }
      });
      this.lastDataAt = Date.now();
      this.timer = setInterval(() => this.check(), CHECK_INTERVAL_MS);
      this.timer.unref();
      this.log.info({ mount: this.mountName, from: meta.node }, 'relaying from redis');

      // From the oldest of the renditions' newest sync points (or the begin entry) to now.
      const starts = [meta.sync.webm, meta.sync.ogg, meta.sync.mpeg].filter(
        (x): x is string => x !== undefined,
      );
      const start = starts.length > 0 ? (starts.sort(compareIds)[0] ?? meta.beginId) : meta.beginId;
      const history = await this.reader.xrangeBuffer(
        streamKey(this.mountName),
        start,
        '+',
        'COUNT',
        STREAM_MAX_LEN,
      );
      let lastId = start;
      for (const [id, fields] of history) {
        if (this.stopped) return;
        lastId = id.toString('latin1');
        this.apply(decodeEntry(fields), false);
      }
      while (!this.stopped) {
        const res = await this.reader.xreadBuffer(
          'COUNT',
          READ_COUNT,
          'BLOCK',
          READ_BLOCK_MS,
          'STREAMS',
          streamKey(this.mountName),
          lastId,
        );
        for (const [, items] of res ?? []) {
          for (const [id, fields] of items) {
            if (this.stopped) return;
            lastId = id.toString('latin1');
            this.apply(decodeEntry(fields), true);
          }
        }
      }
    } catch (err) {
      if (this.stopped) return;
      this.log.warn({ mount: this.mountName, err }, 'relay failed');
      this.stop('error');
    }
  }

  /** Ends the local mount (if this relay began it) and closes the reader. Idempotent. */
  stop(reason: RelayEnd): void {
    if (this.stopped) return;
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.reader.disconnect(false);
    this.unsubscribe?.();
    if (this.mount) {
      this.log.info({ mount: this.mountName, reason }, 'relay ended');
      this.mount.end('ended');
    }
    this.onStop(this, reason);
  }

  private apply(entry: Entry | null, live: boolean): void {
    const mount = this.mount;
    const pipeline = this.pipeline;
    const meta = this.meta;
    if (!entry || !mount || !pipeline || !meta) return;
    if (entry.bid !== meta.bid) {
      // Someone else's broadcast began on this mount: this one is over.
      if (entry.kind === 'begin') this.stop('replaced');
      return;
    }
    this.entries++;
    if (live) this.lagMs = Math.max(0, Date.now() - entry.t);
    this.applying = true;
    try {
      this.applyEntry(mount, pipeline, entry);
    } finally {
      this.applying = false;
    }
  }

  private applyEntry(mount: Mount, pipeline: WebmPipeline | MpegPipeline, entry: Entry): void {
    switch (entry.kind) {
      case 'begin':
        // Written again by the owner after a failed write: chunks go on from a sync point.
        break;
      case 'init':
        // An MP3/AAC broadcast has no init but the begin's (empty).
        if (entry.container !== 'mpeg' && pipeline instanceof WebmPipeline)
          pipeline.setInit(entry.container, entry.bytes);
        break;
      case 'chunk':
        this.lastDataAt = Date.now();
        if (pipeline instanceof MpegPipeline) {
          if (entry.container === 'mpeg') pipeline.media(entry.chunk, entry.bytesIn);
        } else if (entry.container !== 'mpeg') {
          pipeline.media(entry.container, entry.chunk, entry.bytesIn);
        }
        break;
      case 'title':
        mount.setTitle(entry.title);
        break;
      case 'end':
        this.stop('ended');
        break;
    }
  }

  private check(): void {
    const meta = this.meta;
    if (this.stopped || !meta) return;
    const now = Date.now();
    if (now - this.lastDataAt > meta.graceMs) {
      this.stop('silent');
      return;
    }
    if (now - this.lastClaimCheck < CLAIM_CHECK_MS || this.cmd.status !== 'ready') return;
    this.lastClaimCheck = now;
    this.cmd.get(claimKey(this.mountName)).then(
      (owner) => {
        if (owner !== meta.node) this.stop('claim-gone');
      },
      () => {
        // Redis is away: the silence rule ends the mount if it stays away.
      },
    );
  }
}

/** Resolves once `client` is ready; rejects after `timeoutMs`. */
export function waitReady(client: Redis, timeoutMs: number): Promise<void> {
  if (client.status === 'ready') return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      client.off('ready', onReady);
      reject(new Error(`redis not ready within ${timeoutMs} ms`));
    }, timeoutMs);
    const onReady = (): void => {
      clearTimeout(timer);
      resolve();
    };
    client.once('ready', onReady);
  });
}
