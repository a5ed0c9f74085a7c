/**
 * Icecast-compatible status and metadata, for radio directories, dashboards and source tools:
 * `GET /status-json.xsl` shaped like Icecast 2.4's (one live source is an object, several an array,
 * none leaves `source` out), and `GET /admin/metadata?mount=/m&mode=updinfo&song=…` (Basic auth:
 * `source:<stream key>` or `admin:<admin token>`) which sets the title pushed to every listener page.
 */
import type { Request, Response } from 'express';
import { Router } from 'express';
import { BURSTY_SOURCE_MS, isValidMount, MAX_ICECAST_TITLE_CHARS, paths } from '../../shared/protocol.js';
import { passwordOf } from '../auth/credentials.js';
import type { AuthRule, StreamKeys } from '../auth/gate.js';
import { authorize } from '../auth/gate.js';
import type { AuthLimiter } from '../auth/limiter.js';
import { secretEquals } from '../auth/secrets.js';
import { ApiError, sendError } from '../errors.js';
import type { Hub } from '../hub/hub.js';
import type { MountSnapshot } from '../hub/types.js';
import type { Logger } from '../log.js';

export interface IcecastStatusOptions {
  hub: Hub;
  authLimiter: AuthLimiter;
  /** Which keys open which mount (the operator's everywhere, a channel's on its channel). */
  keys: StreamKeys;
  /** True for a mount `/status-json.xsl` lists without its URLs (a private channel). */
  unlisted?: (mount: string) => boolean;
  adminToken: string;
  serverId: string;
  startedAt: Date;
  log: Logger;
}

/** Icecast's `stream_start` format: `Thu, 26 Nov 2026 09:12:03 +0000`. */
function rfc822(d: Date): string {
  return d.toUTCString().replace('GMT', '+0000');
}

/** At most this many `ice-audio-info` pairs become fields of their own. */
const MAX_AUDIO_INFO_FIELDS = 16;

/**
 * Icecast 2.4 makes each `key=value` pair of `ice-audio-info` a field of the source (`ice-samplerate`,
 * `ice-bitrate`, `ice-channels`, …), the value URL-unescaped, the key up to 99 and the value up to 199
 * characters. A key that would replace one of the fields we set ourselves is left out.
 */
export function audioInfoFields(audioInfo: string, reserved: ReadonlySet<string>): Record<string, string> {
  const out: Record<string, string> = {};
  let n = 0;
  for (const pair of audioInfo.split(';')) {
    const m = /^([^=]{1,99})=([^;\r\n]{1,199})/.exec(pair);
    if (!m || reserved.has(m[1] as string)) continue;
    let value = m[2] as string;
    try {
      value = decodeURIComponent(value.replace(/\+/g, ' '));
    } catch {
      // Icecast keeps what it cannot unescape as it came.
    }
    out[m[1] as string] = value;
    if (++n >= MAX_AUDIO_INFO_FIELDS) break;
  }
  return out;
}

function burstNote(ms: number): string {
  return `The source sends its audio in bursts about ${(ms / 1000).toFixed(1)} s apart, so listeners are at least that far behind: set its muxer to send smaller pages (README: low-delay source settings).`;
}

/** `unlisted`: a private channel, listed without its stream URLs (they would answer 403 anyway). */
function sourceJson(s: MountSnapshot, origin: string, unlisted: boolean): Record<string, unknown> {
  const type = s.info.sourceType ?? 'audio/webm';
  // MP3/AAC: what the frame headers say, and the mean bit rate measured.
  const frames = s.info.frames;
  const own: Record<string, unknown> = {
    audio_info:
      s.info.audioInfo ??
      (frames
        ? `channels=${frames.channels};samplerate=${frames.sampleRate};bitrate=${frames.bitrateKbps}`
        : 'channels=?;samplerate=48000'),
    bitrate: s.info.bitrate ?? frames?.bitrateKbps ?? null,
    ...(frames ? { channels: frames.channels, samplerate: frames.sampleRate } : {}),
    public: s.info.public ?? 0,
    genre: s.info.genre ?? 'various',
    listener_peak: s.listenerPeak,
    listeners: s.listeners,
    listenurl: `${origin}/${s.mount}`,
    // Not Icecast's: the mount's Low-Latency HLS playlist (native players, CDNs); Opus mounts only.
    ...(frames ? {} : { hls_url: `${origin}${paths.hlsPlaylist(s.mount)}` }),
    server_description: s.info.description ?? 'Unspecified description',
    server_name: s.info.name ?? s.mount,
    server_type: type,
    server_url: s.info.url ?? `${origin}/listen/${s.mount}`,
    // Icecast's name for it: listeners dropped for falling behind, since the mount first went live.
    slow_listeners: s.slowDropped,
    stream_start: s.startedAt ? rfc822(s.startedAt) : null,
    stream_start_iso8601: s.startedAt ? s.startedAt.toISOString().replace(/\.\d{3}Z$/, '+0000') : null,
    title: s.title ?? '',
    // Not Icecast's: how often the source delivers audio (ms; absent until known). A source sending in
    // bursts of a second or more holds every listener at least that far behind: see the README's
    // low-delay source settings.
    ...(s.sourceIntervalMs !== null ? { source_interval_ms: Math.round(s.sourceIntervalMs) } : {}),
    ...(s.sourceIntervalMs !== null && s.sourceIntervalMs >= BURSTY_SOURCE_MS
      ? { source_note: burstNote(s.sourceIntervalMs) }
      : {}),
    dummy: null,
  };
  if (unlisted) {
    delete own.listenurl;
    delete own.hls_url;
  }
  if (!s.info.audioInfo) return own;
  const pairs = audioInfoFields(s.info.audioInfo, new Set(Object.keys(own).filter((k) => k !== 'bitrate')));
  // libshout sends `bitrate=128;…` in ice-audio-info when there is no ice-bitrate header.
  return { ...pairs, ...own, bitrate: own.bitrate ?? pairs.bitrate ?? null };
}

/** Icecast's metadata login: Basic `source` with the stream key, or `admin` with the admin token. */
function metadataRule(keys: StreamKeys, mount: string, adminToken: string): AuthRule {
  return {
    accepts: (creds) => {
      const source = passwordOf(creds, 'source');
      if (source !== null) return keys.opens(mount, source);
      const admin = passwordOf(creds, 'admin');
      return admin !== null && secretEquals(admin, adminToken);
    },
    code: 'AUTH_BAD_KEY',
    message: 'Bad credentials: use source:<stream key> or admin:<admin token>.',
    challenge: 'Basic realm="onair admin"',
    logMessage: 'metadata update rejected: bad credentials',
  };
}

export function icecastStatusRouter(options: IcecastStatusOptions): Router {
  const { hub, log } = options;
  const router = Router();

  router.get('/status-json.xsl', (req: Request, res: Response) => {
    const host = req.headers.host ?? req.headers[':authority'] ?? 'localhost';
    const origin = `${req.protocol}://${host}`;
    const live = hub
      .all()
      .filter((s) => s.state === 'live')
      .sort((a, b) => a.mount.localeCompare(b.mount))
      .map((s) => sourceJson(s, origin, options.unlisted?.(s.mount) ?? false));
    const icestats: Record<string, unknown> = {
      admin: 'icemaster@localhost',
      host: String(host).replace(/:\d+$/, ''),
      location: 'Earth',
      server_id: options.serverId,
      server_start: rfc822(options.startedAt),
      server_start_iso8601: options.startedAt.toISOString().replace(/\.\d{3}Z$/, '+0000'),
    };
    // Icecast's well-known quirk, kept for the clients that expect it.
    if (live.length === 1) icestats.source = live[0];
    else if (live.length > 1) icestats.source = live;
    res.setHeader('access-control-allow-origin', '*');
    res.setHeader('cache-control', 'no-cache');
    res.json({ icestats });
  });

  router.get('/admin/metadata', (req: Request, res: Response) => {
    res.setHeader('cache-control', 'no-store');
    const mountParam = String(req.query.mount ?? '').replace(/^\//, '');
    const refused = authorize(
      options.authLimiter,
      { ip: req.socket.remoteAddress, authorization: req.headers.authorization, log },
      metadataRule(options.keys, mountParam, options.adminToken),
    );
    if (refused) {
      sendError(res, refused);
      return;
    }
    const mode = String(req.query.mode ?? '');
    if (mode !== 'updinfo') {
      sendError(res, new ApiError('BAD_REQUEST', `mode must be "updinfo", got "${mode.slice(0, 40)}".`));
      return;
    }
    if (!isValidMount(mountParam)) {
      sendError(res, new ApiError('MOUNT_INVALID', `"${mountParam.slice(0, 70)}" is not a valid mount.`));
      return;
    }
    const mount = hub.find(mountParam);
    if (mount?.state !== 'live') {
      sendError(res, new ApiError('LISTEN_OFFLINE', `Mount "/${mountParam}" is not live.`));
      return;
    }
    const song = String(req.query.song ?? req.query.title ?? '').slice(0, MAX_ICECAST_TITLE_CHARS);
    mount.setTitle(song === '' ? null : song);
    log.info({ mount: mountParam, title: song }, 'title updated');
    // Icecast answers with a small XML document; its clients only look at the status.
    res
      .type('application/xml')
      .send(
        '<?xml version="1.0"?>\n<iceresponse><message>Metadata update successful</message><return>1</return></iceresponse>\n',
      );
  });

  return router;
}
