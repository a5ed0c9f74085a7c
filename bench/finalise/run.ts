/**
 * Recording finalisation: writes a synthetic crash-safe recording of `--hours` (64 kbit/s Opus, one
 * 60 ms block of three 20 ms frames per SimpleBlock and a Cluster every 120 ms, as Chromium's
 * MediaRecorder writes at timeslice 100), finalises it, and prints the time it took, the bytes, the
 * cues, and how far the process's RSS rose while finalising (sampled every 10 ms).
 * Run after the build: `node build/node/bench/finalise/run.js [--hours 3]`.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { makeOpusHead, parseOpusHead } from '../../src/server/opus/opus-packet.js';
import { finaliseRecording } from '../../src/server/recording/finalise.js';
import { WebmOpusMuxer } from '../../src/server/webm/opus-muxer.js';
import { mulberry32, randomBytes } from '../../tools/bytes.js';

const { values } = parseArgs({ options: { hours: { type: 'string', default: '3' } } });
const hours = Number(values.hours);

const dir = await mkdtemp(join(tmpdir(), 'onair-bench-finalise-'));
try {
  const src = join(dir, 'recording.webm');
  const fd = openSync(src, 'w');
  const muxer = new WebmOpusMuxer({ clusterMs: 120 });
  writeSync(
    fd,
    muxer.init(parseOpusHead(makeOpusHead({ channels: 1, preSkip: 312, inputSampleRate: 48_000 }))),
  );
  // 64 kbit/s: 480 bytes per 60 ms packet (code 3, three CELT 20 ms frames).
  const payload = randomBytes(480, mulberry32(1));
  payload[0] = 0xfb;
  payload[1] = 3;
  const blocks = Math.round((hours * 3600_000) / 60);
  let bytes = 0;
  for (let i = 0; i < blocks; i += 100) {
    const pkts = [];
    for (let j = i; j < Math.min(blocks, i + 100); j++)
      pkts.push({ data: payload, pts: j * 2880, samples: 2880 });
    for (const c of muxer.packets(pkts)) {
      writeSync(fd, c.bytes);
      bytes += c.bytes.length;
    }
  }
  closeSync(fd);
  global.gc?.();
  const rssBefore = process.memoryUsage().rss;
  let rssPeak = rssBefore;
  const sampler = setInterval(() => {
    rssPeak = Math.max(rssPeak, process.memoryUsage().rss);
  }, 10);
  const started = performance.now();
  const result = await finaliseRecording(src, join(dir, 'final.webm'));
  const ms = performance.now() - started;
  clearInterval(sampler);
  rssPeak = Math.max(rssPeak, process.memoryUsage().rss);
  console.log(
    JSON.stringify({
      hours,
      sourceMB: +(bytes / 2 ** 20).toFixed(1),
      finalisedMB: +(result.bytes / 2 ** 20).toFixed(1),
      clusters: result.clusters,
      cues: result.cues,
      durationS: +(result.durationMs / 1000).toFixed(2),
      ms: Math.round(ms),
      MBperS: +(bytes / 2 ** 20 / (ms / 1000)).toFixed(1),
      rssRiseMB: +((rssPeak - rssBefore) / 2 ** 20).toFixed(1),
    }),
  );
} finally {
  await rm(dir, { recursive: true, force: true });
}
