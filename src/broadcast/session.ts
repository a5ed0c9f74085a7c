/** Ingest session calls (claim and release a mount) and the mapping of server errors to messages for the host. */
import type { IngestSession, ServerInfo, TitleUpdate } from '../shared/protocol.js';
import { paths, SESSION_HEADER } from '../shared/protocol.js';
import { BroadcastError } from './errors.js';
import { REQUEST_TIMEOUT_MS, readErrorBody, timeoutSignal, unreachable } from './http.js';

/** Where the host finds the stream key; repeated in every wrong-key message. */
const KEY_HINT =
  'The onair server prints the stream key in its terminal when it starts; it is also in the file data/stream-key on the computer running onair.';

/** The BroadcastError for a failed answer from any ingest endpoint. */
export async function errorFromAnswer(res: Response, mount: string): Promise<BroadcastError> {
  const body = await readErrorBody(res);
  switch (body.code) {
    case 'AUTH_BAD_KEY':
      return new BroadcastError(
        'BAD_KEY',
        `The stream key is wrong. ${KEY_HINT} Paste it above and press Go live again.`,
        {
          serverCode: body.code,
        },
      );
    case 'MOUNT_IN_USE':
      return new BroadcastError(
        'MOUNT_IN_USE',
        `Someone else is already live on "${mount}". Ask them to press Stop, or broadcast on another name by opening ${location.origin}${paths.broadcastPage}?mount=another-name.`,
        { serverCode: body.code },
      );
    case 'MOUNT_INVALID':
      return new BroadcastError(
        'MOUNT_INVALID',
        `The server refused the broadcast name "${mount}": ${body.message}`,
        {
          serverCode: body.code,
        },
      );
    case 'AUTH_BAD_SESSION':
    case 'INGEST_IDLE_TIMEOUT':
      return new BroadcastError(
        'SESSION_ENDED',
        'The server ended this broadcast (no audio reached it for a while, or it restarted). Press Go live to start again.',
        { serverCode: body.code },
      );
    default:
      return new BroadcastError(
        'SERVER',
        `The onair server refused the upload: ${body.message}. Press Go live to try again.`,
        {
          ...(body.code ? { serverCode: body.code } : {}),
        },
      );
  }
}

function isIngestSession(v: unknown): v is IngestSession {
  if (typeof v !== 'object' || v === null) return false;
  const s = v as Record<string, unknown>;
  return (
    typeof s.sessionId === 'string' &&
    typeof s.mount === 'string' &&
    typeof s.nextSeq === 'number' &&
    typeof s.maxChunkBytes === 'number'
  );
}

/** Claims `mount` with the stream key. Rejects with a BroadcastError (BAD_KEY, MOUNT_IN_USE, UNREACHABLE, …). */
export async function openSession(
  mount: string,
  streamKey: string,
  signal: AbortSignal,
): Promise<IngestSession> {
  let res: Response;
  try {
    res = await fetch(paths.ingestSession(mount), {
      method: 'POST',
      headers: { authorization: `Bearer ${streamKey}` },
      signal: timeoutSignal(signal, REQUEST_TIMEOUT_MS),
    });
  } catch (err) {
    throw unreachable(err, signal);
  }
  if (!res.ok) throw await errorFromAnswer(res, mount);
  const json: unknown = await res.json();
  if (!isIngestSession(json)) {
    throw new BroadcastError(
      'SERVER',
      'The onair server answered with something this page does not understand.',
    );
  }
  return json;
}

/** Ends the broadcast now (the mount goes offline). Resolves even when the server already forgot the session. */
export async function closeSession(mount: string, sessionId: string, signal: AbortSignal): Promise<void> {
  let res: Response;
  try {
    res = await fetch(paths.ingestSession(mount), {
      method: 'DELETE',
      headers: { [SESSION_HEADER]: sessionId },
      signal: timeoutSignal(signal, REQUEST_TIMEOUT_MS),
    });
  } catch (err) {
    throw unreachable(err, signal);
  }
  // 401 AUTH_BAD_SESSION: the server already ended it, which is what we wanted.
  if (!res.ok && res.status !== 401) throw await errorFromAnswer(res, mount);
}

/** Fire-and-forget DELETE that survives the page unloading (pagehide). */
export function closeSessionOnUnload(mount: string, sessionId: string): void {
  void fetch(paths.ingestSession(mount), {
    method: 'DELETE',
    headers: { [SESSION_HEADER]: sessionId },
    keepalive: true,
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
  }).catch(() => {
    // The page is going away; the server's idle timeout ends the broadcast anyway.
  });
}

/** `GET /api/info`, or null when the server does not answer it. */
export async function fetchServerInfo(signal: AbortSignal): Promise<ServerInfo | null> {
  try {
    const res = await fetch(paths.info, { signal: timeoutSignal(signal, REQUEST_TIMEOUT_MS) });
    if (!res.ok) return null;
    const json: unknown = await res.json();
    if (typeof json !== 'object' || json === null) return null;
    const info = json as Partial<ServerInfo>;
    if (typeof info.httpPort !== 'number') return null;
    return json as ServerInfo;
  } catch {
    return null;
  }
}

/** Sets the stream title listeners see. Resolves false when the server did not take it. */
export async function sendTitle(
  mount: string,
  sessionId: string,
  title: string,
  signal: AbortSignal,
): Promise<boolean> {
  try {
    const res = await fetch(paths.ingestTitle(mount), {
      method: 'POST',
      headers: { 'content-type': 'application/json', [SESSION_HEADER]: sessionId },
      body: JSON.stringify({ title } satisfies TitleUpdate),
      signal: timeoutSignal(signal, REQUEST_TIMEOUT_MS),
    });
    return res.ok;
  } catch {
    return false;
  }
}

/** Pre-flight: is `streamKey` right? 'ok', 'wrong' (401), 'limited' (429) or 'unreachable'. */
export async function checkKey(
  mount: string,
  streamKey: string,
  signal: AbortSignal,
): Promise<'ok' | 'wrong' | 'limited' | 'unreachable'> {
  try {
    const res = await fetch(paths.ingestCheck(mount), {
      method: 'POST',
      headers: { authorization: `Bearer ${streamKey}` },
      signal: timeoutSignal(signal, REQUEST_TIMEOUT_MS),
    });
    await res.arrayBuffer();
    if (res.ok) return 'ok';
    if (res.status === 429) return 'limited';
    return res.status === 401 ? 'wrong' : 'unreachable';
  } catch {
    return 'unreachable';
  }
}
