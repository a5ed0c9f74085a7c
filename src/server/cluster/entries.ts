/**
 * What goes through a mount's Redis Stream, binary-safe: one entry per thing the broadcasting
 * node's pipeline produced. Every entry carries the broadcast id (`bid`) and the publisher's clock
 * (`t`, ms) for the lag metric. Field names are short: they are repeated in every entry.
 *
 *   k=begin  bid t init title? info grace started   the WebM init segment, title, stream info
 *   k=init   bid t c b                              another rendition's init (Ogg header pages)
 *   k=chunk  bid t c s b n                          a chunk of rendition c, sync point s=1|0, bytesIn n
 *
 * An MP3/AAC broadcast (info's sourceType names the frame format) has an empty init and chunks of
 * rendition c=mpeg only: whole frames, each chunk a sync point. Its info carries the frames info.
 *   k=title  bid t title?                           the title changed (absent: none)
 *   k=end    bid t                                  the broadcast ended
 *
 * The current broadcast's `meta` hash holds the same begin fields plus the newest sync point's
 * entry id per rendition, so a node that joins late starts there without reading history.
 */
import type { Container, MediaChunk, StreamInfo } from '../hub/types.js';

/** The renditions carried through Redis: the packets output is made again on each relaying node. */
export type Relayed = Container | 'mpeg';

export type Entry =
  | {
      kind: 'begin';
      bid: string;
      t: number;
      init: Buffer;
      title: string | null;
      info: StreamInfo;
      graceMs: number;
      startedAt: number;
    }
  | { kind: 'init'; bid: string; t: number; container: Relayed; bytes: Buffer }
  | {
      kind: 'chunk';
      bid: string;
      t: number;
      container: Relayed;
      chunk: MediaChunk;
      bytesIn: number;
    }
  | { kind: 'title'; bid: string; t: number; title: string | null }
  | { kind: 'end'; bid: string; t: number };

export type Field = string | Buffer;

/** `entry` as XADD field/value pairs. */
export function encodeEntry(entry: Entry): Field[] {
  const out: Field[] = ['k', entry.kind, 'bid', entry.bid, 't', String(entry.t)];
  switch (entry.kind) {
    case 'begin':
      out.push(...beginFields(entry));
      break;
    case 'init':
      out.push('c', entry.container, 'b', entry.bytes);
      break;
    case 'chunk':
      out.push(
        'c',
        entry.container,
        's',
        entry.chunk.syncPoint ? '1' : '0',
        'b',
        asBuffer(entry.chunk.bytes),
        'n',
        String(entry.bytesIn),
      );
      break;
    case 'title':
      if (entry.title !== null) out.push('title', entry.title);
      break;
    case 'end':
      break;
  }
  return out;
}

/** The fields a begin entry and the meta hash share. */
export function beginFields(b: Omit<Extract<Entry, { kind: 'begin' }>, 'kind' | 'bid' | 't'>): Field[] {
  const out: Field[] = [
    'init',
    b.init,
    'info',
    JSON.stringify(b.info),
    'grace',
    String(b.graceMs),
    'started',
    String(b.startedAt),
  ];
  if (b.title !== null) out.push('title', b.title);
  return out;
}

/** An entry from XREAD/XRANGE's flat field/value list; null when it is not one of ours. */
export function decodeEntry(flat: readonly Buffer[]): Entry | null {
  const f = toMap(flat);
  const kind = f.get('k')?.toString('latin1');
  const bid = f.get('bid')?.toString('latin1');
  const t = Number(f.get('t')?.toString('latin1'));
  if (!bid || !Number.isFinite(t)) return null;
  switch (kind) {
    case 'begin': {
      const begin = decodeBegin(f);
      return begin ? { kind, bid, t, ...begin } : null;
    }
    case 'init': {
      const container = containerOf(f.get('c'));
      const bytes = f.get('b');
      return container && bytes ? { kind, bid, t, container, bytes } : null;
    }
    case 'chunk': {
      const container = containerOf(f.get('c'));
      const bytes = f.get('b');
      const bytesIn = Number(f.get('n')?.toString('latin1'));
      if (!container || !bytes || !Number.isFinite(bytesIn)) return null;
      const syncPoint = f.get('s')?.toString('latin1') === '1';
      return { kind, bid, t, container, chunk: { bytes, syncPoint }, bytesIn };
    }
    case 'title':
      return { kind, bid, t, title: f.get('title')?.toString('utf8') ?? null };
    case 'end':
      return { kind, bid, t };
    default:
      return null;
  }
}

/** The current broadcast of a mount, from its meta hash. */
export interface Meta {
  bid: string;
  node: string;
  init: Buffer;
  oggInit: Buffer | null;
  title: string | null;
  info: StreamInfo;
  graceMs: number;
  startedAt: number;
  /** Entry id of the begin entry. */
  beginId: string;
  /** Entry id of the newest sync point per rendition, when there is one. */
  sync: Partial<Record<Relayed, string>>;
}

/** Meta from HGETALL (Buffers); null when there is no broadcast or the hash is incomplete. */
export function decodeMeta(hash: Readonly<Record<string, Buffer>>): Meta | null {
  const f = new Map(Object.entries(hash));
  const bid = f.get('bid')?.toString('latin1');
  const node = f.get('node')?.toString('utf8');
  const beginId = f.get('beginid')?.toString('latin1');
  const begin = decodeBegin(f);
  if (!bid || !node || !beginId || !begin) return null;
  const sync: Partial<Record<Relayed, string>> = {};
  for (const c of RELAYED) {
    const id = f.get(`sync:${c}`)?.toString('latin1');
    if (id) sync[c] = id;
  }
  return { bid, node, beginId, ...begin, oggInit: f.get('init:ogg') ?? null, sync };
}

/** Compares two stream entry ids (`ms-seq`): negative, 0 or positive. */
export function compareIds(a: string, b: string): number {
  const [am = 0n, as = 0n] = a.split('-').map((x) => BigInt(x));
  const [bm = 0n, bs = 0n] = b.split('-').map((x) => BigInt(x));
  if (am !== bm) return am < bm ? -1 : 1;
  return as === bs ? 0 : as < bs ? -1 : 1;
}

function decodeBegin(
  f: ReadonlyMap<string, Buffer>,
): Omit<Extract<Entry, { kind: 'begin' }>, 'kind' | 'bid' | 't'> | null {
  const init = f.get('init');
  const graceMs = Number(f.get('grace')?.toString('latin1'));
  const startedAt = Number(f.get('started')?.toString('latin1'));
  if (!init || !Number.isFinite(graceMs) || !Number.isFinite(startedAt)) return null;
  let info: StreamInfo = {};
  try {
    const parsed: unknown = JSON.parse(f.get('info')?.toString('utf8') ?? '{}');
    if (parsed && typeof parsed === 'object') info = pickInfo(parsed as Record<string, unknown>);
  } catch {
    info = {};
  }
  return { init, title: f.get('title')?.toString('utf8') ?? null, info, graceMs, startedAt };
}

/** Only the known StreamInfo fields, as strings: the hash is written by another node. */
function pickInfo(v: Record<string, unknown>): StreamInfo {
  const out: StreamInfo = {};
  for (const k of ['name', 'description', 'genre', 'url', 'sourceType', 'bitrate', 'audioInfo'] as const) {
    const x = v[k];
    if (typeof x === 'string') out[k] = x;
  }
  if (v.public === 0 || v.public === 1) out.public = v.public;
  const fr = v.frames as Record<string, unknown> | null | undefined;
  if (fr && typeof fr === 'object') {
    const { channels, sampleRate, bitrateKbps } = fr;
    if ([channels, sampleRate, bitrateKbps].every((x) => typeof x === 'number' && Number.isFinite(x)))
      out.frames = {
        channels: channels as number,
        sampleRate: sampleRate as number,
        bitrateKbps: bitrateKbps as number,
      };
  }
  return out;
}

function toMap(flat: readonly Buffer[]): Map<string, Buffer> {
  const m = new Map<string, Buffer>();
  for (let i = 0; i + 1 < flat.length; i += 2) {
    m.set((flat[i] as Buffer).toString('latin1'), flat[i + 1] as Buffer);
  }
  return m;
}

const RELAYED: readonly Relayed[] = ['webm', 'ogg', 'mpeg'];

function containerOf(b: Buffer | undefined): Relayed | null {
  const s = b?.toString('latin1');
  return RELAYED.find((c) => c === s) ?? null;
}

function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
