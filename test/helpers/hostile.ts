/**
 * Hostile-input helpers: a live broadcast (real ffmpeg) with real listeners that every hostile case must
 * leave unharmed, raw-socket clients that send what no well-behaved client would, and WebSocket frames
 * built byte by byte.
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, it } from 'node:test';
import type { FfmpegSource } from '../../tools/ffmpeg.js';
import { decodeFileWithFfmpeg, decodeWithFfmpeg, dominantHz, startFfmpegSource } from '../../tools/ffmpeg.js';
import type { TestServer } from '../../tools/server.js';
import { waitUntil } from '../../tools/wait.js';
import type { Listener } from './clients.js';
import { listen } from './clients.js';

// --- The victim: one live broadcast and its listeners ----------------------------------------------

/** The broadcast every hostile case runs beside, and the listeners that must keep hearing it. */
export interface Victim {
  mount: string;
  source: FfmpegSource;
  /** Joined before the first case, on each container; must never stop receiving. */
  webm: Listener;
  ogg: Listener;
  startedAt: number;
  /**
   * Asserts that the server answers, the broadcast is still listed live, and both listeners are still
   * connected and receiving: each gets at least `minBytes` more within `timeoutMs`.
   */
  assertAlive(label: string, minBytes?: number, timeoutMs?: number): Promise<void>;
  /**
   * Decodes everything each listener received since it joined, and a fresh listener: each is 440 Hz,
   * and the joined ones heard it without a gap (every half second loud, as long as they were connected).
   */
  assertHeardTone(): Promise<void>;
  stop(): void;
}

/** Mono samples as -1..1. */
function toFloat(samples: Int16Array): Float32Array {
  const out = new Float32Array(samples.length);
  for (let i = 0; i < samples.length; i++) out[i] = (samples[i] as number) / 32768;
  return out;
}

/** Asserts `samples` (48 kHz) are a 440 Hz tone, loud in every half second, lasting about `seconds`. */
function assertUnbrokenTone(name: string, samples: Float32Array, seconds: number): void {
  const rate = 48_000;
  const got = samples.length / rate;
  // The join burst adds up to a Cluster's worth before the join; a gap would take some away.
  assert.ok(
    got >= seconds * 0.95 - 1 && got <= seconds + 3,
    `${name}: ${got.toFixed(1)} s decoded, connected ${seconds.toFixed(1)} s`,
  );
  const half = rate / 2;
  for (let at = Math.round(rate * 0.2); at + half <= samples.length - rate * 0.2; at += half) {
    let sum = 0;
    for (let i = at; i < at + half; i++) sum += (samples[i] as number) ** 2;
    const rms = Math.sqrt(sum / half);
    assert.ok(rms > 0.05, `${name}: quiet at ${(at / rate).toFixed(1)} s (rms ${rms.toFixed(3)})`);
  }
  for (const at of [0, 0.5, 1]) {
    const from = Math.floor(Math.max(0, samples.length - 1.5 * rate) * at);
    const { hz } = dominantHz(samples.subarray(from, from + 1.5 * rate));
    assert.ok(Math.abs(hz - 440) <= 6, `${name}: ${hz} Hz at ${(from / rate).toFixed(1)} s`);
  }
}

/** Live mounts as `/status-json.xsl` lists them (what a directory or dashboard sees). */
export async function liveMounts(baseUrl: string): Promise<string[]> {
  const res = await fetch(`${baseUrl}/status-json.xsl`, { signal: AbortSignal.timeout(3_000) });
  assert.equal(res.status, 200);
  const body = (await res.json()) as { icestats: { source?: unknown } };
  const src = body.icestats.source;
  const list = src === undefined ? [] : Array.isArray(src) ? src : [src];
  return list.map((s) => String((s as { listenurl: string }).listenurl).replace(/^.*\//, ''));
}

/** Starts ffmpeg (440 Hz Opus in Ogg, Icecast PUT) on `mount` and joins a WebM and an Ogg listener. */
export async function startVictim(t: TestServer, mount = 'victim'): Promise<Victim> {
  const source = startFfmpegSource({
    url: `icecast://source:${t.streamKey}@127.0.0.1:${t.server.httpPort}/${mount}`,
    format: 'ogg',
    seconds: 1_800,
  });
  await waitUntil('victim live', 15_000, async () => (await liveMounts(t.baseUrl)).includes(mount)).catch(
    (err: Error) => {
      throw new Error(`${err.message}; ffmpeg: ${source.stderr()}`);
    },
  );
  const webm = listen(`${t.baseUrl}/${mount}.webm`);
  const ogg = listen(`${t.baseUrl}/${mount}.ogg`);
  assert.equal(await webm.status, 200);
  assert.equal(await ogg.status, 200);
  let ended: string | null = null;
  webm.done.then(() => {
    ended ??= 'the WebM listener';
  });
  ogg.done.then(() => {
    ended ??= 'the Ogg listener';
  });
  const startedAt = Date.now();
  return {
    mount,
    source,
    webm,
    ogg,
    startedAt,
    async assertAlive(label, minBytes = 500, timeoutMs = 4_000) {
      const before = [webm.received().length, ogg.received().length] as const;
      const info = await fetch(`${t.baseUrl}/api/info`, { signal: AbortSignal.timeout(3_000) });
      assert.equal(info.status, 200, `${label}: server answers`);
      await info.arrayBuffer();
      assert.ok((await liveMounts(t.baseUrl)).includes(mount), `${label}: the broadcast is still live`);
      await Promise.all([
        webm.waitForBytes(before[0] + minBytes, timeoutMs),
        ogg.waitForBytes(before[1] + minBytes, timeoutMs),
      ]).catch((err: Error) => {
        throw new Error(`${label}: a listener stopped receiving: ${err.message}`);
      });
      assert.equal(ended, null, `${label}: ${ended} was disconnected`);
    },
    async assertHeardTone() {
      const seconds = (Date.now() - startedAt) / 1000;
      for (const [name, l, ext] of [
        ['WebM listener', webm, 'webm'],
        ['Ogg listener', ogg, 'ogg'],
      ] as const) {
        const { samples, errors } = decodeFileWithFfmpeg(l.received(), { extension: ext });
        assert.equal(errors, '', `${name}: ffmpeg found errors`);
        assertUnbrokenTone(name, toFloat(samples), seconds);
      }
      const fresh = await decodeWithFfmpeg(`${t.baseUrl}/${mount}.ogg`, 2);
      assert.equal(fresh.code, 0, fresh.stderr);
      const { hz, rms } = dominantHz(fresh.samples);
      assert.ok(Math.abs(hz - 440) <= 6 && rms > 0.05, `a new listener hears ${hz} Hz at rms ${rms}`);
    },
    stop() {
      webm.stop();
      ogg.stop();
      source.stop();
    },
  };
}

/**
 * Registers a hostile case: `fn` runs, then the victim must still be alive. Returns a counter whose
 * `total` is printed after the file's cases (`hostile cases (<group>): N`).
 */
export function hostileCases(
  group: string,
  victim: () => Victim,
): (name: string, fn: () => Promise<void>) => void {
  let total = 0;
  after(() => {
    console.log(`hostile cases (${group}): ${total}`);
  });
  return (name, fn) => {
    total++;
    it(name, async () => {
      await fn();
      await victim().assertAlive(name);
    });
  };
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

// --- Raw sockets ------------------------------------------------------------------------------------

export interface RawResult {
  /** Everything the server sent, as latin1 text. */
  text: string;
  /** The server closed (or reset) the connection before the timeout. */
  closed: boolean;
  /** The connection ended in a reset or another socket error (its message). */
  error: string | null;
  /** Milliseconds from connect to close (or to the timeout). */
  ms: number;
}

/**
 * Connects to `port`, sends `parts` (a gap of `gapMs` between parts; with `answerFirst`, the parts after
 * the first only once the answer so far matches it, as source clients wait for their 200), and collects
 * the answer until the server closes the connection or `timeoutMs` passes (then the client closes it).
 */
export function rawExchange(
  port: number,
  parts: ReadonlyArray<string | Uint8Array>,
  options: { timeoutMs?: number; gapMs?: number; answerFirst?: RegExp } = {},
): Promise<RawResult> {
  const { timeoutMs = 5_000, gapMs = 0, answerFirst } = options;
  return new Promise((resolve) => {
    const t0 = Date.now();
    const socket = net.connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    let answered: (() => void) | null = null;
    let error: string | null = null;
    let settled = false;
    const finish = (closed: boolean): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ text: Buffer.concat(chunks).toString('latin1'), closed, error, ms: Date.now() - t0 });
    };
    const timer = setTimeout(() => finish(false), timeoutMs);
    socket.on('data', (b: Buffer) => {
      chunks.push(b);
      if (answered && answerFirst?.test(Buffer.concat(chunks).toString('latin1'))) answered();
    });
    socket.on('error', (err) => {
      error = err.message;
    });
    socket.on('close', () => finish(true));
    socket.on('connect', async () => {
      for (const [i, part] of parts.entries()) {
        if (i > 0 && gapMs > 0) await sleep(gapMs);
        if (i === 1 && answerFirst && !answerFirst.test(Buffer.concat(chunks).toString('latin1'))) {
          await new Promise<void>((r) => {
            answered = r;
            socket.once('close', () => r());
          });
          answered = null;
        }
        if (settled || socket.destroyed) return;
        socket.write(part);
      }
    });
  });
}

/** `HTTP/1.x NNN` of a raw answer, or 0 when there was none. */
export function statusOf(text: string): number {
  const m = /^HTTP\/1\.[01] (\d{3}) /.exec(text);
  return m ? Number(m[1]) : 0;
}

/** The JSON body of a raw answer (after the blank line), or null. */
export function jsonBodyOf(text: string): { error?: { code: string; message: string } } | null {
  const at = text.indexOf('\r\n\r\n');
  if (at < 0) return null;
  try {
    return JSON.parse(text.slice(at + 4)) as { error?: { code: string; message: string } };
  } catch {
    return null;
  }
}

export function basic(user: string, pass: string): string {
  return `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;
}

// --- WebSocket frames -------------------------------------------------------------------------------

export interface FrameSpec {
  opcode: number;
  payload?: Uint8Array;
  fin?: boolean;
  /** RSV1–3 bits, 0–7. */
  rsv?: number;
  /** Client frames must be masked; false sends one unmasked. */
  masked?: boolean;
  /** Declared payload length when it should differ from the payload's (64-bit form). */
  declaredLength?: bigint;
}

/** One WebSocket frame as a client would send it (masked with a fixed key unless told not to). */
export function wsFrame(spec: FrameSpec): Buffer {
  const payload = Buffer.from(spec.payload ?? new Uint8Array(0));
  const masked = spec.masked ?? true;
  const head: number[] = [((spec.fin ?? true) ? 0x80 : 0) | ((spec.rsv ?? 0) << 4) | spec.opcode];
  const maskBit = masked ? 0x80 : 0;
  let ext = Buffer.alloc(0);
  if (spec.declaredLength !== undefined) {
    head.push(maskBit | 127);
    ext = Buffer.alloc(8);
    ext.writeBigUInt64BE(spec.declaredLength);
  } else if (payload.length < 126) {
    head.push(maskBit | payload.length);
  } else if (payload.length < 65536) {
    head.push(maskBit | 126);
    ext = Buffer.alloc(2);
    ext.writeUInt16BE(payload.length);
  } else {
    head.push(maskBit | 127);
    ext = Buffer.alloc(8);
    ext.writeBigUInt64BE(BigInt(payload.length));
  }
  if (!masked) return Buffer.concat([Buffer.from(head), ext, payload]);
  const key = Buffer.from([0x37, 0xfa, 0x21, 0x3d]);
  const body = Buffer.from(payload);
  for (let i = 0; i < body.length; i++) body[i] = (body[i] as number) ^ (key[i % 4] as number);
  return Buffer.concat([Buffer.from(head), ext, key, body]);
}

export interface ServerFrame {
  opcode: number;
  payload: Buffer;
}

/** A WebSocket opened over a raw TCP socket, reading the server's frames itself. */
export interface RawWebSocket {
  socket: net.Socket;
  frames: ServerFrame[];
  /** Resolves with the server's close frame (code and reason), or null if the socket closed without one. */
  closed(timeoutMs?: number): Promise<{ code: number; reason: string } | null>;
  /** Resolves once the server has sent `n` text frames. */
  waitForTexts(n: number, timeoutMs?: number): Promise<string[]>;
  destroy(): void;
}

/** Opens `/ws?mount=<mount>` by hand: sends the upgrade, checks 101, then parses server frames. */
export function rawWebSocket(port: number, mount: string): Promise<RawWebSocket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.on('error', () => {});
    let buf = Buffer.alloc(0);
    let upgraded = false;
    const frames: ServerFrame[] = [];
    const onChange: Array<() => void> = [];
    let ended = false;
    const changed = (): void => {
      for (const f of [...onChange]) f();
    };
    const timer = setTimeout(() => reject(new Error('no 101 within 3 s')), 3_000);
    socket.on('close', () => {
      ended = true;
      changed();
    });
    socket.on('data', (b: Buffer) => {
      buf = Buffer.concat([buf, b]);
      if (!upgraded) {
        const end = buf.indexOf('\r\n\r\n');
        if (end < 0) return;
        const head = buf.subarray(0, end).toString('latin1');
        clearTimeout(timer);
        if (!head.startsWith('HTTP/1.1 101 ')) {
          reject(new Error(`upgrade refused: ${head}`));
          socket.destroy();
          return;
        }
        upgraded = true;
        buf = buf.subarray(end + 4);
        resolve(api);
      }
      // Server frames: never masked.
      while (buf.length >= 2) {
        const b1 = buf[1] as number;
        let len = b1 & 0x7f;
        let at = 2;
        if (len === 126) {
          if (buf.length < 4) break;
          len = buf.readUInt16BE(2);
          at = 4;
        } else if (len === 127) {
          if (buf.length < 10) break;
          len = Number(buf.readBigUInt64BE(2));
          at = 10;
        }
        if (buf.length < at + len) break;
        frames.push({ opcode: (buf[0] as number) & 0x0f, payload: Buffer.from(buf.subarray(at, at + len)) });
        buf = buf.subarray(at + len);
      }
      changed();
    });
    const waitUntil = <T>(test: () => T | undefined, timeoutMs: number, what: string): Promise<T> =>
      new Promise((res, rej) => {
        const check = (): boolean => {
          const v = test();
          if (v === undefined) return false;
          clearTimeout(t);
          onChange.splice(onChange.indexOf(check), 1);
          res(v);
          return true;
        };
        const t = setTimeout(() => {
          onChange.splice(onChange.indexOf(check), 1);
          rej(new Error(`${what} not within ${timeoutMs} ms`));
        }, timeoutMs);
        onChange.push(check);
        check();
      });
    const api: RawWebSocket = {
      socket,
      frames,
      closed(timeoutMs = 3_000) {
        return waitUntil(
          () => {
            const close = frames.find((f) => f.opcode === 0x8);
            if (close) {
              return {
                code: close.payload.length >= 2 ? close.payload.readUInt16BE(0) : 1005,
                reason: close.payload.subarray(2).toString('utf8'),
              };
            }
            return ended ? null : undefined;
          },
          timeoutMs,
          'close frame',
        );
      },
      waitForTexts(n, timeoutMs = 3_000) {
        return waitUntil(
          () => {
            const texts = frames.filter((f) => f.opcode === 0x1).map((f) => f.payload.toString('utf8'));
            return texts.length >= n ? texts : undefined;
          },
          timeoutMs,
          `${n} text frames`,
        );
      },
      destroy() {
        socket.destroy();
      },
    };
    socket.write(
      `GET /ws?mount=${mount} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
        'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
    );
  });
}
