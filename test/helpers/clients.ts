/** Real HTTP and WebSocket clients for integration tests: broadcaster calls, listeners, status watchers. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import { WebSocket } from 'ws';
import type { ChunkAck, IngestSession, StatusMessage } from '../../src/shared/protocol.js';
import { OFFSET_HEADER, paths, SEQ_HEADER, SESSION_HEADER } from '../../src/shared/protocol.js';

export const FIXTURE_DIR = join(process.cwd(), 'test', 'fixtures');

/** The real Chromium MediaRecorder recording, whole and cut at its original chunk boundaries. */
export function loadFixture(): { bytes: Buffer; chunks: Buffer[] } {
  const bytes = readFileSync(join(FIXTURE_DIR, 'chromium-opus.webm'));
  const sizes = JSON.parse(readFileSync(join(FIXTURE_DIR, 'chromium-opus.chunks.json'), 'utf8')) as number[];
  const chunks: Buffer[] = [];
  let at = 0;
  for (const n of sizes) {
    chunks.push(bytes.subarray(at, at + n));
    at += n;
  }
  if (at !== bytes.length) throw new Error(`fixture chunk sizes add up to ${at}, file has ${bytes.length}`);
  return { bytes, chunks };
}

export async function startSession(
  baseUrl: string,
  mount: string,
  key: string,
): Promise<{ status: number; body: unknown; session?: IngestSession }> {
  const res = await fetch(`${baseUrl}${paths.ingestSession(mount)}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}` },
    signal: AbortSignal.timeout(5_000),
  });
  const body: unknown = await res.json();
  return res.status === 201
    ? { status: res.status, body, session: body as IngestSession }
    : { status: res.status, body };
}

export async function postChunk(
  baseUrl: string,
  mount: string,
  sessionId: string,
  seq: number,
  bytes: Uint8Array,
  contentType = 'audio/webm',
  offset?: number,
): Promise<{
  status: number;
  body: ChunkAck & {
    error?: { code: string; message: string; expectedSeq?: number; expectedOffset?: number };
  };
}> {
  const res = await fetch(`${baseUrl}${paths.ingestChunk(mount)}`, {
    method: 'POST',
    headers: {
      'content-type': contentType,
      [SESSION_HEADER]: sessionId,
      [SEQ_HEADER]: String(seq),
      ...(offset === undefined ? {} : { [OFFSET_HEADER]: String(offset) }),
    },
    body: bytes,
    signal: AbortSignal.timeout(5_000),
  });
  return {
    status: res.status,
    body: (await res.json()) as ChunkAck & { error?: { code: string; message: string } },
  };
}

export async function endSession(baseUrl: string, mount: string, sessionId: string): Promise<number> {
  const res = await fetch(`${baseUrl}${paths.ingestSession(mount)}`, {
    method: 'DELETE',
    headers: { [SESSION_HEADER]: sessionId },
    signal: AbortSignal.timeout(5_000),
  });
  await res.arrayBuffer();
  return res.status;
}

/** Sets the stream title through the ingest session (204). */
export async function setTitle(
  baseUrl: string,
  mount: string,
  sessionId: string,
  title: string,
): Promise<void> {
  const res = await fetch(`${baseUrl}${paths.ingestTitle(mount)}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', [SESSION_HEADER]: sessionId },
    body: JSON.stringify({ title }),
    signal: AbortSignal.timeout(5_000),
  });
  await res.arrayBuffer();
  if (res.status !== 204) throw new Error(`POST title: ${res.status}`);
}

/** A listener on `url`: collects the body until the server ends it or `stop()` is called. */
export interface Listener {
  status: Promise<number>;
  headers: Promise<http.IncomingHttpHeaders>;
  /** Resolves with every body byte when the response ends. */
  done: Promise<Buffer>;
  received(): Buffer;
  /** Resolves once at least `n` body bytes have arrived (rejects after `timeoutMs`). */
  waitForBytes(n: number, timeoutMs?: number): Promise<Buffer>;
  stop(): void;
}

/** `requestHeaders`: sent with the request (a join cookie). */
export function listen(url: string, requestHeaders: http.OutgoingHttpHeaders = {}): Listener {
  const parts: Buffer[] = [];
  let size = 0;
  const waiters: Array<{ n: number; resolve: (b: Buffer) => void }> = [];
  let resolveStatus!: (n: number) => void;
  let resolveHeaders!: (h: http.IncomingHttpHeaders) => void;
  const status = new Promise<number>((r) => {
    resolveStatus = r;
  });
  const headers = new Promise<http.IncomingHttpHeaders>((r) => {
    resolveHeaders = r;
  });
  const received = (): Buffer => Buffer.concat(parts, size);
  const req = http.get(url, { headers: requestHeaders });
  const done = new Promise<Buffer>((resolve, reject) => {
    req.on('error', reject);
    req.on('response', (res) => {
      resolveStatus(res.statusCode ?? 0);
      resolveHeaders(res.headers);
      res.on('data', (b: Buffer) => {
        parts.push(b);
        size += b.length;
        for (const w of [...waiters]) {
          if (size >= w.n) {
            waiters.splice(waiters.indexOf(w), 1);
            w.resolve(received());
          }
        }
      });
      res.on('end', () => resolve(received()));
      res.on('close', () => resolve(received()));
      res.on('error', () => resolve(received()));
    });
  });
  done.catch(() => {});
  return {
    status,
    headers,
    done,
    received,
    waitForBytes(n, timeoutMs = 5_000) {
      if (size >= n) return Promise.resolve(received());
      return new Promise((resolve, reject) => {
        const t = setTimeout(
          () => reject(new Error(`only ${size} of ${n} bytes after ${timeoutMs} ms`)),
          timeoutMs,
        );
        waiters.push({
          n,
          resolve: (b) => {
            clearTimeout(t);
            resolve(b);
          },
        });
      });
    },
    stop() {
      req.destroy();
    },
  };
}

/** A status-socket client that records every message. */
export interface StatusWatcher {
  messages: StatusMessage[];
  /** Resolves with the first message (past or future) matching `pred`. */
  waitFor(pred: (m: StatusMessage) => boolean, timeoutMs?: number): Promise<StatusMessage>;
  /** Resolves with the close code and reason when the socket closes. */
  closed: Promise<[number, string]>;
  close(): void;
}

/** `headers`: sent with the upgrade (a join cookie). */
export async function watchStatus(
  wsUrl: string,
  headers: Record<string, string> = {},
): Promise<StatusWatcher> {
  const ws = new WebSocket(wsUrl, { headers });
  const closed = new Promise<[number, string]>((resolve) =>
    ws.once('close', (code, reason) => resolve([code, reason.toString()])),
  );
  const messages: StatusMessage[] = [];
  const waiters: Array<{ pred: (m: StatusMessage) => boolean; resolve: (m: StatusMessage) => void }> = [];
  ws.on('message', (data) => {
    const m = JSON.parse(String(data)) as StatusMessage;
    messages.push(m);
    for (const w of [...waiters]) {
      if (w.pred(m)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(m);
      }
    }
  });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  return {
    messages,
    closed,
    waitFor(pred, timeoutMs = 5_000) {
      const found = messages.find(pred);
      if (found) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const t = setTimeout(
          () => reject(new Error(`no matching status in ${timeoutMs} ms; got ${JSON.stringify(messages)}`)),
          timeoutMs,
        );
        waiters.push({
          pred,
          resolve: (m) => {
            clearTimeout(t);
            resolve(m);
          },
        });
      });
    },
    close() {
      ws.close();
    },
  };
}

/** EBML ID of a Cluster. */
export const CLUSTER_ID = Buffer.from([0x1f, 0x43, 0xb6, 0x75]);

/**
 * Broadcasts the recorded Chromium fixture (6 s) to `mount` over the per-chunk transport, with
 * `title` set first when given, and ends the broadcast.
 */
export async function broadcastFixture(
  server: { baseUrl: string; streamKey: string },
  mount: string,
  title?: string,
): Promise<void> {
  const { session } = await startSession(server.baseUrl, mount, server.streamKey);
  assert.ok(session);
  if (title !== undefined) await setTitle(server.baseUrl, mount, session.sessionId, title);
  for (const [i, c] of loadFixture().chunks.entries()) {
    assert.equal((await postChunk(server.baseUrl, mount, session.sessionId, i, c)).status, 200);
  }
  assert.equal(await endSession(server.baseUrl, mount, session.sessionId), 200);
}
