/**
 * Browser ingest over HTTP: claim a mount (session), then upload either as one long streaming
 * POST (HTTP/2) or as one POST per recorder chunk with a sequence number.
 */
import type { Request, Response } from 'express';
import express, { Router } from 'express';
import type { ChunkAck, IngestSession as IngestSessionBody, KeyCheck } from '../../shared/protocol.js';
import {
  isValidMount,
  MAX_TITLE_CHARS,
  OFFSET_HEADER,
  SEQ_HEADER,
  SESSION_HEADER,
  WEBM_CONTENT_TYPE,
} from '../../shared/protocol.js';
import { parseAuthorization, streamKeyOf } from '../auth/credentials.js';
import type { AuthRule, StreamKeys } from '../auth/gate.js';
import { authorize } from '../auth/gate.js';
import type { AuthLimiter } from '../auth/limiter.js';
import { ApiError, isApiError, sendError } from '../errors.js';
import { checkOrigin } from '../http/origin.js';
import type { Logger } from '../log.js';
import type { IngestSession, IngestSessions } from './session.js';

/** How long one per-chunk upload may take to arrive. */
const CHUNK_READ_TIMEOUT_MS = 10_000;

export interface IngestRouteOptions {
  /** Origins besides the server's own whose pages may upload. */
  allowedOrigins: readonly string[];
  sessions: IngestSessions;
  authLimiter: AuthLimiter;
  /** Which keys open which mount (the operator's everywhere, a channel's on its channel). */
  keys: StreamKeys;
  /** A private channel's join link path, for the pre-flight answer (the host's QR code), or null. */
  joinPath?: (mount: string) => string | null;
  maxChunkBytes: number;
  log: Logger;
}

function mountParam(req: Request): string {
  const mount = String(req.params.mount ?? '');
  if (!isValidMount(mount)) throw new ApiError('MOUNT_INVALID', `"${mount}" is not a valid mount name.`);
  return mount;
}

function requireWebm(req: Request): void {
  const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
  if (type !== WEBM_CONTENT_TYPE) {
    throw new ApiError(
      'INGEST_UNSUPPORTED_TYPE',
      `Content-Type "${type || '(none)'}" is not accepted here; send ${WEBM_CONTENT_TYPE} (Opus).`,
    );
  }
}

function sessionHeader(req: Request): string | undefined {
  const v = req.headers[SESSION_HEADER];
  return typeof v === 'string' ? v : undefined;
}

/** Reads a whole request body of at most `max` bytes; INGEST_CHUNK_TOO_LARGE beyond that. */
function readBody(req: Request, max: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > max) {
    return Promise.reject(tooLarge(max));
  }
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    let size = 0;
    const timer = setTimeout(() => {
      cleanup();
      reject(
        new ApiError('INGEST_IDLE_TIMEOUT', `The chunk did not arrive within ${CHUNK_READ_TIMEOUT_MS} ms.`),
      );
    }, CHUNK_READ_TIMEOUT_MS);
    const onData = (b: Buffer): void => {
      size += b.byteLength;
      if (size > max) {
        cleanup();
        reject(tooLarge(max));
        return;
      }
      parts.push(b);
    };
    const onEnd = (): void => {
      cleanup();
      resolve(parts.length === 1 && parts[0] ? parts[0] : Buffer.concat(parts, size));
    };
    const onError = (err: Error): void => {
      cleanup();
      reject(err);
    };
    const cleanup = (): void => {
      clearTimeout(timer);
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
  });
}

function tooLarge(max: number): ApiError {
  return new ApiError('INGEST_CHUNK_TOO_LARGE', `One upload chunk may be at most ${max} bytes.`);
}

/** Answers `err` (a ApiError, or anything else as INTERNAL) and closes the request body. */
function fail(req: Request, res: Response, err: unknown, log: Logger): void {
  const kit = isApiError(err)
    ? err
    : new ApiError('INTERNAL', 'Upload failed on the server.', {
        cause: err instanceof Error ? err : undefined,
      });
  if (!isApiError(err)) log.error({ err }, 'ingest failed');
  // The rest of the body is of no use: stop reading it once the answer is out.
  res.once('finish', () => {
    if (!req.complete) req.destroy();
  });
  sendError(res, kit);
}

/** A non-negative integer header, null when malformed. */
function headerNumber(req: Request, name: string): number | null {
  const raw = req.headers[name];
  return typeof raw === 'string' && /^\d{1,15}$/.test(raw) ? Number(raw) : null;
}

export function ingestRouter(options: IngestRouteOptions): Router {
  const { sessions, keys, maxChunkBytes, log } = options;
  const router = Router();

  const keyRule = (mount: string): AuthRule => ({
    accepts: (creds) => {
      const key = streamKeyOf(creds);
      return key !== null && keys.opens(mount, key);
    },
    code: 'AUTH_BAD_KEY',
    message: 'The stream key is wrong for this channel.',
    logMessage: 'ingest rejected: wrong stream key',
  });
  /** Throws AUTH_RATE_LIMITED for an address with too many wrong keys, AUTH_BAD_KEY for a wrong key. */
  const checkKey = (req: Request, mount: string): void => {
    const refused = authorize(
      options.authLimiter,
      { ip: req.socket.remoteAddress, authorization: req.headers.authorization, log, fields: { mount } },
      keyRule(mount),
    );
    if (refused) throw refused;
  };

  // Only our own pages (or allowed sites) may upload from a browser; CORS stays closed here.
  router.use('/api/ingest', (req, res, next) => {
    const refused = checkOrigin(req.headers, options.allowedOrigins);
    if (refused) {
      log.warn({ origin: req.headers.origin, ip: req.socket.remoteAddress }, 'ingest rejected: origin');
      sendError(res, refused);
      return;
    }
    next();
  });

  // Claim a mount for a new broadcast.
  router.post('/api/ingest/:mount/session', async (req, res) => {
    try {
      const mount = mountParam(req);
      checkKey(req, mount);
      // A cluster claims the mount in Redis first.
      const key = streamKeyOf(parseAuthorization(req.headers.authorization)) ?? '';
      const session = await sessions.open(
        mount,
        { ip: req.socket.remoteAddress },
        { key: keys.which(mount, key) ?? 'operator' },
      );
      const body: IngestSessionBody = {
        sessionId: session.id,
        mount,
        nextSeq: session.nextSeq,
        maxChunkBytes,
      };
      res.status(201).set('cache-control', 'no-store').json(body);
    } catch (err) {
      fail(req, res, err, log);
    }
  });

  // Is this the right key? (Pre-flight on the broadcaster page; claims nothing, counts wrong keys.)
  router.post('/api/ingest/:mount/check', (req, res) => {
    try {
      const mount = mountParam(req);
      checkKey(req, mount);
      const body: KeyCheck = { mount, live: sessions.isLive(mount) };
      const joinPath = options.joinPath?.(mount);
      if (joinPath) body.joinPath = joinPath;
      res.status(200).set('cache-control', 'no-store').json(body);
    } catch (err) {
      fail(req, res, err, log);
    }
  });

  // Set the stream title listeners see (the broadcaster page's title field).
  router.post('/api/ingest/:mount/title', express.json({ limit: 4096 }), (req, res) => {
    try {
      const session = sessions.get(mountParam(req), sessionHeader(req));
      const title: unknown = (req.body as Record<string, unknown> | undefined)?.title;
      if (typeof title !== 'string' || title.length > MAX_TITLE_CHARS) {
        throw new ApiError('BAD_REQUEST', `Send {"title": "…"}, at most ${MAX_TITLE_CHARS} characters.`);
      }
      session.mount.setTitle(title.trim() === '' ? null : title.trim());
      res.status(204).end();
    } catch (err) {
      fail(req, res, err, log);
    }
  });

  // End a broadcast now.
  router.delete('/api/ingest/:mount/session', (req, res) => {
    try {
      const session = sessions.get(mountParam(req), sessionHeader(req));
      sessions.end(session, 'stopped');
      res.status(200).json({ ended: true, bytesIn: session.bytesIn });
    } catch (err) {
      fail(req, res, err, log);
    }
  });

  // Transport 1: one long streaming POST.
  router.post('/api/ingest/:mount/stream', async (req, res) => {
    let session: IngestSession;
    try {
      session = sessions.get(mountParam(req), sessionHeader(req));
      requireWebm(req);
      if (session.streamOpen) {
        throw new ApiError('MOUNT_IN_USE', 'This broadcast already has an upload stream open.');
      }
    } catch (err) {
      fail(req, res, err, log);
      return;
    }
    session.streamOpen = true;
    let detached = false;
    session.streamAbort = () => {
      detached = true;
      req.destroy();
    };
    log.info(
      { mount: session.mount.name, transport: 'stream', http: req.httpVersion },
      'upload stream opened',
    );
    try {
      for await (const piece of req as AsyncIterable<Buffer>) {
        if (detached) break;
        session.feed(piece);
      }
      if (!detached) res.status(200).json({ bytesIn: session.bytesIn });
    } catch (err) {
      // An error in the bytes has ended the broadcast already (IngestSession.feed).
      if (!detached && !res.headersSent && !res.destroyed) fail(req, res, err, log);
    } finally {
      session.streamOpen = false;
      session.streamAbort = undefined;
      // The broadcaster resumes from the byte count it sees next: send it now.
      session.mount.notify();
      log.info({ mount: session.mount.name, bytesIn: session.bytesIn }, 'upload stream closed');
    }
  });

  // Transport 2: one POST per recorder chunk, acknowledged, idempotent on retry.
  router.post('/api/ingest/:mount/chunk', async (req, res) => {
    try {
      const session = sessions.get(mountParam(req), sessionHeader(req));
      requireWebm(req);
      const seq = headerNumber(req, SEQ_HEADER);
      if (seq === null) {
        throw new ApiError('INGEST_BAD_SEQUENCE', `Header ${SEQ_HEADER} must be a chunk number 0, 1, 2, …`);
      }
      const offset = req.headers[OFFSET_HEADER] === undefined ? undefined : headerNumber(req, OFFSET_HEADER);
      if (offset === null) {
        throw new ApiError('INGEST_BAD_SEQUENCE', `Header ${OFFSET_HEADER} must be a byte offset 0, 1, 2, …`);
      }
      const body = await readBody(req, maxChunkBytes);
      const ack: ChunkAck = session.acceptChunk(seq, offset, body);
      res.status(200).set('cache-control', 'no-store').json(ack);
    } catch (err) {
      fail(req, res, err, log);
    }
  });

  return router;
}
