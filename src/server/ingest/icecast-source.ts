/**
 * Icecast source clients (ffmpeg, butt, Liquidsoap, Mixxx, ezstream): `PUT /<mount>` or the legacy
 * `SOURCE /<mount>`, Basic auth `source:<stream key>`, `Expect: 100-continue`, chunked or unframed
 * bodies, `ice-*` headers. Node's HTTP parser cannot follow those bodies (libshout sends
 * `Content-Length: 0` and then the audio; ffmpeg sends no length at all), so these connections are
 * taken off the HTTP server before it parses them and are read here as raw sockets.
 */
import type net from 'node:net';
import type { ErrorBody } from '../../shared/protocol.js';
import { isValidMount } from '../../shared/protocol.js';
import type { AuthLimiter } from '../auth-limiter.js';
import { isKitError, KitError } from '../errors.js';
import type { Container, StreamInfo } from '../hub/types.js';
import type { Logger } from '../log.js';
import { basicCredentials, secretEquals } from '../secrets.js';
import type { RequestHead } from './http-head.js';
import { ChunkedDecoder } from './http-head.js';
import type { IngestSession, IngestSessions } from './session.js';

/** Content types a source may send, and the container each means. */
const SOURCE_TYPES: Readonly<Record<string, Container>> = {
  'audio/webm': 'webm',
  'video/webm': 'webm',
  'audio/ogg': 'ogg',
  'application/ogg': 'ogg',
  'audio/opus': 'ogg',
};

const ACCEPTED_TYPES = Object.keys(SOURCE_TYPES).join(', ');

const STATUS_TEXT: Record<number, string> = {
  200: 'OK',
  400: 'Bad Request',
  401: 'Authorization Required',
  409: 'Conflict',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  429: 'Too Many Requests',
  422: 'Unprocessable Entity',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

export interface SourceOptions {
  sessions: IngestSessions;
  authLimiter: AuthLimiter;
  streamKey: string;
  /** A source that sends nothing for this long is dropped (Icecast's source-timeout). */
  sourceTimeoutMs: number;
  log: Logger;
}

/** Mount named by a source path: `/live`, `/live.webm`, `/live.ogg`, `/live.opus` → `live`. */
export function mountFromSourcePath(path: string): string {
  return path.replace(/^\//, '').replace(/\.(webm|ogg|oga|opus)$/, '');
}

function writeError(socket: net.Socket, err: KitError, extraHeaders = ''): void {
  const body = JSON.stringify(err.toBody() satisfies ErrorBody);
  socket.end(
    `HTTP/1.0 ${err.status} ${STATUS_TEXT[err.status] ?? 'Error'}\r\n` +
      `Content-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
      `${extraHeaders}Connection: close\r\n\r\n${body}`,
  );
}

/** The stream key from `Authorization: Basic` with user `source`; null when absent or another user. */
function sourcePassword(head: RequestHead): string | null {
  const creds = basicCredentials(head.headers.authorization);
  return creds?.user === 'source' ? creds.password : null;
}

function streamInfo(head: RequestHead, type: string): StreamInfo {
  const h = head.headers;
  const info: StreamInfo = { sourceType: type };
  if (h['ice-name']) info.name = h['ice-name'].slice(0, 200);
  if (h['ice-description']) info.description = h['ice-description'].slice(0, 500);
  if (h['ice-genre']) info.genre = h['ice-genre'].slice(0, 100);
  if (h['ice-url']) info.url = h['ice-url'].slice(0, 300);
  return info;
}

/**
 * Serves one source connection whose head has been read: checks it, claims the mount, answers
 * `200 OK` and feeds every body byte into the session until the source disconnects or goes silent.
 */
export function serveSource(
  socket: net.Socket,
  head: RequestHead,
  rest: Buffer,
  options: SourceOptions,
): void {
  const { sessions, streamKey, log } = options;
  const ip = socket.remoteAddress;
  socket.on('error', () => socket.destroy());
  const mount = mountFromSourcePath(head.path);
  if (!isValidMount(mount)) {
    writeError(socket, new KitError('MOUNT_INVALID', `"${mount}" is not a valid mount name.`));
    return;
  }
  const limited = options.authLimiter.check(ip);
  if (limited) {
    writeError(socket, limited, `Retry-After: ${limited.extra.retryAfterSeconds ?? 60}\r\n`);
    return;
  }
  const password = sourcePassword(head);
  if (password === null || !secretEquals(password, streamKey)) {
    options.authLimiter.fail(ip);
    log.warn({ mount, ip, method: head.method }, 'source rejected: bad credentials');
    writeError(
      socket,
      new KitError('AUTH_BAD_KEY', 'Bad credentials: use user "source" and the stream key as password.'),
      'WWW-Authenticate: Basic realm="onair"\r\n',
    );
    return;
  }
  const type = (head.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  const container = SOURCE_TYPES[type];
  if (!container) {
    writeError(
      socket,
      new KitError(
        'INGEST_UNSUPPORTED_TYPE',
        `Content-Type "${type || '(none)'}" is not supported; send Opus as one of: ${ACCEPTED_TYPES}.`,
      ),
    );
    return;
  }
  const refuse = (err: unknown): void =>
    writeError(socket, isKitError(err) ? err : new KitError('INTERNAL', 'Could not start the broadcast.'));
  let opened: IngestSession | Promise<IngestSession>;
  try {
    opened = sessions.open(
      mount,
      { ip, transport: `icecast-${head.method.toLowerCase()}`, type },
      {
        idleTimeoutMs: options.sourceTimeoutMs,
        info: streamInfo(head, container === 'ogg' ? 'audio/ogg' : type),
        container,
      },
    );
  } catch (err) {
    refuse(err);
    return;
  }
  if (!(opened instanceof Promise)) {
    stream(socket, head, rest, opened, options);
    return;
  }
  // A cluster claims the mount in Redis first: hold the source's bytes until then.
  socket.pause();
  opened.then(
    (session) => {
      if (socket.destroyed) {
        sessions.end(session, 'stopped');
        return;
      }
      stream(socket, head, rest, session, options);
      socket.resume();
    },
    (err: unknown) => refuse(err),
  );
}

/** Answers `200 OK` and feeds every body byte of an accepted source into its session. */
function stream(
  socket: net.Socket,
  head: RequestHead,
  rest: Buffer,
  session: IngestSession,
  options: SourceOptions,
): void {
  const { sessions } = options;
  if (/100-continue/i.test(head.headers.expect ?? '')) socket.write('HTTP/1.1 100 Continue\r\n\r\n');
  socket.write('HTTP/1.0 200 OK\r\n\r\n');
  socket.setNoDelay(true);

  const chunked = /chunked/i.test(head.headers['transfer-encoding'] ?? '');
  const decoder = chunked ? new ChunkedDecoder() : null;
  // A PUT with a real length ends after it; libshout's SOURCE says 0 and streams anyway.
  const declared = Number(head.headers['content-length']);
  let left = head.method === 'PUT' && !chunked && declared > 0 ? declared : Number.POSITIVE_INFINITY;

  const finish = (reason: 'stopped' | 'error', err?: KitError): void => {
    sessions.end(session, reason, err);
    socket.destroy();
  };
  const onBytes = (data: Buffer): void => {
    try {
      const pieces = decoder ? decoder.push(data) : [data];
      for (let piece of pieces) {
        if (left !== Number.POSITIVE_INFINITY) {
          piece = piece.subarray(0, left);
          left -= piece.length;
        }
        if (piece.length > 0) session.feed(piece);
      }
      if (decoder?.done || left <= 0) finish('stopped');
    } catch (err) {
      const kit = isKitError(err)
        ? err
        : new KitError('WEBM_CORRUPT', `Bad source framing: ${(err as Error).message}`);
      finish('error', kit);
    }
  };
  socket.on('data', onBytes);
  socket.on('close', () => sessions.end(session, 'stopped'));
  // The session's idle timer ends a silent source; the socket goes with it.
  session.onEnd = () => socket.destroy();
  if (rest.length > 0) onBytes(rest);
}
