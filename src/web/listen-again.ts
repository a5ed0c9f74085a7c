/** The listen-again list of a mount, as both pages read it (`GET /api/listen-again/<mount>`). */
import type { ListenAgainList } from '../shared/protocol.js';
import { parseErrorBody, paths } from '../shared/protocol.js';
import { withTimeout } from './wait.js';

/** How long the list may take to come. */
const LIST_TIMEOUT_MS = 10_000;

export type ListenAgainResult =
  | { ok: true; list: ListenAgainList }
  /** `status` 0: no answer (network, timeout, not JSON). */
  | { ok: false; status: number; message: string };

type Recording = ListenAgainList['recordings'][number];

function isRecording(v: unknown): v is Recording {
  const r = v as Partial<Recording> | null;
  return (
    typeof r === 'object' &&
    r !== null &&
    typeof r.name === 'string' &&
    typeof r.startedAt === 'string' &&
    typeof r.durationMs === 'number' &&
    (r.title === null || typeof r.title === 'string') &&
    typeof r.url === 'string' &&
    r.url.startsWith('/listen-again/')
  );
}

/** Fetches the list; never throws but for `signal`'s abort. */
export async function fetchListenAgain(mount: string, signal: AbortSignal): Promise<ListenAgainResult> {
  try {
    const res = await withTimeout(
      fetch(paths.listenAgainList(mount), { signal, credentials: 'same-origin' }),
      LIST_TIMEOUT_MS,
      'the list of past broadcasts',
      signal,
    );
    const body = (await withTimeout(
      res.json(),
      LIST_TIMEOUT_MS,
      'the list of past broadcasts',
      signal,
    )) as unknown;
    if (!res.ok) {
      return {
        ok: false,
        status: res.status,
        message: parseErrorBody(body)?.message ?? `HTTP ${res.status}`,
      };
    }
    const recordings = (body as { recordings?: unknown }).recordings;
    if (!Array.isArray(recordings)) return { ok: false, status: 0, message: 'The server sent no list.' };
    return {
      ok: true,
      list: {
        mount,
        recordings: recordings
          .filter(isRecording)
          .map((r) => ({ ...r, titles: Array.isArray(r.titles) ? r.titles : [] })),
      },
    };
  } catch (err) {
    if (signal.aborted) throw err;
    return { ok: false, status: 0, message: err instanceof Error ? err.message : String(err) };
  }
}
