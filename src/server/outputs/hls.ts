/**
 * The HLS output: per live mount one Low-Latency HLS stream (`hls-stream.ts`), built from the same
 * Opus packets the low-latency player gets (the hub's `packets` output, through its media events, so
 * a cluster relay builds it from what it relays), served as `GET /<mount>.m3u8` and
 * `GET /hls/<mount>/<broadcast>/{init.mp4,s<msn>.m4s,s<msn>.<part>.m4s}`.
 *
 * Blocking playlist reloads and preload-hinted parts are held until what they ask for exists, at
 * most three target durations (then 503), and at most `maxHeldRequests` at once (then 503 HLS_BUSY).
 * Media are immutable and cacheable for long (the broadcast is in their URL); playlists for about a
 * part, blocking ones by their query: what a CDN or nginx (`proxy_cache_lock`) needs to collapse a
 * crowd's requests into one per part.
 */
import { randomBytes } from 'node:crypto';
import type { Request, Response } from 'express';
import { Router } from 'express';
import { HLS, isValidMount, PACKETS } from '../../shared/protocol.js';
import { ApiError, sendError } from '../errors.js';
import type { Hub } from '../hub/hub.js';
import type { Mount } from '../hub/mount.js';
import type { MediaEvent } from '../hub/types.js';
import type { Logger } from '../log.js';
import { readPage } from '../ogg/page.js';
import type { OpusHeader, OpusPacket } from '../opus/opus-packet.js';
import { isOpusHead, makeOpusHead, parseOpusHead } from '../opus/opus-packet.js';
import { INIT_NAME, renderPlaylist } from './hls-playlist.js';
import type { BlockState, HlsTiming } from './hls-stream.js';
import { HlsStream } from './hls-stream.js';
import { formatError } from './listen.js';

const PLAYLIST_PATH = /^\/([a-z0-9][a-z0-9_-]{0,63})\.m3u8$/;
const MEDIA_PATH =
  /^\/hls\/([a-z0-9][a-z0-9_-]{0,63})\/([a-z0-9]{1,32})\/(init\.mp4|s(\d{1,15})(?:\.(\d{1,4}))?\.m4s)$/;

/** Media (their URLs name the broadcast) are kept by caches this long. */
const MEDIA_MAX_AGE_S = 3600;
/** An ended stream's playlist (with ENDLIST) and media stay served this long, then are forgotten. */
const ENDED_KEEP_MS = 60_000;

export interface HlsOptions {
  hub: Hub;
  timing: HlsTiming;
  /** Blocking requests held at once, over every mount; more get 503 HLS_BUSY. */
  maxHeldRequests: number;
  log: Logger;
}

/** One mount's HLS state: its stream (this broadcast's, or the last one's after it ended). */
interface MountHls {
  stream: HlsStream | null;
  /** The OpusHead from the Ogg output's header page, or null (then built from the packets header). */
  head: OpusHeader | null;
  /** Channels and pre-skip from the packets output's header. */
  packetsHeader: { channels: number; preSkip: number } | null;
  /** The MSN the next stream starts at: after the last one's, so cached URLs never repeat. */
  nextMsn: number;
  /** Held requests, re-checked on every update of the stream. */
  waiters: Set<() => void>;
  forget: NodeJS.Timeout | null;
  /** Building this broadcast's stream failed: no more until the next broadcast. */
  failed: boolean;
}

export class HlsOutput {
  private readonly hub: Hub;
  private readonly timing: HlsTiming;
  private readonly maxHeld: number;
  private readonly log: Logger;
  private readonly mounts = new Map<string, MountHls>();
  private held = 0;
  /** Ends every held request (server closing). */
  private readonly releases = new Set<() => void>();
  private readonly unsubscribe: (() => void)[];
  /** How long a request is held: three target durations (RFC 8216bis §6.2.5.2). */
  readonly holdMs: number;
  /**
   * How long a plain playlist request is held at a broadcast's start, waiting for HOLD-BACK's worth of
   * segments (`HlsStream.startable`): HOLD-BACK, plus the usual hold for the source's first packets.
   */
  readonly startHoldMs: number;

  constructor(options: HlsOptions) {
    this.hub = options.hub;
    this.timing = options.timing;
    this.maxHeld = options.maxHeldRequests;
    this.log = options.log;
    const targetDurationS = Math.max(1, Math.round((this.timing.segmentMs + this.timing.partMs) / 1000));
    this.holdMs = 3 * 1000 * targetDurationS;
    // HOLD-BACK is three target durations too (HlsStream.holdBackS).
    this.startHoldMs = this.holdMs + 3 * 1000 * targetDurationS;
    this.unsubscribe = [
      this.hub.onMedia((mount, event) => {
        // Called inside the pipeline's publish: a failure here must never reach the broadcast.
        try {
          this.media(mount, event);
        } catch (err) {
          this.log.error(
            { err, mount: mount.name },
            'hls output failed on this broadcast; its playlist ends',
          );
          this.end(mount.name);
        }
      }),
      this.hub.onChange((snapshot, kind) => {
        if (kind === 'state' && snapshot.state === 'offline') this.end(snapshot.mount);
      }),
    ];
  }

  /** Requests held now (blocking reloads and hinted parts). */
  get heldRequests(): number {
    return this.held;
  }

  /** The current (or last, for a minute after it ended) stream of `mount`. */
  stream(mount: string): HlsStream | null {
    return this.mounts.get(mount)?.stream ?? null;
  }

  close(): void {
    for (const release of [...this.releases]) release();
    for (const u of this.unsubscribe) u();
    for (const name of [...this.mounts.keys()]) this.end(name);
    for (const m of this.mounts.values()) if (m.forget) clearTimeout(m.forget);
    this.mounts.clear();
  }

  private state(name: string): MountHls {
    let m = this.mounts.get(name);
    if (!m) {
      m = {
        stream: null,
        head: null,
        packetsHeader: null,
        nextMsn: 0,
        waiters: new Set(),
        forget: null,
        failed: false,
      };
      this.mounts.set(name, m);
    }
    return m;
  }

  private media(mount: Mount, event: MediaEvent): void {
    const m = this.state(mount.name);
    if (event.kind === 'init') {
      if (event.container === 'webm') {
        // A broadcast begins: the last one's stream (if still open) ends and is no longer served; the
        // new one starts with its packets.
        this.end(mount.name);
        m.stream = null;
        m.failed = false;
        m.head = null;
        m.packetsHeader = null;
      } else if (event.container === 'ogg') {
        m.head = m.head ?? opusHeadOfOggHeader(event.bytes);
      } else if (event.container === 'packets' && event.bytes.byteLength >= PACKETS.headerBytes) {
        const b = Buffer.from(event.bytes.buffer, event.bytes.byteOffset, event.bytes.byteLength);
        m.packetsHeader = { channels: b.readUInt8(4), preSkip: b.readUInt16BE(6) };
      }
      return;
    }
    if (event.container !== 'packets' || m.failed) return;
    const packets = packetsOfFrames(event.chunk.bytes);
    if (packets.length === 0) return;
    if (!m.stream || m.stream.ended) {
      const head = m.head ?? headFromPacketsHeader(m.packetsHeader);
      if (!head) return;
      this.open(mount.name, m, head);
    }
    m.stream?.push(packets);
  }

  private open(name: string, m: MountHls, head: OpusHeader): void {
    if (m.forget) clearTimeout(m.forget);
    m.forget = null;
    const stream = new HlsStream({
      id: `${Date.now().toString(36)}${randomBytes(3).toString('hex')}`,
      head,
      firstMsn: m.nextMsn,
      timing: this.timing,
    });
    stream.onUpdate = () => {
      for (const w of [...m.waiters]) w();
    };
    m.stream = stream;
    for (const w of [...m.waiters]) w();
    this.log.info({ mount: name, broadcast: stream.id, firstMsn: m.nextMsn }, 'hls stream started');
  }

  private end(name: string): void {
    const m = this.mounts.get(name);
    const stream = m?.stream;
    if (!m || !stream || stream.ended) return;
    stream.end();
    m.nextMsn = stream.endMsn;
    m.forget = setTimeout(() => {
      if (m.stream === stream) m.stream = null;
      m.forget = null;
    }, ENDED_KEEP_MS);
    m.forget.unref();
  }

  /**
   * Holds `res` until `check` says ready (then `answer`), gone or too far (`refuse`), or the hold
   * times out after `timeout.ms` (then `timeout.expire`, by default 503 HLS_HOLD_TIMEOUT). Refuses at
   * once when the server holds as many as it may.
   */
  private hold(
    m: MountHls,
    res: Response,
    check: () => BlockState,
    answer: () => void,
    refuse: (state: 'gone' | 'too-far') => void,
    timeout: { ms: number; expire?: () => void } = { ms: this.holdMs },
  ): void {
    const first = check();
    if (first === 'ready') {
      answer();
      return;
    }
    if (first !== 'wait') {
      refuse(first);
      return;
    }
    if (this.held >= this.maxHeld) {
      sendError(
        res,
        new ApiError('HLS_BUSY', `The server holds ${this.maxHeld} HLS requests already; retry shortly.`, {
          extra: { retryAfterSeconds: 1 },
        }),
      );
      return;
    }
    this.held++;
    let done = false;
    const finish = (): void => {
      if (done) return;
      done = true;
      this.held--;
      clearTimeout(timer);
      m.waiters.delete(waiter);
      this.releases.delete(release);
      res.off('close', finish);
    };
    const release = (): void => {
      finish();
      sendError(res, new ApiError('SERVER_CLOSING', 'The server is shutting down.'));
    };
    const waiter = (): void => {
      const state = check();
      if (state === 'wait') return;
      finish();
      if (state === 'ready') answer();
      else refuse(state);
    };
    const timer = setTimeout(() => {
      finish();
      if (timeout.expire) timeout.expire();
      else sendError(res, holdTimeout(timeout.ms));
    }, timeout.ms);
    m.waiters.add(waiter);
    this.releases.add(release);
    res.on('close', finish);
  }

  router(): Router {
    const router = Router();
    router.get(PLAYLIST_PATH, (req, res, next) => {
      const name = PLAYLIST_PATH.exec(req.path)?.[1] ?? '';
      if (isValidMount(name)) this.playlist(name, req, res);
      else next();
    });
    router.get(MEDIA_PATH, (req, res, next) => {
      const match = MEDIA_PATH.exec(req.path);
      const name = match?.[1] ?? '';
      if (match && isValidMount(name))
        this.mediaFile(name, match[2] as string, match[3] as string, match[4], match[5], res);
      else next();
    });
    return router;
  }

  private playlist(name: string, req: Request, res: Response): void {
    setCors(res);
    const mount = this.hub.find(name);
    // An MP3/AAC mount has no Opus to put in fMP4: say so rather than hold the request.
    const unavailable = mount?.state === 'live' ? formatError(mount, '.m3u8') : null;
    if (unavailable) {
      sendError(res, unavailable);
      return;
    }
    const isLive = (): boolean => this.hub.find(name)?.state === 'live';
    const known = this.mounts.get(name);
    if (!known?.stream && !isLive()) {
      sendError(res, new ApiError('LISTEN_OFFLINE', `Mount "${name}" is offline: nobody is broadcasting.`));
      return;
    }
    // LIVE before the broadcast's first media: its stream is about to begin.
    const m = known ?? this.state(name);
    const msnRaw = req.query._HLS_msn;
    const partRaw = req.query._HLS_part;
    if (msnRaw === undefined && partRaw !== undefined) {
      sendError(res, new ApiError('BAD_REQUEST', '_HLS_part needs _HLS_msn.'));
      return;
    }
    const msn = msnRaw === undefined ? undefined : nonNegativeInt(msnRaw);
    const part = partRaw === undefined ? undefined : nonNegativeInt(partRaw);
    if (msn === null || part === null) {
      sendError(res, new ApiError('BAD_REQUEST', '_HLS_msn and _HLS_part must be integers of 0 or more.'));
      return;
    }
    const blocking = msn !== undefined;
    // The stream may not exist yet (LIVE, first packets still to come), or be replaced meanwhile.
    const check = (): BlockState => {
      const stream = m.stream;
      if (!stream) return 'wait';
      if (msn !== undefined) return stream.blockState(msn, part);
      // A new broadcast is LIVE but its stream has not begun: the last one's ENDLIST would stop a
      // player that is starting.
      if (stream.ended && isLive()) return 'wait';
      // A plain request (a player starting) waits for HOLD-BACK's worth of segments: a shorter
      // playlist leaves it nowhere to start.
      return stream.startable ? 'ready' : 'wait';
    };
    // A source that stalls at its start still gets its few parts played, once the hold is over.
    const expire = (): void => {
      const stream = m.stream;
      if (stream && !stream.ended && stream.segments.length > 0) answer();
      else sendError(res, holdTimeout(this.startHoldMs));
    };
    const answer = (): void => {
      const stream = m.stream as HlsStream;
      res.setHeader('content-type', HLS.playlistContentType);
      // About a part for the plain playlist (whole seconds: 1); a blocking answer by its query.
      const maxAge = blocking && !stream.ended ? stream.targetDuration * 3 : 1;
      res.setHeader('cache-control', `public, max-age=${maxAge}`);
      res.end(renderPlaylist(name, stream));
    };
    this.hold(
      m,
      res,
      check,
      answer,
      () => {
        const edge = m.stream?.edge;
        sendError(
          res,
          new ApiError(
            'HLS_TOO_FAR',
            `Segment ${msn}${part === undefined ? '' : ` part ${part}`} is too far ahead of the live edge (segment ${edge?.msn}, part ${edge?.parts}).`,
          ),
        );
      },
      blocking ? { ms: this.holdMs } : { ms: this.startHoldMs, expire },
    );
  }

  private mediaFile(
    name: string,
    id: string,
    file: string,
    msnRaw: string | undefined,
    partRaw: string | undefined,
    res: Response,
  ): void {
    setCors(res);
    const m = this.mounts.get(name);
    const stream = m?.stream;
    const notFound = (): void =>
      sendError(res, new ApiError('NOT_FOUND', `No HLS ${file} of broadcast ${id} on "${name}" (any more).`));
    if (!m || !stream || stream.id !== id) {
      notFound();
      return;
    }
    const send = (bytes: Uint8Array): void => {
      res.setHeader('content-type', HLS.mediaContentType);
      res.setHeader('cache-control', `public, max-age=${MEDIA_MAX_AGE_S}, immutable`);
      res.end(bytes);
    };
    if (file === INIT_NAME) {
      send(stream.init);
      return;
    }
    const msn = Number(msnRaw);
    if (partRaw === undefined) {
      const bytes = stream.segmentBytes(msn);
      if (bytes) send(bytes);
      else notFound();
      return;
    }
    const part = Number(partRaw);
    this.hold(
      m,
      res,
      () => stream.partState(msn, part),
      () => send(stream.partBytes(msn, part) as Uint8Array),
      (state) =>
        state === 'gone'
          ? notFound()
          : sendError(
              res,
              new ApiError(
                'HLS_TOO_FAR',
                `Part ${part} of segment ${msn} is too far ahead of the live edge.`,
              ),
            ),
    );
  }
}

function holdTimeout(ms: number): ApiError {
  return new ApiError('HLS_HOLD_TIMEOUT', `Not there after ${ms} ms; reload the playlist.`);
}

function setCors(res: Response): void {
  res.setHeader('access-control-allow-origin', '*');
  // hls.js reads Age to place its first blocking request (RFC 8216bis Appendix C) behind a cache.
  res.setHeader('access-control-expose-headers', 'age, date');
  res.setHeader('x-content-type-options', 'nosniff');
}

function nonNegativeInt(v: unknown): number | null {
  return typeof v === 'string' && /^\d{1,15}$/.test(v) ? Number(v) : null;
}

/** The Opus packets in a chunk of the packets output's frames (format PACKETS). */
export function packetsOfFrames(bytes: Uint8Array): OpusPacket[] {
  const out: OpusPacket[] = [];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let at = 0;
  while (at + PACKETS.frameHeaderBytes <= bytes.byteLength) {
    const n = view.getUint16(at);
    const start = at + PACKETS.frameHeaderBytes;
    if (start + n > bytes.byteLength) break;
    out.push({
      data: bytes.subarray(start, start + n),
      pts: view.getUint32(at + 2),
      samples: view.getUint16(at + 6),
    });
    at = start + n;
  }
  return out;
}

/** The OpusHead in the first page of an Ogg Opus header, or null when it is not there or unreadable. */
function opusHeadOfOggHeader(bytes: Uint8Array): OpusHeader | null {
  try {
    const read = readPage(bytes, 0);
    if (typeof read === 'symbol' || !isOpusHead(read.page.body)) return null;
    return parseOpusHead(read.page.body.slice());
  } catch {
    return null;
  }
}

/** An OpusHead from the packets header's channels and pre-skip (mono or stereo only). */
function headFromPacketsHeader(h: { channels: number; preSkip: number } | null): OpusHeader | null {
  if (!h || h.channels < 1 || h.channels > 2) return null;
  return parseOpusHead(makeOpusHead({ channels: h.channels, preSkip: h.preSkip, inputSampleRate: 48_000 }));
}
