// Regenerates test/fixtures/chromium-opus.webm (real Chromium MediaRecorder output, 440 Hz fake mic)
// and test/fixtures/chromium-opus.chunks.json (the byte length of every recorder chunk, in order, so
// tests can replay the exact chunk boundaries).
//
//   node scripts/build.mjs && node build/node/scripts/record-fixture.js [--seconds=6] [--timeslice=100] [--raw]
//
// getUserMedia({audio: true}) keeps Chromium's default processing (echo cancellation, noise suppression,
// auto gain): the track is mono and the AGC brings the 0.5-amplitude tone down to about -21 dBFS RMS.
// --raw turns the processing off: stereo track, tone at full level.
//
// A loopback page is a secure context, so getUserMedia works over plain http://127.0.0.1.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { launchChromium } from '../tools/chromium.js';

const MIME = 'audio/webm;codecs=opus';
const AUDIO_BITS_PER_SECOND = 64000;

function numberArg(name: string, fallback: number): number {
  const arg = process.argv.find((a) => a.startsWith(`--${name}=`));
  const value = arg === undefined ? fallback : Number(arg.slice(name.length + 3));
  if (!Number.isFinite(value) || value <= 0) throw new Error(`--${name} must be a positive number`);
  return value;
}

// Runs from build/node/scripts (or scripts/): the repo root is the nearest directory with a package.json.
function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error('record-fixture: no package.json above the script');
    dir = parent;
  }
  return dir;
}

const PAGE = '<!doctype html><meta charset="utf-8"><title>record-fixture</title><p>recording</p>';

interface Recording {
  mimeType: string;
  chunks: number[][];
}

async function main(): Promise<void> {
  const recordMs = numberArg('seconds', 6) * 1000;
  const timesliceMs = numberArg('timeslice', 100);
  const raw = process.argv.includes('--raw');
  const audio = raw ? { echoCancellation: false, noiseSuppression: false, autoGainControl: false } : true;
  const root = repoRoot();
  const outWebm = join(root, 'test', 'fixtures', 'chromium-opus.webm');
  const outChunks = join(root, 'test', 'fixtures', 'chromium-opus.chunks.json');

  const server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(PAGE);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  const browser = await launchChromium();
  try {
    const page = await browser.newPage();
    await page.goto(`http://127.0.0.1:${port}/`);
    const recording: Recording = await page.evaluate(
      async ({ mime, bitsPerSecond, recordMs, timesliceMs, audio }) => {
        // Runs in the page. The root tsconfig has no DOM lib, hence the loose typing.
        // biome-ignore lint/suspicious/noExplicitAny: browser globals without DOM types
        const g = globalThis as any;
        if (!g.MediaRecorder.isTypeSupported(mime)) throw new Error(`${mime} not supported`);
        const stream = await g.navigator.mediaDevices.getUserMedia({ audio });
        const recorder = new g.MediaRecorder(stream, { mimeType: mime, audioBitsPerSecond: bitsPerSecond });
        const blobs: { arrayBuffer(): Promise<ArrayBuffer>; size: number }[] = [];
        const stopped = new Promise<void>((resolve, reject) => {
          recorder.ondataavailable = (e: { data: { arrayBuffer(): Promise<ArrayBuffer>; size: number } }) => {
            if (e.data.size > 0) blobs.push(e.data);
          };
          recorder.onstop = () => resolve();
          recorder.onerror = (e: { error?: unknown }) => reject(e.error ?? new Error('MediaRecorder error'));
        });
        recorder.start(timesliceMs);
        await new Promise((resolve) => setTimeout(resolve, recordMs));
        recorder.stop();
        await stopped;
        for (const track of stream.getTracks()) track.stop();
        const chunks: number[][] = [];
        for (const b of blobs) chunks.push(Array.from(new Uint8Array(await b.arrayBuffer())));
        return { mimeType: String(recorder.mimeType), chunks };
      },
      { mime: MIME, bitsPerSecond: AUDIO_BITS_PER_SECOND, recordMs, timesliceMs, audio },
    );

    const parts = recording.chunks.map((c) => Uint8Array.from(c));
    const bytes = Buffer.concat(parts);
    mkdirSync(dirname(outWebm), { recursive: true });
    writeFileSync(outWebm, bytes);
    writeFileSync(outChunks, `${JSON.stringify(parts.map((p) => p.byteLength))}\n`);
    console.log(
      `recorded ${recording.mimeType}: ${parts.length} chunks, ${bytes.byteLength} bytes → ${outWebm}`,
    );
  } finally {
    await browser.close();
    server.close();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
