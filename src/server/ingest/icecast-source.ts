/**
 * Icecast source clients (ffmpeg, butt, Liquidsoap, Mixxx, ezstream): `PUT /<mount>` or the legacy
 * `SOURCE /<mount>`, Basic auth `source:<stream key>`, `Expect: 100-continue`, chunked or unframed
 * bodies, `ice-*` headers. Node's HTTP parser cannot follow those bodies (libshout sends
 * `Content-Length: 0` and then the audio; ffmpeg sends no length at all), so these connections are
 * taken off the HTTP server before it parses them and are read here as raw sockets.
 */
import type net from 'node:net';
import { isValidMount } from '../../shared/protocol.js';
import { parseAuthorization, passwordOf } from '../auth/credentials.js';
import type { AuthRule, StreamKeys } from '../auth/gate.js';
import { authorize } from '../auth/gate.js';
import type { AuthLimiter } from '../auth/limiter.js';
import { ApiError, isApiError } from '../errors.js';
import { replyError } from '../http/raw-reply.js';
import type { SourceFormat, StreamInfo } from '../hub/types.js';
import type { Logger } from '../log.js';
import type { RequestHead } from './http-head.js';
import { ChunkedDecoder } from './http-head.js';
import type { IngestSession, IngestSessions } from './session.js';

/** Content types a source may send, and the format each means. */
const SOURCE_TYPES: Readonly<Record<string, SourceFormat>> = {
  'audio/webm': 'webm',
  'video/webm': 'webm',
  'audio/ogg': 'ogg',
  'application/ogg': 'ogg',
  'audio/opus': 'ogg',
  // Passed through as they come, never transcoded: their mounts have no Opus outputs.
  'audio/mpeg': 'mp3',
  'audio/mp3': 'mp3',
  'audio/aac': 'aac',
  'audio/aacp': 'aac',
};

const ACCEPTED_TYPES = Object.keys(SOURCE_TYPES).join(', ');

export interface SourceOptions {
  sessions: IngestSessions;
  authLimiter: AuthLimiter;
  /** Which keys open which mount (the operator's everywhere, a channel's on its channel). */
  keys: StreamKeys;
  /** A source that sends nothing for this long is dropped (Icecast's source-timeout). */
  sourceTimeoutMs: number;
  log: Logger;
}

/** Mount named by a source path: `/live`, `/live.webm`, `/live.ogg`, `/live.opus`, `/live.mp3`, `/live.aac` → `live`. */
export function mountFromSourcePath(path: string): string {
  return path.replace(/^\//, '').replace(/\.(webm|ogg|oga|opus|mp3|aac)$/, '');
}

/** Answers a refused source as Icecast does: HTTP/1.0, then the connection closes. */
function writeError(socket: net.Socket, err: ApiError): void {
  replyError(socket, err, { version: '1.0' });
}

/** Icecast's source login: Basic `source:<stream key>`. */
function sourceRule(keys: StreamKeys, mount: string): AuthRule {
  return {
    accepts: (creds) => {
      const password = passwordOf(creds, 'source');
      return password !== null && keys.opens(mount, password);
    },
    code: 'AUTH_BAD_KEY',
    message: 'Bad credentials: use user "source" and the stream key as password.',
    challenge: 'Basic realm="onair"',
    logMessage: 'source rejected: bad credentials',
  };
}

/** The first of `names` the source sent (Icecast reads `ice-*`, then `icy-*`, then `x-audiocast-*`). */
function firstHeader(head: RequestHead, names: readonly string[], max: number): string | undefined {
  for (const name of names) {
    const v = head.headers[name];
    if (v) return v.slice(0, max);
  }
  return undefined;
}

/** What the source says about its stream, in the headers Icecast 2.4 reads, each capped. */
export function streamInfo(head: RequestHead, type: string): StreamInfo {
  const info: StreamInfo = { sourceType: type };
  const name = firstHeader(head, ['ice-name', 'icy-name', 'x-audiocast-name'], 200);
  const description = firstHeader(
    head,
    ['ice-description', 'icy-description', 'x-audiocast-description'],
    500,
  );
  const genre = firstHeader(head, ['ice-genre', 'icy-genre', 'x-audiocast-genre'], 100);
  const url = firstHeader(head, ['ice-url', 'icy-url', 'x-audiocast-url'], 300);
  const pub = firstHeader(head, ['ice-public', 'icy-pub', 'x-audiocast-public', 'icy-public'], 20);
  const bitrate = firstHeader(head, ['ice-bitrate', 'icy-br', 'x-audiocast-bitrate'], 20);
  const audioInfo = firstHeader(head, ['ice-audio-info'], 500);
  if (name) info.name = name;
  if (description) info.description = description;
  if (genre) info.genre = genre;
  if (url) info.url = url;
  // Icecast: atoi() of the header, 0 when absent; anything but 0 lists the stream.
  if (pub !== undefined) info.public = Number.parseInt(pub, 10) ? 1 : 0;
  if (bitrate) info.bitrate = bitrate;
  if (audioInfo) info.audioInfo = audioInfo;
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
  const { sessions, keys, log } = options;
  const ip = socket.remoteAddress;
  socket.on('error', () => socket.destroy());
  const mount = mountFromSourcePath(head.path);
  if (!isValidMount(mount)) {
    writeError(socket, new ApiError('MOUNT_INVALID', `"${mount}" is not a valid mount name.`));
    return;
  }
  const refused = authorize(
    options.authLimiter,
    { ip, authorization: head.headers.authorization, log, fields: { mount, method: head.method } },
    sourceRule(keys, mount),
  );
  if (refused) {
    writeError(socket, refused);
    return;
  }
  const type = (head.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  const format = SOURCE_TYPES[type];
  if (!format) {
    writeError(
      socket,
      new ApiError(
        'INGEST_UNSUPPORTED_TYPE',
        `Content-Type "${type || '(none)'}" is not supported; send one of: ${ACCEPTED_TYPES}.`,
      ),
    );
    return;
  }
  const refuse = (err: unknown): void =>
    writeError(socket, isApiError(err) ? err : new ApiError('INTERNAL', 'Could not start the broadcast.'));
  // Hold the source's bytes until the mount is ours (a cluster claims it in Redis first).
  socket.pause();
  sessions
    .open(
      mount,
      { ip, transport: `icecast-${head.method.toLowerCase()}`, type },
      {
        idleTimeoutMs: options.sourceTimeoutMs,
        info: streamInfo(head, sourceTypeOf(format, type)),
        format,
        key:
          keys.which(mount, passwordOf(parseAuthorization(head.headers.authorization), 'source') ?? '') ??
          'operator',
      },
    )
    .then(
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

/** The content type listeners of the source's own format get (`/<mount>`). */
function sourceTypeOf(format: SourceFormat, type: string): string {
  if (format === 'ogg') return 'audio/ogg';
  if (format === 'mp3') return 'audio/mpeg';
  return type;
}

/**
 * libshout's TLS probe (its default TLS mode, "auto"): `OPTIONS * HTTP/1.1` with `Upgrade: TLS/1.0, HTTP/1.1`
 * before any `SOURCE`/`PUT`. True for any request that asks to upgrade to TLS.
 */
export function isTlsUpgradeProbe(head: RequestHead): boolean {
  return /(^|,)\s*tls\//i.test(head.headers.upgrade ?? '');
}

/**
 * Answers a TLS upgrade on the plain port as Icecast does on a port without TLS: 400 (Icecast 2.4.4
 * "unknown request", 2.5 "Can not upgrade protocol"), HTTP/1.0, then the connection closes. libshout in
 * its default mode takes that as "no TLS here" and goes on in plain text on a new connection; in its
 * TLS-only modes it stops before sending the password.
 */
export function answerTlsUpgradeProbe(socket: net.Socket, head: RequestHead, log: Logger): void {
  socket.on('error', () => socket.destroy());
  log.debug(
    { ip: socket.remoteAddress, method: head.method },
    'TLS upgrade asked on the plain port: refused',
  );
  replyError(
    socket,
    new ApiError('BAD_REQUEST', 'This port does not speak TLS: go on in plain text, or use the HTTPS port.'),
    { version: '1.0' },
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

  const finish = (reason: 'stopped' | 'error', err?: ApiError): void => {
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
      const kit = isApiError(err)
        ? err
        : new ApiError('WEBM_CORRUPT', `Bad source framing: ${(err as Error).message}`);
      finish('error', kit);
    }
  };
  socket.on('data', onBytes);
  socket.on('close', () => sessions.end(session, 'stopped'));
  // The session's idle timer ends a silent source; the socket goes with it.
  session.onEnd = () => socket.destroy();
  if (rest.length > 0) onBytes(rest);
}
