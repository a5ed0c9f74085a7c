/**
 * WebM splitter micro-benchmark: pushes a large Chromium-like stream in 1–2 KB pieces and prints MB/s and
 * ns per push. Run after the build: `node build/node/bench/splitter/run.js [--mb 64] [--runs 7]`.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { WebmSplitter } from '../../src/server/webm/splitter.js';
import { concatBytes, mulberry32, randomPieces } from '../../tools/bytes.js';
import { makeWebm } from '../../tools/webm.js';

const { values } = parseArgs({
  options: {
    mb: { type: 'string', default: '64' },
    runs: { type: 'string', default: '7' },
  },
});
const targetBytes = Number(values.mb) * 1024 * 1024;
const runs = Number(values.runs);

/** Init segment followed by the media part of `sample` repeated until `targetBytes`. */
function repeatMedia(sample: Uint8Array, initLength: number): Uint8Array {
  const media = sample.subarray(initLength);
  const copies = Math.max(1, Math.ceil((targetBytes - initLength) / media.length));
  return concatBytes([sample.subarray(0, initLength), ...Array.from({ length: copies }, () => media)]);
}

function initLengthOf(sample: Uint8Array): number {
  const init = new WebmSplitter().push(sample)[0];
  if (init?.kind !== 'init') throw new Error('sample has no Cluster');
  return init.bytes.length;
}

const streams: Array<[string, Uint8Array]> = [];
// Chromium at its default 128 kbps: two 60 ms SimpleBlocks of ≈ 960 bytes per 120 ms Cluster.
const synthetic = makeWebm({ clusters: 200, blocksPerCluster: 2, blockBytes: 960 });
streams.push([
  'synthetic, 2 × 960-byte blocks per Cluster',
  repeatMedia(synthetic.bytes, synthetic.initLength),
]);
const fixture = join(process.cwd(), 'test/fixtures/chromium-opus.webm');
if (existsSync(fixture)) {
  const sample = new Uint8Array(readFileSync(fixture));
  streams.push(['test/fixtures/chromium-opus.webm, repeated', repeatMedia(sample, initLengthOf(sample))]);
}

console.log(`node ${process.version}, ${runs} runs per stream, pieces of 1000–2000 bytes`);
for (const [name, stream] of streams) {
  const pieces = randomPieces(stream, mulberry32(1), 1000, 2000);
  const results: number[] = [];
  let chunks = 0;
  for (let run = 0; run <= runs; run++) {
    const splitter = new WebmSplitter();
    chunks = 0;
    const start = process.hrtime.bigint();
    for (const piece of pieces) chunks += splitter.push(piece).length;
    const ns = Number(process.hrtime.bigint() - start);
    if (run > 0) results.push(ns); // run 0 warms up the JIT
  }
  results.sort((a, b) => a - b);
  const median = results[Math.floor(results.length / 2)] as number;
  const best = results[0] as number;
  const mbps = (ns: number): string => (stream.length / 1e6 / (ns / 1e9)).toFixed(0);
  const perPush = (ns: number): string => (ns / pieces.length).toFixed(0);
  console.log(
    `${name}: ${(stream.length / 1e6).toFixed(1)} MB, ${pieces.length} pushes, ${chunks} chunks\n` +
      `  median ${mbps(median)} MB/s, ${perPush(median)} ns/push; best ${mbps(best)} MB/s, ${perPush(best)} ns/push`,
  );
}
