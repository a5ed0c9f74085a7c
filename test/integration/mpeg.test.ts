/**
 * MP3 and AAC (ADTS) sources, passed through: real source clients from Debian at their default
 * settings (ffmpeg over icecast:// and over http PUT, GStreamer shout2send with lamemp3enc), a real
 * server on 127.0.0.1, listeners that decode the 440 Hz tone, ICY titles read by a radio client
 * (ffmpeg with `-icy 1`) and by a raw reader that checks every block sits exactly `icy-metaint` bytes
 * after the last. The three sources run at once, on their own mounts, to keep the wall time short.
 */
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { FrameSplitter } from '../../src/server/mpeg/frames.js';
import { ICY_METAINT } from '../../src/server/outputs/icy.js';
import { concatBytes } from '../../tools/bytes.js';
import {
  decodeFileWithFfmpeg,
  decodeWithFfmpeg,
  dominantHz,
  startFfmpegSource,
  strongestFrequency,
} from '../../tools/ffmpeg.js';
import type { TestServer } from '../../tools/server.js';
import { startTestServer } from '../../tools/server.js';
import { runClient } from '../helpers/child.js';
import type { StatusWatcher } from '../helpers/clients.js';
import { watchStatus } from '../helpers/clients.js';
import { assertErrorResponse } from '../helpers/errors.js';

/** Every state the status socket reported, consecutive repeats collapsed. */
function states(status: StatusWatcher): string[] {
  const out: string[] = [];
  for (const m of status.messages) if (out[out.length - 1] !== m.state) out.push(m.state);
  return out;
}

/** The mount's entry in `/status-json.xsl`. */
async function icecastSource(t: TestServer, mount: string): Promise<Record<string, unknown>> {
  const res = await fetch(`${t.baseUrl}/status-json.xsl`, { signal: AbortSignal.timeout(5_000) });
  const { icestats } = (await res.json()) as { icestats: { source?: unknown } };
  const all = ([] as Array<Record<string, unknown>>).concat(
    (icestats.source ?? []) as Record<string, unknown>,
  );
  const found = all.find((s) => s.listenurl === `${t.baseUrl}/${mount}`);
  assert.ok(found, `${mount} in status-json: ${JSON.stringify(icestats)}`);
  return found;
}

async function setTitle(t: TestServer, mount: string, song: string): Promise<void> {
  const res = await fetch(
    `${t.baseUrl}/admin/metadata?mount=/${mount}&mode=updinfo&song=${encodeURIComponent(song)}`,
    {
      headers: { authorization: `Basic ${Buffer.from(`source:${t.streamKey}`).toString('base64')}` },
      signal: AbortSignal.timeout(5_000),
    },
  );
  assert.equal(res.status, 200, await res.text());
}

/** Decodes `seconds` of `url` and checks the tone. */
async function hearsTone(url: string, seconds = 2): Promise<void> {
  const { samples, code, stderr } = await decodeWithFfmpeg(url, seconds);
  assert.equal(code, 0, stderr);
  const { hz, rms } = dominantHz(samples);
  assert.ok(Math.abs(hz - 440) <= 6, `${url}: dominant ${hz} Hz`);
  assert.ok(rms > 0.02, `${url}: rms ${rms}`);
}

/**
 * A raw ICY listener: `GET path` with `Icy-MetaData: 1`; reads until `intervals` metadata blocks have
 * come, calling `onBlock` after each. Returns the response head and the body as it came.
 */
function readIcy(
  t: TestServer,
  path: string,
  intervals: number,
  onBlock: (n: number) => void,
  timeoutMs = 15_000,
): Promise<{ head: string; body: Uint8Array }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(t.server.httpPort, '127.0.0.1');
    socket.write(`GET ${path} HTTP/1.0\r\nHost: x\r\nIcy-MetaData: 1\r\n\r\n`);
    let buf = Buffer.alloc(0);
    let head: string | null = null;
    let blocks = 0;
    /** Where the next block's length byte is, in the body. */
    let next = ICY_METAINT;
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`ICY read of ${path}: ${blocks} blocks in ${timeoutMs} ms`));
    }, timeoutMs);
    socket.on('error', reject);
    socket.on('data', (b: Buffer) => {
      buf = Buffer.concat([buf, b]);
      if (head === null) {
        const end = buf.indexOf('\r\n\r\n');
        if (end < 0) return;
        head = buf.subarray(0, end).toString('latin1');
        buf = buf.subarray(end + 4);
      }
      while (buf.length > next) {
        const len = (buf[next] as number) * 16;
        if (buf.length < next + 1 + len) break;
        blocks++;
        next += 1 + len + ICY_METAINT;
        onBlock(blocks);
        if (blocks === intervals) {
          clearTimeout(timer);
          socket.destroy();
          resolve({ head, body: buf });
          return;
        }
      }
    });
  });
}

/** The audio and the block texts of an ICY body cut at its last block's end. */
function parseIcy(body: Uint8Array): { audio: Uint8Array; texts: string[] } {
  const audio: Uint8Array[] = [];
  const texts: string[] = [];
  let at = 0;
  while (at + ICY_METAINT < body.length) {
    audio.push(body.subarray(at, at + ICY_METAINT));
    at += ICY_METAINT;
    const len = (body[at] as number) * 16;
    texts.push(
      Buffer.from(body.subarray(at + 1, at + 1 + len))
        .toString('utf8')
        .replace(/\0+$/, ''),
    );
    at += 1 + len;
  }
  return { audio: concatBytes(audio), texts };
}

/** The one recording of `mount`: its name, decoded, has the tone. */
function recordingHasTone(t: TestServer, mount: string, ext: string): void {
  const dir = join(t.dataDir, 'recordings', mount);
  // Beside it, its sidecar of titles (`<start>.json`).
  const files = readdirSync(dir).filter((f) => !f.endsWith('.json'));
  assert.equal(files.length, 1, `one recording: ${files}`);
  assert.ok(files[0]?.endsWith(`.${ext}`), `${files[0]} is .${ext}`);
  const { samples } = decodeFileWithFfmpeg(join(dir, files[0] as string), { check: true });
  assert.ok(samples.length > 48_000, 'more than a second recorded');
  const hz = strongestFrequency(samples.subarray(4800, 52_800), { fromHz: 200, toHz: 2000, stepHz: 2 });
  assert.ok(Math.abs(hz - 440) <= 6, `recording: ${hz} Hz`);
}

describe('MP3 and AAC sources, passed through', { concurrency: true }, () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer();
  });
  after(async () => {
    await t.close();
  });

  it('ffmpeg MP3 over icecast://: one session, the tone, ICY titles exactly every icy-metaint bytes, 415 for Opus outputs, status-json and a .mp3 recording', async () => {
    const status = await watchStatus(`${t.wsUrl}mp3`);
    const source = startFfmpegSource({
      url: `icecast://source:${t.streamKey}@127.0.0.1:${t.server.httpPort}/mp3`,
      format: 'mp3',
      seconds: 8,
    });
    try {
      await status.waitFor((m) => m.state === 'live', 10_000);
      await setTitle(t, 'mp3', 'First');
      // The Opus outputs and the other frame format: a clear 415, never an empty stream.
      for (const ext of ['webm', 'ogg', 'pkt', 'm3u8', 'aac']) {
        const res = await fetch(`${t.baseUrl}/mp3.${ext}`, { signal: AbortSignal.timeout(5_000) });
        await assertErrorResponse(res, 'LISTEN_FORMAT_UNAVAILABLE');
      }
      // A plain listener: the source's own type, no ICY, from a frame start.
      const plain = await fetch(`${t.baseUrl}/mp3`, { signal: AbortSignal.timeout(5_000) });
      assert.equal(plain.headers.get('content-type'), 'audio/mpeg');
      assert.equal(plain.headers.get('icy-metaint'), null);
      const reader = plain.body?.getReader();
      const first = (await reader?.read())?.value;
      assert.ok(first && first[0] === 0xff && ((first[1] as number) & 0xe0) === 0xe0, 'starts on a frame');
      await reader?.cancel();

      const [icy, radio] = await Promise.all([
        // Three blocks; the title changes after the first.
        readIcy(t, '/mp3.mp3', 3, (n) => {
          if (n === 1) void setTitle(t, 'mp3', 'Second – ünïcode');
        }),
        // A radio client reading ICY: ffmpeg's http input with -icy 1 reports each title.
        decodeWithFfmpeg(`${t.baseUrl}/mp3`, 3, 15_000, ['-loglevel', 'verbose', '-icy', '1']),
      ]);
      assert.match(icy.head, /^HTTP\/1\.1 200/);
      assert.match(icy.head, /\r\nicy-metaint: 16000\r\n/i);
      assert.match(icy.head, /\r\nicy-br: 64\r\n/i);
      const { audio, texts } = parseIcy(icy.body);
      assert.equal(texts[0], "StreamTitle='First';");
      assert.ok(texts.includes("StreamTitle='Second – ünïcode';"), JSON.stringify(texts));
      // With the blocks taken out exactly where icy-metaint says, what is left is whole MP3 frames.
      const splitter = new FrameSplitter('mp3');
      const frames = splitter.push(audio);
      assert.ok(frames.length > 50, `${frames.length} frames`);
      assert.equal(splitter.skippedBytes, 0, 'no byte between frames: every block was cut out exactly');

      assert.equal(radio.code, 0, radio.stderr);
      assert.match(radio.stderr, /Metadata update for StreamTitle: (First|Second)/);
      const { hz } = dominantHz(radio.samples);
      assert.ok(Math.abs(hz - 440) <= 6, `radio client: ${hz} Hz`);

      const s = await icecastSource(t, 'mp3');
      assert.equal(s.server_type, 'audio/mpeg');
      assert.equal(s.channels, 1);
      assert.equal(s.samplerate, 48000);
      assert.equal(s.bitrate, 64);
      assert.equal(s.audio_info, 'channels=1;samplerate=48000;bitrate=64');

      // The ICY reader and the radio client were counted as listeners, as on any mount.
      assert.ok(
        status.messages.some((m) => m.listeners >= 2),
        JSON.stringify(status.messages.map((m) => m.listeners)),
      );
      assert.equal(await source.exited, 0, source.stderr());
      await status.waitFor((m) => m.state === 'offline' && states(status).length > 2, 10_000);
      assert.deepEqual(states(status), ['offline', 'live', 'offline'], 'one session for the run');
      assert.ok(
        status.messages.some((m) => m.format === 'mp3'),
        'the status says the format',
      );
    } finally {
      source.stop();
      status.close();
    }
    recordingHasTone(t, 'mp3', 'mp3');
  });

  it('ffmpeg AAC (ADTS) over http PUT: one session, the tone at /<mount>.aac, 415 for .mp3, a .aac recording', async () => {
    const status = await watchStatus(`${t.wsUrl}aac`);
    const source = startFfmpegSource({
      url: `http://source:${t.streamKey}@127.0.0.1:${t.server.httpPort}/aac`,
      format: 'aac',
      seconds: 6,
    });
    try {
      await status.waitFor((m) => m.state === 'live', 10_000);
      const res = await fetch(`${t.baseUrl}/aac.mp3`, { signal: AbortSignal.timeout(5_000) });
      await assertErrorResponse(res, 'LISTEN_FORMAT_UNAVAILABLE');
      const head = await fetch(`${t.baseUrl}/aac`, { method: 'HEAD', signal: AbortSignal.timeout(5_000) });
      assert.equal(head.headers.get('content-type'), 'audio/aac');
      await hearsTone(`${t.baseUrl}/aac.aac`);
      const s = await icecastSource(t, 'aac');
      assert.equal(s.server_type, 'audio/aac');
      assert.equal(s.channels, 1);
      assert.equal(s.samplerate, 48000);
      assert.ok(typeof s.bitrate === 'number' && s.bitrate > 16, `bitrate ${s.bitrate}`);
      assert.equal(await source.exited, 0, source.stderr());
      await status.waitFor((m) => m.state === 'offline' && states(status).length > 2, 10_000);
      assert.deepEqual(states(status), ['offline', 'live', 'offline'], 'one session for the run');
    } finally {
      source.stop();
      status.close();
    }
    recordingHasTone(t, 'aac', 'aac');
  });

  it('GStreamer shout2send with lamemp3enc (libshout defaults) streams MP3 in one session', async () => {
    const status = await watchStatus(`${t.wsUrl}gmp3`);
    // 7 s of 440 Hz in real time; lamemp3enc's and shout2send's defaults otherwise.
    const client = runClient('gst-launch-1.0', [
      '-q',
      'audiotestsrc',
      'is-live=true',
      'freq=440',
      'volume=0.5',
      'num-buffers=300',
      'samplesperbuffer=1024',
      '!',
      'audio/x-raw,rate=44100,channels=1',
      '!',
      'audioconvert',
      '!',
      'lamemp3enc',
      '!',
      'shout2send',
      'ip=127.0.0.1',
      `port=${t.server.httpPort}`,
      `password=${t.streamKey}`,
      'mount=/gmp3',
    ]);
    const timer = setTimeout(() => client.stop(), 30_000);
    try {
      await status
        .waitFor((m) => m.state === 'live', 10_000)
        .catch((err: Error) => {
          throw new Error(`${err.message}\nshout2send: ${client.output()}`);
        });
      await hearsTone(`${t.baseUrl}/gmp3.mp3`);
      assert.equal((await icecastSource(t, 'gmp3')).server_type, 'audio/mpeg');
      assert.equal(await client.exited, 0, client.output());
      await status.waitFor((m) => m.state === 'offline' && states(status).length > 2, 10_000);
      assert.deepEqual(states(status), ['offline', 'live', 'offline'], 'one session for the run');
    } finally {
      clearTimeout(timer);
      client.stop();
      status.close();
    }
  });
});
