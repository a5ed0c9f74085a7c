/**
 * A scripted stand-in for `fetch` for the uploaders' unit tests: every request is recorded and waits
 * until the test answers it (a Response, or an Error to reject with). Streaming request bodies are
 * read as they come. Each wait has a timeout.
 */
import { afterEach, beforeEach } from 'node:test';
import type { BroadcastError } from '../../../src/broadcast/errors.js';
import type { UploaderCallbacks, UploadProgress } from '../../../src/broadcast/upload.js';
import { OFFSET_HEADER, SEQ_HEADER } from '../../../src/shared/protocol.js';

const WAIT_MS = 3_000;

export interface FakeRequest {
  url: string;
  method: string;
  headers: Record<string, string>;
  /** A chunk POST's body, whole; for a streaming body, what has arrived so far. */
  body: Uint8Array;
  seq: number | null;
  offset: number | null;
  /** Streaming body: true once it ended. */
  bodyEnded: boolean;
  answer(res: Response | Error): void;
  /** Streaming body: resolves once `n` bytes (or the end, with `end`) have arrived. */
  received(n: number, end?: boolean): Promise<void>;
}

export interface FakeFetch {
  readonly requests: FakeRequest[];
  /** The next request not yet taken (in order), waiting for it if needed. */
  next(): Promise<FakeRequest>;
  /** Requests made and not yet taken by next(). */
  readonly untaken: number;
  restore(): void;
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.byteLength + b.byteLength);
  out.set(a);
  out.set(b, a.byteLength);
  return out;
}

function within<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), WAIT_MS);
    }),
  ]).finally(() => clearTimeout(timer));
}

/** Replaces globalThis.fetch until restore(). */
export function installFakeFetch(): FakeFetch {
  const original = globalThis.fetch;
  const requests: FakeRequest[] = [];
  let taken = 0;
  const waiters: (() => void)[] = [];

  const fake = (input: string | URL | Request, init: RequestInit = {}): Promise<Response> =>
    new Promise<Response>((resolve, reject) => {
      const headers = { ...(init.headers as Record<string, string> | undefined) };
      const progress: (() => void)[] = [];
      const req: FakeRequest = {
        url: String(input),
        method: init.method ?? 'GET',
        headers,
        body: new Uint8Array(0),
        seq: headers[SEQ_HEADER] === undefined ? null : Number(headers[SEQ_HEADER]),
        offset: headers[OFFSET_HEADER] === undefined ? null : Number(headers[OFFSET_HEADER]),
        bodyEnded: false,
        answer: (res) => (res instanceof Error ? reject(res) : resolve(res)),
        received: (n, end = false) =>
          within(
            new Promise<void>((done) => {
              const check = (): void => {
                if (req.body.byteLength >= n && (!end || req.bodyEnded)) done();
                else progress.push(check);
              };
              check();
            }),
            `${n} body bytes${end ? ' and the end' : ''}`,
          ),
      };
      const body = init.body;
      if (body instanceof ReadableStream) {
        const reader = (body as ReadableStream<Uint8Array>).getReader();
        void (async () => {
          for (;;) {
            const { done, value } = await reader.read().catch(() => ({ done: true, value: undefined }));
            if (done || !value) {
              req.bodyEnded = true;
            } else {
              req.body = concat(req.body, value);
            }
            for (const p of progress.splice(0)) p();
            if (req.bodyEnded) return;
          }
        })();
      } else if (body instanceof Uint8Array) {
        req.body = Uint8Array.from(body);
        req.bodyEnded = true;
      }
      init.signal?.addEventListener('abort', () => reject(init.signal?.reason), { once: true });
      requests.push(req);
      for (const w of waiters.splice(0)) w();
    });
  globalThis.fetch = fake as typeof fetch;

  return {
    requests,
    get untaken() {
      return requests.length - taken;
    },
    next: () =>
      within(
        new Promise<FakeRequest>((resolve) => {
          const check = (): void => {
            const req = requests[taken];
            if (req) {
              taken += 1;
              resolve(req);
            } else waiters.push(check);
          };
          check();
        }),
        'the next request',
      ),
    restore: () => {
      globalThis.fetch = original;
    },
  };
}

export function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
}

export function ack(seq: number, bytesIn: number): Response {
  return json(200, { ack: seq, duplicate: false, bytesIn });
}

export function errorAnswer(status: number, code: string, extra: Record<string, unknown> = {}): Response {
  return json(status, { error: { code, message: code.toLowerCase(), ...extra } });
}

/** `n` bytes, each its offset in the broadcast mod 256 (`from` is the first one's offset). */
export function bytesAt(from: number, n: number): Uint8Array<ArrayBuffer> {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = (from + i) & 0xff;
  return b;
}

/** One uploader test's surroundings: the fake fetch, the signal its uploader runs under, what it reported. */
export interface UploadTest {
  readonly net: FakeFetch;
  readonly signal: AbortSignal;
  readonly callbacks: UploaderCallbacks;
  readonly progress: UploadProgress[];
  readonly errors: BroadcastError[];
  /** The newest progress report. */
  last(): UploadProgress;
}

/**
 * Call inside a describe(): before each test installs the fake fetch and fresh reports; after it,
 * aborts what the test started and puts the real fetch back.
 */
export function eachUploadTest(): UploadTest {
  let net: FakeFetch | undefined;
  let abort = new AbortController();
  let progress: UploadProgress[] = [];
  let errors: BroadcastError[] = [];
  beforeEach(() => {
    net = installFakeFetch();
    abort = new AbortController();
    progress = [];
    errors = [];
  });
  afterEach(() => {
    abort.abort();
    net?.restore();
  });
  return {
    get net() {
      if (!net) throw new Error('eachUploadTest: used outside a test');
      return net;
    },
    get signal() {
      return abort.signal;
    },
    callbacks: { onProgress: (p) => progress.push(p), onError: (e) => errors.push(e) },
    get progress() {
      return progress;
    },
    get errors() {
      return errors;
    },
    last: () => progress[progress.length - 1] as UploadProgress,
  };
}
