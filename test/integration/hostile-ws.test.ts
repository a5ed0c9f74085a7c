/**
 * Hostile status-socket clients against one real server with a live broadcast (ffmpeg) and two real
 * listeners: malformed frames sent over a raw TCP upgrade, junk text and binary messages, oversized and
 * too many messages, a flood of sockets from one address. Each case checks the close code (or the
 * answer) the client gets, then that the broadcast and its listeners are unharmed.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { WebSocket } from 'ws';
import { MAX_CLIENT_MESSAGE_BYTES, MAX_CLIENT_MESSAGES } from '../../src/server/outputs/status.js';
import { parseServerMessage } from '../../src/shared/protocol.js';
import { mulberry32, randomBytes } from '../../tools/bytes.js';
import type { TestServer } from '../../tools/server.js';
import { readMetric, startTestServer } from '../../tools/server.js';
import { waitUntil } from '../../tools/wait.js';
import { listen } from '../helpers/clients.js';
import type { Victim } from '../helpers/hostile.js';
import { hostileCases, rawWebSocket, startVictim, wsFrame } from '../helpers/hostile.js';

const OP_CONT = 0x0;
const OP_TEXT = 0x1;
const OP_BINARY = 0x2;
const OP_CLOSE = 0x8;
const OP_PING = 0x9;

function closePayload(code: number, reason = ''): Buffer {
  const b = Buffer.alloc(2 + Buffer.byteLength(reason));
  b.writeUInt16BE(code);
  b.write(reason, 2);
  return b;
}

/** A status socket opened with the `ws` client, recording what it receives and how it closes. */
interface Client {
  ws: WebSocket;
  texts: string[];
  closed: Promise<{ code: number; reason: string }>;
  /** Resolves once `n` more messages than now have arrived. */
  more(n: number, timeoutMs?: number): Promise<string[]>;
  /** Resolves once the status sent on connect has arrived (it may have before this is called). */
  greeted(timeoutMs?: number): Promise<void>;
}

async function openClient(url: string): Promise<Client> {
  const ws = new WebSocket(url);
  const texts: string[] = [];
  const waiters: Array<() => void> = [];
  ws.on('message', (data) => {
    texts.push(String(data));
    for (const w of [...waiters]) w();
  });
  ws.on('error', () => {});
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.on('close', (code, reason) => resolve({ code, reason: reason.toString('utf8') })),
  );
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('unexpected-response', (_req, res) => reject(new Error(`upgrade refused: ${res.statusCode}`)));
  });
  const client: Client = {
    ws,
    texts,
    closed,
    async greeted(timeoutMs = 3_000) {
      if (texts.length === 0) await client.more(1, timeoutMs);
    },
    more(n, timeoutMs = 3_000) {
      const target = texts.length + n;
      return new Promise((resolve, reject) => {
        const check = (): void => {
          if (texts.length < target) return;
          clearTimeout(timer);
          waiters.splice(waiters.indexOf(check), 1);
          resolve(texts.slice(target - n, target));
        };
        const timer = setTimeout(() => {
          waiters.splice(waiters.indexOf(check), 1);
          reject(new Error(`only ${texts.length - (target - n)} of ${n} messages in ${timeoutMs} ms`));
        }, timeoutMs);
        waiters.push(check);
      });
    },
  };
  return client;
}

/** Status sockets the server holds open, from its /metrics. */
async function openSockets(baseUrl: string): Promise<number | null> {
  return readMetric(baseUrl, 'onair_status_connections');
}

describe('hostile status-socket clients', () => {
  let t: TestServer;
  let port: number;
  let v: Victim;
  before(async () => {
    // Raw clients never answer pings: a short interval also shows the heartbeat cutting them.
    t = await startTestServer({ statusPingIntervalMs: 1_500 });
    port = t.server.httpPort;
    v = await startVictim(t);
  });
  after(async () => {
    v.stop();
    await t.close();
  });
  const hostile = hostileCases('ws', () => v);

  describe('malformed frames over a raw upgrade', () => {
    const cases: Array<[string, () => Buffer[], number]> = [
      ['a frame with reserved opcode 0x3', () => [wsFrame({ opcode: 0x3, payload: Buffer.from('x') })], 1002],
      ['a frame with reserved control opcode 0xB', () => [wsFrame({ opcode: 0xb })], 1002],
      [
        'an unmasked text frame',
        () => [wsFrame({ opcode: OP_TEXT, payload: Buffer.from('{}'), masked: false })],
        1002,
      ],
      ['a frame declaring 4 GiB', () => [wsFrame({ opcode: OP_BINARY, declaredLength: 2n ** 32n })], 1009],
      [
        'a frame declaring 2^63 bytes',
        () => [wsFrame({ opcode: OP_BINARY, declaredLength: 2n ** 63n })],
        1009,
      ],
      [
        'a frame declaring 2 KiB (over the 1 KiB cap)',
        () => [wsFrame({ opcode: OP_TEXT, declaredLength: 2048n })],
        1009,
      ],
      [
        'a frame with RSV1 set (no extension agreed)',
        () => [wsFrame({ opcode: OP_TEXT, rsv: 4, payload: Buffer.from('x') })],
        1002,
      ],
      [
        'a frame with RSV2 and RSV3 set',
        () => [wsFrame({ opcode: OP_TEXT, rsv: 3, payload: Buffer.from('x') })],
        1002,
      ],
      ['a fragmented ping', () => [wsFrame({ opcode: OP_PING, fin: false })], 1002],
      ['a ping of 126 bytes', () => [wsFrame({ opcode: OP_PING, payload: Buffer.alloc(126) })], 1002],
      [
        'a continuation with nothing to continue',
        () => [wsFrame({ opcode: OP_CONT, payload: Buffer.from('x') })],
        1002,
      ],
      [
        'a new text frame inside a fragmented one',
        () => [
          wsFrame({ opcode: OP_TEXT, fin: false, payload: Buffer.from('a') }),
          wsFrame({ opcode: OP_TEXT, payload: Buffer.from('b') }),
        ],
        1002,
      ],
      [
        'text that is not UTF-8',
        () => [wsFrame({ opcode: OP_TEXT, payload: Buffer.from([0x7b, 0xc3, 0x28, 0x7d]) })],
        1007,
      ],
      [
        'a close frame with code 999',
        () => [wsFrame({ opcode: OP_CLOSE, payload: closePayload(999) })],
        1002,
      ],
      [
        'a close frame with a 1-byte payload',
        () => [wsFrame({ opcode: OP_CLOSE, payload: Buffer.from([3]) })],
        1002,
      ],
      [
        'a close frame with reason bytes that are not UTF-8',
        () => [
          wsFrame({
            opcode: OP_CLOSE,
            payload: Buffer.concat([closePayload(1000), Buffer.from([0xff, 0xfe])]),
          }),
        ],
        1007,
      ],
      [
        'fragments adding up to 2 KiB',
        () => [
          wsFrame({ opcode: OP_TEXT, fin: false, payload: Buffer.alloc(1000, 0x61) }),
          wsFrame({ opcode: OP_CONT, fin: false, payload: Buffer.alloc(1000, 0x61) }),
          wsFrame({ opcode: OP_CONT, payload: Buffer.alloc(100, 0x61) }),
        ],
        1009,
      ],
    ];
    for (const [name, frames, code] of cases) {
      hostile(`closes a socket that sends ${name} with ${code}`, async () => {
        const raw = await rawWebSocket(port, 'victim');
        try {
          await raw.waitForTexts(1); // the status on connect
          for (const f of frames()) raw.socket.write(f);
          const close = await raw.closed();
          assert.equal(close?.code, code, `close ${JSON.stringify(close)}`);
        } finally {
          raw.destroy();
        }
      });
    }

    for (const seed of [1, 2, 3, 4]) {
      hostile(`closes a socket that sends 200 random bytes (seed ${seed}) as a protocol error`, async () => {
        const raw = await rawWebSocket(port, 'victim');
        try {
          await raw.waitForTexts(1);
          raw.socket.write(randomBytes(200, mulberry32(seed)));
          const close = await raw.closed();
          // Random headers break one rule or another: reserved bits or opcodes, no mask (1002), or a length over the cap (1009).
          assert.ok(
            close === null || [1002, 1007, 1009].includes(close.code),
            `close ${JSON.stringify(close)}`,
          );
          assert.ok(close !== null, 'a close frame, not just a dropped connection');
        } finally {
          raw.destroy();
        }
      });
    }

    hostile('cuts a socket that stops half-way through a frame, by the missed pong', async () => {
      const raw = await rawWebSocket(port, 'victim');
      try {
        await raw.waitForTexts(1);
        // Declares 100 bytes, sends 10, then nothing: the frame never completes.
        raw.socket.write(wsFrame({ opcode: OP_TEXT, payload: Buffer.alloc(100, 0x61) }).subarray(0, 16));
        const t0 = Date.now();
        const close = await raw.closed(6_000);
        assert.equal(close, null, 'terminated without a close frame');
        assert.ok(Date.now() - t0 <= 4_500, `cut after ${Date.now() - t0} ms (ping every 1500 ms)`);
      } finally {
        raw.destroy();
      }
    });
  });

  describe('messages the status socket does not take', () => {
    const junk: Array<[string, string | Buffer]> = [
      ['an unterminated object', '{'],
      ['null', 'null'],
      ['an array', '[]'],
      ['a status message of its own', JSON.stringify({ type: 'status', state: 'live', listeners: 1e9 })],
      ['a bare string', '"subscribe"'],
      ['1 KiB of nested brackets', '['.repeat(MAX_CLIENT_MESSAGE_BYTES)],
      ['NUL bytes', '\u0000\u0000\u0000'],
      ['a prototype-polluting object', '{"__proto__":{"admin":true},"constructor":{"prototype":{"x":1}}}'],
      ['binary bytes', Buffer.from(randomBytes(300, mulberry32(9)))],
    ];
    for (const [name, message] of junk) {
      hostile(
        `answers ${name} with an error message and keeps the socket and its status updates`,
        async () => {
          const c = await openClient(`${t.wsUrl}victim`);
          try {
            await c.greeted();
            const reply = c.more(1);
            c.ws.send(message);
            const [text] = await reply;
            assert.deepEqual(parseServerMessage(String(text)), {
              type: 'error',
              code: 'BAD_REQUEST',
              message: 'The status socket takes no messages; this one was ignored.',
            });
            // Still open, still told about the live broadcast: a listener joining changes its count.
            const update = c.more(1, 2_500);
            const joiner = listen(`${t.baseUrl}/victim.webm`);
            const [next] = await update;
            joiner.stop();
            assert.equal(parseServerMessage(String(next))?.type, 'status');
            assert.equal(c.ws.readyState, WebSocket.OPEN);
          } finally {
            c.ws.close();
          }
        },
      );
    }

    hostile(
      `takes a message of exactly ${MAX_CLIENT_MESSAGE_BYTES} bytes, closes on one byte more with 1009`,
      async () => {
        const c = await openClient(`${t.wsUrl}victim`);
        await c.greeted();
        const reply = c.more(1);
        c.ws.send('a'.repeat(MAX_CLIENT_MESSAGE_BYTES));
        assert.equal(parseServerMessage(String((await reply)[0]))?.type, 'error');
        c.ws.send('a'.repeat(MAX_CLIENT_MESSAGE_BYTES + 1));
        assert.equal((await c.closed).code, 1009);
      },
    );

    hostile(
      `closes a socket with 1008 on message number ${MAX_CLIENT_MESSAGES + 1} within 10 s`,
      async () => {
        const c = await openClient(`${t.wsUrl}victim`);
        await c.greeted();
        const errors = (): number => c.texts.filter((x) => parseServerMessage(x)?.type === 'error').length;
        for (let i = 0; i < MAX_CLIENT_MESSAGES + 5; i++) c.ws.send(`{"n":${i}}`);
        const close = await c.closed;
        assert.equal(close.code, 1008);
        assert.equal(close.reason, `Too many messages: more than ${MAX_CLIENT_MESSAGES} in 10 s`);
        assert.equal(errors(), MAX_CLIENT_MESSAGES, 'each message under the limit was answered');
        assert.ok(t.logs.some((l) => l.msg === 'status socket closed: too many messages'));
      },
    );

    hostile('keeps a socket that sends a message every 600 ms (under the rate)', async () => {
      const c = await openClient(`${t.wsUrl}victim`);
      await c.greeted();
      // 10 messages over 6 s: under 20 in 10 s.
      for (let i = 0; i < 10; i++) {
        c.ws.send('ping');
        await new Promise((r) => setTimeout(r, 600));
      }
      assert.equal(c.ws.readyState, WebSocket.OPEN);
      assert.equal(c.texts.filter((x) => parseServerMessage(x)?.type === 'error').length, 10);
      c.ws.close();
      assert.equal((await c.closed).code, 1005);
    });
  });

  hostile('answers 600 status sockets from one address: 500 open, 100 refused with 429', async () => {
    // The sockets of the cases before are gone once the server counts none (their clients closed them).
    await waitUntil('no status socket left', 5_000, async () => (await openSockets(t.baseUrl)) === 0);
    const results = await Promise.allSettled(
      Array.from({ length: 600 }, () => openClient(`${t.wsUrl}victim`)),
    );
    const open = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    const refused = results.flatMap((r) => (r.status === 'rejected' ? [String(r.reason)] : []));
    try {
      assert.equal(open.length, 500);
      assert.equal(refused.length, 100);
      for (const r of refused) assert.match(r, /upgrade refused: 429/);
      assert.ok(t.logs.some((l) => l.msg === 'status socket refused' && l.code === 'STATUS_ADDRESS_LIMIT'));
    } finally {
      for (const c of open) c.ws.terminate();
    }
    // Once they are gone, the address may open sockets again.
    await waitUntil('the 500 gone', 5_000, async () => (await openSockets(t.baseUrl)) === 0);
    const again = await openClient(`${t.wsUrl}victim`);
    again.ws.close();
  });

  it('leaves the listeners that stayed through every case with an unbroken 440 Hz tone', async () => {
    await v.assertHeardTone();
  });
});
