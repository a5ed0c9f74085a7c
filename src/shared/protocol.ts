/**
 * The browser ↔ server contract: paths, headers, message shapes and error codes.
 * Imported by the server and by both pages, so it must use neither Node nor DOM APIs.
 */

/** Mount served when none is named. */
export const DEFAULT_MOUNT = 'live';

/** Mount names: lower-case letters, digits, `-` and `_`, 1–64 characters, not a reserved path. */
export const MOUNT_PATTERN = /^[a-z0-9][a-z0-9_-]{0,63}$/;

/** First path segments the server uses itself; a mount may not take one of these names. */
export const RESERVED_NAMES: ReadonlySet<string> = new Set([
  'api',
  'ws',
  'assets',
  'broadcast',
  'listen',
  'embed',
  'admin',
  'metrics',
  'healthz',
  'readyz',
  'status-json.xsl',
  'favicon.ico',
  'listen-again',
]);

export function isValidMount(name: string): boolean {
  return MOUNT_PATTERN.test(name) && !RESERVED_NAMES.has(name);
}

/** What the broadcaster records and uploads (MediaRecorder mime type). */
export const WEBM_OPUS_RECORDER_MIME = 'audio/webm;codecs=opus';
/** What the listener asks MediaSource for. */
export const WEBM_OPUS_MSE_MIME = 'audio/webm; codecs="opus"';
/** Content-Type of every WebM upload and of the WebM listener stream. */
export const WEBM_CONTENT_TYPE = 'audio/webm';

/**
 * Recorder timeslice per upload transport. Chromium quantises it to its 60 ms blocks: 20 gives a
 * chunk every 60 ms, 100 one every 120 ms. The streaming upload costs nothing per chunk, so it takes
 * the smallest (the low-latency player's glass-to-glass p50 is 164 ms at 20 against 224 ms at 100,
 * bench/latency); per-chunk upload pays an HTTP request per chunk (≈ 16/s at 20), so it keeps 100.
 */
export const RECORDER_TIMESLICE_MS: Readonly<Record<Transport, number>> = { stream: 20, chunks: 100 };
/** Bitrate asked of MediaRecorder. */
export const RECORDER_BITS_PER_SECOND = 64_000;

export const paths = {
  /** Listener page for the default mount. */
  home: '/',
  /** Listener page for a mount. */
  listenPage: (mount: string): string => `/listen/${mount}`,
  /** Broadcaster page. */
  broadcastPage: '/broadcast',
  /** Live WebM stream for MSE players (also served at `/<mount>`). */
  listenWebm: (mount: string): string => `/${mount}.webm`,
  /** The packets output (the `packets` player's stream): framed Opus packets ({@link PACKETS}), from the newest packet; `status`: with status frames. */
  listenPackets: (mount: string, options: { status?: boolean } = {}): string =>
    options.status ? `/${mount}.pkt?status=1` : `/${mount}.pkt`,
  /** An MP3/AAC mount's frames, as its source sends them (its only output besides `/<mount>`). */
  listenFrames: (mount: string, format: 'mp3' | 'aac'): string => `/${mount}.${format}`,
  /** Live Ogg/Opus stream for players without MediaSource that play Ogg progressively. */
  listenOgg: (mount: string): string => `/${mount}.ogg`,
  /**
   * Low-Latency HLS media playlist (fMP4/Opus) for native players (iPhone) and CDNs: {@link HLS}.
   * Its segments, parts and init segment are under `/hls/<mount>/<broadcast>/`.
   */
  hlsPlaylist: (mount: string): string => `/${mount}.m3u8`,
  /** WebSocket status channel; the mount is given as `?mount=`. */
  status: '/ws',
  /**
   * Ingest session for a mount.
   * POST with `Authorization: Bearer <stream key>` claims the mount → 201 {@link IngestSession}.
   * DELETE with the session header ends the broadcast → 200.
   */
  ingestSession: (mount: string): string => `/api/ingest/${mount}/session`,
  /** One long streaming POST of the recorder's WebM bytes (HTTP/2), with the session header. */
  ingestStream: (mount: string): string => `/api/ingest/${mount}/stream`,
  /** Per-chunk fallback: POST one recorder chunk with the session and sequence headers → 200 {@link ChunkAck}. */
  ingestChunk: (mount: string): string => `/api/ingest/${mount}/chunk`,
  /** POST {@link TitleUpdate} with the session header → 204: the stream title every listener sees. */
  ingestTitle: (mount: string): string => `/api/ingest/${mount}/title`,
  /** POST with `Authorization: Bearer <stream key>` → 200 {@link KeyCheck}, 401 wrong key; claims nothing. */
  ingestCheck: (mount: string): string => `/api/ingest/${mount}/check`,
  /** Compact listener page for an iframe on another site. */
  embedPage: (mount: string): string => `/embed/${mount}`,
  /** GET → {@link ServerInfo}: ports and addresses, so a page can point the user to the HTTPS URL. */
  info: '/api/info',
  /** Admin (token): GET → {@link RecordingList}. */
  adminRecordings: '/admin/api/recordings',
  /** Admin (token): GET downloads one recording (audio/webm), DELETE removes a finished one. */
  adminRecording: (mount: string, name: string): string =>
    `/admin/api/recordings/${mount}/${encodeURIComponent(name)}`,
  /**
   * Joining a private channel: GET with `?t=<join token>` (the join link) sets the channel's join
   * cookie and redirects to its listener page; POST {@link JoinRequest} (the code typed on the page) →
   * 204 with the cookie; GET without `t` → {@link JoinState}.
   */
  join: (mount: string): string => `/api/join/${mount}`,
  /** The organiser's dashboard (page). */
  adminPage: '/admin',
  /** POST {@link AdminSignIn} → 204 + session cookie; DELETE signs out; GET → 204 while signed in. */
  adminSession: '/admin/api/session',
  /** GET → {@link AdminChannelList}; POST {@link ChannelInput} → 201 {@link ChannelCreated}. */
  adminChannels: '/admin/api/channels',
  /** PATCH {@link ChannelInput} (name ignored), DELETE. */
  adminChannel: (name: string): string => `/admin/api/channels/${name}`,
  /** POST → {@link ChannelKey}: a new stream key; the old one stops working at once. */
  adminRotateKey: (name: string): string => `/admin/api/channels/${name}/rotate-key`,
  /** POST → {@link AdminChannel}: a new join secret and code; every join link and cookie given so far is revoked. */
  adminRotateJoin: (name: string): string => `/admin/api/channels/${name}/rotate-join`,
  /** POST {@link JoinLinkRequest} → {@link JoinLink}: a join link, expiring or not. */
  adminJoinLink: (name: string): string => `/admin/api/channels/${name}/join-link`,
  /** POST → 200: ends the channel's broadcast now (on whichever node holds it). */
  adminKick: (name: string): string => `/admin/api/channels/${name}/kick`,
  /** Listen-again page of a mount: its past broadcasts with a player. */
  listenAgainPage: (mount: string): string => `/listen-again/${mount}`,
  /** GET → {@link ListenAgainList}; 404 when the mount does not offer listen-again. */
  listenAgainList: (mount: string): string => `/api/listen-again/${mount}`,
  /** GET one finalised recording (audio/webm, seekable; range requests answered with 206). */
  listenAgainFile: (mount: string, name: string): string =>
    `/listen-again/${mount}/${encodeURIComponent(name)}`,
} as const;

/** Header a signed-in dashboard sends with every request that changes something (CSRF). */
export const ADMIN_CSRF_HEADER = 'x-onair-csrf';

export type ChannelVisibility = 'public' | 'private';

/** Longest channel description. */
export const MAX_DESCRIPTION_CHARS = 1_000;
/** Longest join code typed on the listener page. */
export const MAX_JOIN_CODE_CHARS = 32;

/** What the dashboard or a script sends to create or change a channel (every field optional on PATCH). */
export interface ChannelInput {
  name?: string;
  title?: string;
  description?: string;
  visibility?: ChannelVisibility;
  record?: boolean;
  /** Days a recording is kept (0: the server's --record-max-days). */
  retentionDays?: number;
  listenAgain?: boolean;
}

/** A channel's settings, as stored and as the admin API shows them. */
export interface ChannelSettings {
  name: string;
  title: string;
  description: string;
  visibility: ChannelVisibility;
  record: boolean;
  retentionDays: number;
  listenAgain: boolean;
  createdAt: string;
}

/** A channel as the admin API shows it: settings, join code and link, and its state now. */
export interface AdminChannel extends ChannelSettings {
  /** Private channels: the short code listeners type, and a join link path that does not expire. */
  joinCode: string | null;
  joinPath: string | null;
  live: boolean;
  listeners: number;
  /** The title the broadcast shows now. */
  nowTitle: string | null;
  startedAt: string | null;
  /** Where the current source connects from, and how (`browser`, `icecast-put`, …), when this node has it. */
  source: { address: string | null; transport: string } | null;
}

export interface AdminChannelList {
  channels: AdminChannel[];
  /** Listeners of every mount over the last hours, one sample a minute (oldest first). */
  history: { at: string; listeners: Record<string, number> }[];
}

/** Answer of a channel's creation: the stream key, shown this once. */
export interface ChannelCreated {
  channel: AdminChannel;
  streamKey: string;
}

export interface ChannelKey {
  streamKey: string;
}

export interface JoinLinkRequest {
  /** Hours the link works; absent or 0: until the join secret is rotated. */
  expiresInHours?: number;
}

export interface JoinLink {
  path: string;
  expiresAt: string | null;
}

export interface AdminSignIn {
  token: string;
}

/** Body of `POST /api/join/<mount>`. */
export interface JoinRequest {
  code: string;
}

/** Answer of `GET /api/join/<mount>`: is the channel private, and does this browser hold its cookie. */
export interface JoinState {
  private: boolean;
  joined: boolean;
}

/** Answer of `GET /api/listen-again/<mount>`: the mount's finalised recordings, newest first. */
export interface ListenAgainList {
  mount: string;
  recordings: {
    name: string;
    /** When the broadcast started (ISO 8601). */
    startedAt: string;
    durationMs: number;
    /** The first title it had (null: none was set). */
    title: string | null;
    /** Every title it had, from when (ms after its start). */
    titles: { atMs: number; title: string | null }[];
    bytes: number;
    /** Where to fetch it: {@link paths.listenAgainFile}. */
    url: string;
  }[];
}

/** Answer of `GET /admin/api/recordings`: newest first. */
export interface RecordingList {
  recordings: {
    mount: string;
    name: string;
    bytes: number;
    startedAt: string;
    /** Still being written (the broadcast is live). */
    live: boolean;
    /** Finalised: seekable, with duration and cues (listen-again serves only these). */
    finalised: boolean;
    /** Length once finalised (ms), else null. */
    durationMs: number | null;
  }[];
}

/** Answer of `GET /api/info`. */
export interface ServerInfo {
  name: 'onair';
  version: string;
  /** Port of the plain HTTP listener. */
  httpPort: number;
  /** Port of the HTTPS (HTTP/2) listener, or null when it is off. */
  httpsPort: number | null;
  defaultMount: string;
  /** LAN addresses phones on the same network can reach (empty when bound to loopback only). */
  lanAddresses: string[];
}

/** Longest stream title the broadcaster page may set. */
export const MAX_TITLE_CHARS = 200;
/**
 * Longest title kept from an Icecast source tool's metadata update (`/admin/metadata?song=`); longer
 * ones are cut, as Icecast cuts them, not refused: those tools send song names they do not control.
 */
export const MAX_ICECAST_TITLE_CHARS = 300;

/** Body of `POST /api/ingest/<mount>/title`. */
export interface TitleUpdate {
  title: string;
}

/** Answer of `POST /api/ingest/<mount>/check`: the key is right; whether someone broadcasts there now. */
export interface KeyCheck {
  mount: string;
  live: boolean;
  /** A private channel's join link (path), for the host page's QR code and share link. */
  joinPath?: string;
}

/** Header naming the ingest session returned by the session POST. */
export const SESSION_HEADER = 'x-onair-session';
/** Header carrying a chunk's sequence number (0, 1, 2, …) on the per-chunk transport. */
export const SEQ_HEADER = 'x-onair-seq';
/**
 * Per-chunk upload: byte offset of the body within the broadcast's byte stream. With it the server
 * goes by bytes: it skips what it already holds (a resend after a broken connection, from either
 * transport) and answers INGEST_SEQUENCE_GAP with `expectedOffset` for bytes it has not seen yet.
 */
export const OFFSET_HEADER = 'x-onair-offset';

/** How the broadcaster gets its bytes to the server. */
export type Transport = 'stream' | 'chunks';

export interface IngestSession {
  sessionId: string;
  mount: string;
  /** Sequence number the server expects next (0 for a new session). */
  nextSeq: number;
  /** Byte cap for one chunk on the per-chunk transport. */
  maxChunkBytes: number;
}

export interface ChunkAck {
  /** Highest sequence number the server holds. */
  ack: number;
  /** True when this chunk had been received before (a retry); it was not applied twice. */
  duplicate: boolean;
  /** Bytes of this broadcast the server holds (the offset it expects next). */
  bytesIn: number;
}

export type StreamState = 'offline' | 'live';

/**
 * What a live mount's source sends: Opus (every output: `.webm`, `.ogg`, `.pkt`, `.m3u8`), or MP3 /
 * AAC (ADTS) frames passed through as they come, served at `/<mount>` and `/<mount>.mp3` or `.aac` only.
 */
export type StreamFormat = 'opus' | 'mp3' | 'aac';
const STREAM_FORMATS: ReadonlySet<string> = new Set<StreamFormat>(['opus', 'mp3', 'aac']);

/** Pushed on the status socket on connect and whenever something in it changes. */
export interface StatusMessage {
  type: 'status';
  mount: string;
  state: StreamState;
  /** Listeners connected to this mount's audio now. */
  listeners: number;
  /** ISO 8601 time the current broadcast went live; null while offline. */
  startedAt: string | null;
  /** Stream title, when the host set one. */
  title: string | null;
  /** Bytes received from the broadcaster in the current broadcast. */
  bytesIn: number;
  /** While live: what the source sends, so a player picks a way to play it. */
  format?: StreamFormat;
  /**
   * How often the source delivers audio, ms (the median time between its pushes; absent until known):
   * about 1000 for ffmpeg's default Ogg pages, 60–120 for a browser. Players keep at least this much.
   */
  sourceIntervalMs?: number;
}

/**
 * A source delivering audio this far apart (ms) or more sends in bursts that hold every listener at least
 * that far behind: the listener page and `/status-json.xsl` name it.
 */
export const BURSTY_SOURCE_MS = 500;

/** Error answered instead of a status when the socket request was bad. */
export interface StatusErrorMessage {
  type: 'error';
  code: ErrorCode;
  message: string;
}

export type ServerMessage = StatusMessage | StatusErrorMessage;

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Parses one status-socket message; returns null for anything that is not a well-formed message. */
export function parseServerMessage(text: string): ServerMessage | null {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return null;
  }
  if (!isRecord(v)) return null;
  if (v.type === 'status') {
    if (
      typeof v.mount === 'string' &&
      (v.state === 'offline' || v.state === 'live') &&
      typeof v.listeners === 'number' &&
      (v.startedAt === null || typeof v.startedAt === 'string') &&
      (v.title === null || typeof v.title === 'string') &&
      typeof v.bytesIn === 'number'
    ) {
      const message: StatusMessage = {
        type: 'status',
        mount: v.mount,
        state: v.state,
        listeners: v.listeners,
        startedAt: v.startedAt,
        title: v.title,
        bytesIn: v.bytesIn,
        ...(typeof v.sourceIntervalMs === 'number' && v.sourceIntervalMs > 0
          ? { sourceIntervalMs: v.sourceIntervalMs }
          : {}),
      };
      if (typeof v.format === 'string' && STREAM_FORMATS.has(v.format))
        message.format = v.format as StreamFormat;
      return message;
    }
    return null;
  }
  if (v.type === 'error' && typeof v.code === 'string' && typeof v.message === 'string') {
    return { type: 'error', code: v.code as ErrorCode, message: v.message };
  }
  return null;
}

/** Every error the server answers with; the HTTP status of each is in {@link ERROR_STATUS}. */
export type ErrorCode =
  | 'AUTH_BAD_KEY'
  | 'AUTH_BAD_SESSION'
  | 'AUTH_BAD_TOKEN'
  | 'AUTH_RATE_LIMITED'
  | 'ORIGIN_NOT_ALLOWED'
  | 'MOUNT_INVALID'
  | 'MOUNT_IN_USE'
  | 'MOUNT_LIMIT'
  | 'LISTEN_OFFLINE'
  | 'LISTEN_FULL'
  | 'LISTEN_FORMAT_UNAVAILABLE'
  | 'STATUS_FULL'
  | 'STATUS_ADDRESS_LIMIT'
  | 'INGEST_UNSUPPORTED_TYPE'
  | 'INGEST_CHUNK_TOO_LARGE'
  | 'INGEST_SEQUENCE_GAP'
  | 'INGEST_BAD_SEQUENCE'
  | 'INGEST_IDLE_TIMEOUT'
  | 'WEBM_CORRUPT'
  | 'WEBM_INIT_TOO_LARGE'
  | 'WEBM_ELEMENT_TOO_LARGE'
  | 'OGG_CORRUPT'
  | 'OGG_PAGE_TOO_LARGE'
  | 'MPEG_CORRUPT'
  | 'BAD_REQUEST'
  | 'NOT_FOUND'
  | 'RECORDING_IN_PROGRESS'
  | 'SERVER_CLOSING'
  | 'CLUSTER_UNAVAILABLE'
  | 'HLS_TOO_FAR'
  | 'HLS_HOLD_TIMEOUT'
  | 'HLS_BUSY'
  | 'CHANNEL_PRIVATE'
  | 'JOIN_REFUSED'
  | 'CHANNEL_EXISTS'
  | 'ADMIN_CSRF'
  | 'RANGE_NOT_SATISFIABLE'
  | 'CHANNEL_ACCESS_CHANGED'
  | 'INTERNAL';

export const ERROR_STATUS: Readonly<Record<ErrorCode, number>> = {
  // Stream key missing or wrong.
  AUTH_BAD_KEY: 401,
  // Ingest session header missing, unknown or ended.
  AUTH_BAD_SESSION: 401,
  // Admin token missing or wrong (Basic `admin:<token>` or `Bearer <token>`).
  AUTH_BAD_TOKEN: 401,
  // Too many wrong keys from one address; the body says when to try again.
  AUTH_RATE_LIMITED: 429,
  // A page of another site tried to upload or open the status socket.
  ORIGIN_NOT_ALLOWED: 403,
  // Mount name not allowed.
  MOUNT_INVALID: 400,
  // Another broadcaster holds the mount.
  MOUNT_IN_USE: 409,
  // As many mounts are live as the server allows (maxMounts); a new broadcast waits for one to end.
  MOUNT_LIMIT: 503,
  // Listener asked for a mount that is not live.
  LISTEN_OFFLINE: 404,
  // The mount or the server has as many listeners as it is allowed.
  LISTEN_FULL: 503,
  // An output the mount's source cannot give without transcoding: Opus outputs (.webm, .ogg, .pkt,
  // .m3u8) of an MP3/AAC mount, .mp3 of an AAC one, .mp3/.aac of an Opus one. The message names those it has.
  LISTEN_FORMAT_UNAVAILABLE: 415,
  // The server has as many status sockets open as it allows (maxStatusSockets).
  STATUS_FULL: 503,
  // One address has as many status sockets open as it may (maxStatusSocketsPerAddress).
  STATUS_ADDRESS_LIMIT: 429,
  // Upload Content-Type is not audio/webm.
  INGEST_UNSUPPORTED_TYPE: 415,
  // One upload chunk is larger than maxChunkBytes.
  INGEST_CHUNK_TOO_LARGE: 413,
  // A chunk arrived ahead of one the server still waits for; body says which one.
  INGEST_SEQUENCE_GAP: 409,
  // Sequence header missing or not a number.
  INGEST_BAD_SEQUENCE: 400,
  // Broadcaster sent nothing for too long; the broadcast ended.
  INGEST_IDLE_TIMEOUT: 408,
  // Upload is not WebM the server can split.
  WEBM_CORRUPT: 422,
  // Everything before the first Cluster is larger than maxInitBytes.
  WEBM_INIT_TOO_LARGE: 413,
  // An element declares a size larger than the splitter accepts.
  WEBM_ELEMENT_TOO_LARGE: 413,
  // Upload is not Ogg Opus the server can read: bad page, bad CRC, or another codec.
  OGG_CORRUPT: 422,
  // An Ogg packet reassembled across pages is larger than the demuxer accepts.
  OGG_PAGE_TOO_LARGE: 413,
  // Upload is not MP3 / AAC (ADTS) the server can cut into frames: no frame sync found.
  MPEG_CORRUPT: 422,
  // A request parameter is missing or wrong; the message names it.
  BAD_REQUEST: 400,
  NOT_FOUND: 404,
  // A recording that is still being written cannot be removed.
  RECORDING_IN_PROGRESS: 409,
  // The server is shutting down and takes no new connections.
  SERVER_CLOSING: 503,
  // Clustered node whose Redis is unreachable: it cannot claim a mount for the whole cluster now.
  CLUSTER_UNAVAILABLE: 503,
  // A blocking HLS playlist reload (`_HLS_msn`/`_HLS_part`) or a part asked for too far ahead of the
  // live edge (RFC 8216bis §6.2.5.2: more than two segments, or past the Advance Part Limit).
  HLS_TOO_FAR: 400,
  // A held HLS request whose segment or part did not come within three target durations.
  HLS_HOLD_TIMEOUT: 503,
  // The server holds as many blocking HLS requests as it allows (hlsMaxHeldRequests).
  HLS_BUSY: 503,
  // A private channel's audio, status or recordings without its join cookie (channels, issue 16).
  CHANNEL_PRIVATE: 403,
  // A join link or join code that is wrong, expired, for another channel, or revoked by a rotation.
  JOIN_REFUSED: 403,
  // A channel with that name exists already.
  CHANNEL_EXISTS: 409,
  // A signed-in dashboard request that changes something without the CSRF header, or from another site.
  ADMIN_CSRF: 403,
  // A Range request for bytes past the end of a recording (listen-again); `Content-Range` gives its size.
  RANGE_NOT_SATISFIABLE: 416,
  // A channel was made private or its join secret rotated: its open streams and status sockets are
  // ended (the socket's close code is statusCloseCode of this), and a reconnect is checked again.
  CHANNEL_ACCESS_CHANGED: 403,
  INTERNAL: 500,
};

/**
 * The close code of a status socket the server closes for an error of the table: 4000 + its HTTP
 * status (the application's range, RFC 6455 §7.4.2), with the error code as the close reason.
 */
export function statusCloseCode(code: ErrorCode): number {
  return 4000 + ERROR_STATUS[code];
}

/**
 * Errors in the broadcaster's bytes themselves: the server ends the broadcast on them (the mount goes
 * OFFLINE), since no resend of the same bytes can help. Any other ingest error leaves it live for a retry.
 */
export const BROADCAST_ENDING_ERRORS: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'WEBM_CORRUPT',
  'WEBM_INIT_TOO_LARGE',
  'WEBM_ELEMENT_TOO_LARGE',
  'OGG_CORRUPT',
  'OGG_PAGE_TOO_LARGE',
  'MPEG_CORRUPT',
]);

/** Body of every error response: `{"error": {"code": "...", "message": "..."}}`. */
export interface ErrorBody {
  error: {
    code: ErrorCode;
    message: string;
    expectedSeq?: number;
    expectedOffset?: number;
    retryAfterSeconds?: number;
  };
}

export function parseErrorBody(v: unknown): ErrorBody['error'] | null {
  if (!isRecord(v) || !isRecord(v.error)) return null;
  const { code, message } = v.error;
  if (typeof code !== 'string' || typeof message !== 'string') return null;
  const out: ErrorBody['error'] = { code: code as ErrorCode, message };
  if (typeof v.error.expectedSeq === 'number') out.expectedSeq = v.error.expectedSeq;
  if (typeof v.error.expectedOffset === 'number') out.expectedOffset = v.error.expectedOffset;
  return out;
}

/**
 * The packets output (`GET /<mount>.pkt`, the listener's `packets` player): Opus packets as they
 * arrive, for WebCodecs.
 * Header (8 bytes): magic `OPK1`, channels (u8), 0 (u8), pre-skip (u16 BE, 48 kHz samples).
 * Then per packet (8-byte frame header + data): data length (u16 BE), pts (u32 BE, 48 kHz samples
 * from the start of the broadcast, wrapping), samples in the packet (u16 BE), then the packet.
 * A late joiner gets the header, then the newest packet, then every packet after it.
 *
 * With `?status=1` the stream also carries the mount's status, so a player needs no status socket
 * while it plays: a **status frame** is a frame whose samples field is 0 (no Opus packet has 0
 * samples), pts 0, and whose data is a {@link StatusMessage} as UTF-8 JSON. One comes right after the
 * first packets, then one on every change (as the status socket sends them), and, when the
 * broadcast ends, an OFFLINE one just before the stream ends.
 */
export const PACKETS = {
  contentType: 'application/vnd.onair.opus-packets',
  magic: 'OPK1',
  headerBytes: 8,
  frameHeaderBytes: 8,
  /** Opus packets are at most 120 ms; anything larger than this in a frame is corrupt. */
  maxPacketBytes: 16_384,
  /** The query parameter (`?status=1`) that asks for status frames. */
  statusParam: 'status',
} as const;

/**
 * The HLS output (`GET /<mount>.m3u8`): one Low-Latency HLS media playlist per mount, Opus in fMP4.
 * Blocking reloads (`?_HLS_msn=N[&_HLS_part=P]`) and preload-hinted parts are held until they exist.
 */
export const HLS = {
  playlistContentType: 'application/vnd.apple.mpegurl',
  mediaContentType: 'audio/mp4',
  /** What the `<audio>` element is asked (`canPlayType`) before it is given the playlist. */
  mimeType: 'application/vnd.apple.mpegurl',
} as const;
