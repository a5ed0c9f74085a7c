/**
 * Graceful shutdown of the real CLI: on SIGTERM (and SIGINT) listeners get the end of their stream,
 * status sockets a 1001 close, the recording is finished, and the process exits 0 within seconds.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { WebSocket } from 'ws';
import type { StatusMessage } from '../../src/shared/protocol.js';
import { startCliServer } from '../../tools/cli.js';
import { decodeFileWithFfmpeg, dominantHz, startFfmpegSource } from '../../tools/ffmpeg.js';
import { waitUntil, withTimeout } from '../../tools/wait.js';

const KEY = 'shutdown-key-0123456';

/** A listener that reports how its response ended: 'end' (clean) or 'aborted' (reset). */
interface EndingListener {
  ended: Promise<{ bytes: number; ended: 'end' | 'aborted' }>;
  /** Resolves once more than `n` body bytes have arrived; rejects after `timeoutMs`. */
  moreThan(n: number, timeoutMs: number): Promise<void>;
}

function listenUntilEnd(url: string): EndingListener {
  let bytes = 0;
  const ended = new Promise<{ bytes: number; ended: 'end' | 'aborted' }>((resolve) => {
    http
      .get(url, (res) => {
        assert.equal(res.statusCode, 200);
        res.on('data', (b: Buffer) => {
          bytes += b.length;
        });
        res.on('end', () => resolve({ bytes, ended: 'end' }));
        res.on('aborted', () => resolve({ bytes, ended: 'aborted' }));
        res.on('error', () => resolve({ bytes, ended: 'aborted' }));
      })
      .on('error', () => resolve({ bytes, ended: 'aborted' }));
  });
  return {
    ended,
    moreThan: (n, timeoutMs) => waitUntil(`more than ${n} bytes from ${url}`, timeoutMs, () => bytes > n),
  };
}

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  describe(`graceful shutdown on ${signal}`, () => {
    it('ends listeners and status sockets properly, finishes the recording, exits 0 within 5 s', async () => {
      const dataDir = await mkdtemp(join(tmpdir(), 'onair-shutdown-'));
      const cli = await startCliServer(dataDir, KEY);
      const src = startFfmpegSource({
        url: `icecast://source:${KEY}@127.0.0.1:${cli.port}/bye`,
        format: 'ogg',
        seconds: 30,
      });
      try {
        const dir = join(dataDir, 'recordings', 'bye');
        // The recording and its sidecar (titles).
        const webmFiles = (): string[] => readdirSync(dir).filter((f) => f.endsWith('.webm'));
        await waitUntil('recording', 10_000, () => existsSync(dir) && webmFiles().length === 1);
        const recordingFrom = src.encodedSeconds();
        const webm = listenUntilEnd(`http://127.0.0.1:${cli.port}/bye.webm`);
        const ogg = listenUntilEnd(`http://127.0.0.1:${cli.port}/bye.ogg`);
        const ws = new WebSocket(`ws://127.0.0.1:${cli.port}/ws?mount=bye`);
        const wsClosed = new Promise<{ code: number; reason: string }>((resolve) =>
          ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })),
        );
        // Mid-broadcast: both listeners well into their streams, the status socket told LIVE, and 2 s
        // recorded.
        const live = new Promise<void>((resolve) =>
          ws.on('message', (data) => {
            if ((JSON.parse(String(data)) as StatusMessage).state === 'live') resolve();
          }),
        );
        await Promise.all([
          webm.moreThan(10_000, 10_000),
          ogg.moreThan(10_000, 10_000),
          withTimeout(live, 5_000, 'LIVE on the status socket'),
          waitUntil('2 s recorded', 10_000, () => src.encodedSeconds() >= recordingFrom + 2),
        ]);
        const sentAt = Date.now();
        cli.child.kill(signal);
        const exit = await cli.exited;
        const tookMs = Date.now() - sentAt;
        assert.deepEqual(exit, { code: 0, signal: null });
        assert.ok(tookMs < 5_000, `exited after ${tookMs} ms`);
        const [w, o] = await Promise.all([webm.ended, ogg.ended]);
        assert.equal(w.ended, 'end', 'the WebM listener got a clean end of stream');
        assert.equal(o.ended, 'end', 'the Ogg listener got a clean end of stream');
        assert.ok(w.bytes > 10_000 && o.bytes > 10_000, `listeners got ${w.bytes} and ${o.bytes} bytes`);
        const closed = await wsClosed;
        assert.equal(closed.code, 1001);
        assert.match(closed.reason, /shutting down/);
        const [file] = webmFiles();
        assert.ok(file);
        // The process is gone, so its log is the only record of what the recorder did: it finished the
        // recording, and every byte it wrote is in the file.
        const finished = cli
          .out()
          .split('\n')
          .filter((l) => l.startsWith('{'))
          .map((l) => JSON.parse(l) as { msg?: string; bytes?: number })
          .find((l) => l.msg === 'recording finished');
        assert.equal(finished?.bytes, statSync(join(dir, file)).size, 'finished, with every byte on disk');
        const pcm = decodeFileWithFfmpeg(join(dir, file), { check: true });
        assert.equal(pcm.errors.trim(), '', 'the finished recording decodes without errors');
        const seconds = pcm.samples.length / 48_000;
        assert.ok(seconds > 1.5, `recorded ${seconds.toFixed(2)} s`);
        const { hz } = dominantHz(Float32Array.from(pcm.samples, (v) => v / 32768));
        assert.ok(Math.abs(hz - 440) < 10, `dominant ${hz} Hz`);
      } finally {
        src.stop();
        cli.kill();
        await rm(dataDir, { recursive: true, force: true });
      }
    });
  });
}
