import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isApiError } from '../../../src/server/errors.js';
import {
  CUE_INTERVAL_MS,
  finaliseRecording,
  probeRecording,
} from '../../../src/server/recording/finalise.js';
import type { ElementHeader } from '../../../src/server/webm/ebml.js';
import { NEED_MORE, UNKNOWN_SIZE } from '../../../src/server/webm/ebml.js';
import { EbmlReader } from '../../../src/server/webm/ebml-reader.js';
import {
  ID_CLUSTER,
  ID_CUE_CLUSTER_POSITION,
  ID_CUE_POINT,
  ID_CUE_TIME,
  ID_CUE_TRACK_POSITIONS,
  ID_CUES,
  ID_DURATION,
  ID_EBML,
  ID_INFO,
  ID_SEEK_HEAD,
  ID_SEGMENT,
  ID_TIMECODE,
  ID_TITLE,
  ID_TRACKS,
} from '../../../src/server/webm/ids.js';
import { concatBytes, mulberry32 } from '../../../tools/bytes.js';
import { FIXTURE_DIR, loadFixture } from '../../helpers/clients.js';
import {
  clusterOf,
  decodeWebm,
  FFPROBE,
  opusInit,
  opusPacket,
  simpleBlockOf,
} from '../../helpers/opus-webm.js';
import { packetTimes, secondsOf } from '../../helpers/recording.js';

const CHROMIUM = loadFixture().bytes;

interface Element {
  id: number;
  offset: number;
  /** Data start and end in the file. */
  start: number;
  end: number;
}

/** The children of `bytes[start, end)`, read with our EBML reader; every size must be known and fit. */
function children(bytes: Uint8Array, start: number, end: number): Element[] {
  const reader = new EbmlReader();
  reader.begin(bytes.subarray(0, end), 0);
  reader.pos = start;
  const out: Element[] = [];
  for (;;) {
    const h = reader.next();
    if (h === NEED_MORE) {
      assert.equal(reader.cut, false, `an element header is cut at ${reader.offset}`);
      return out;
    }
    const header = h as ElementHeader;
    assert.notEqual(header.size, UNKNOWN_SIZE, `element at ${reader.offset} has an unknown size`);
    const size = header.size as number;
    assert.ok(reader.pos + size <= end, `element at ${reader.offset} overruns its parent`);
    out.push({ id: header.id, offset: reader.offset, start: reader.pos, end: reader.pos + size });
    reader.skip(size);
  }
}

function uint(bytes: Uint8Array, e: Element): number {
  let v = 0;
  for (let i = e.start; i < e.end; i++) v = v * 256 + (bytes[i] as number);
  return v;
}

function child(bytes: Uint8Array, parent: Element, id: number): Element | undefined {
  return children(bytes, parent.start, parent.end).find((c) => c.id === id);
}

interface Parsed {
  durationMs: number;
  title: string | null;
  clusterTimecodes: number[];
  /** Each cue's time and whether its position lands on a Cluster of that timecode. */
  cues: { time: number; onCluster: boolean }[];
  seekHeadFirst: boolean;
}

/** Parses a finalised file back, checking its structure as it goes. */
function parseFinalised(bytes: Uint8Array): Parsed {
  const top = children(bytes, 0, bytes.length);
  assert.deepEqual(
    top.map((e) => e.id),
    [ID_EBML, ID_SEGMENT],
  );
  const segment = top[1] as Element;
  assert.equal(segment.end, bytes.length, 'the Segment has its known size, to the end of the file');
  const parts = children(bytes, segment.start, segment.end);
  const ids = parts.map((e) => e.id);
  assert.deepEqual(ids.slice(0, 4), [ID_SEEK_HEAD, ID_INFO, ID_TRACKS, ID_CUES]);
  assert.ok(
    ids.slice(4).every((id) => id === ID_CLUSTER),
    'then only Clusters',
  );
  const info = parts[1] as Element;
  const durationEl = child(bytes, info, ID_DURATION);
  assert.ok(durationEl, 'Info has a Duration');
  const durationMs = new DataView(bytes.buffer, bytes.byteOffset + durationEl.start, 8).getFloat64(0);
  const titleEl = child(bytes, info, ID_TITLE);
  const title = titleEl ? new TextDecoder().decode(bytes.subarray(titleEl.start, titleEl.end)) : null;
  const clusters = parts.slice(4);
  const clusterTimecodes = clusters.map((c) => {
    const tc = children(bytes, c.start, c.end)[0];
    assert.equal(tc?.id, ID_TIMECODE, 'each Cluster opens with its Timecode');
    return uint(bytes, tc as Element);
  });
  const cues = children(bytes, (parts[3] as Element).start, (parts[3] as Element).end).map((cp) => {
    assert.equal(cp.id, ID_CUE_POINT);
    const time = uint(bytes, child(bytes, cp, ID_CUE_TIME) as Element);
    const positions = child(bytes, cp, ID_CUE_TRACK_POSITIONS) as Element;
    const at = segment.start + uint(bytes, child(bytes, positions, ID_CUE_CLUSTER_POSITION) as Element);
    const i = clusters.findIndex((c) => c.offset === at);
    return { time, onCluster: i >= 0 && clusterTimecodes[i] === time };
  });
  return { durationMs, title, clusterTimecodes, cues, seekHeadFirst: ids[0] === ID_SEEK_HEAD };
}

function ffprobeDuration(file: string): number {
  const run = spawnSync(
    FFPROBE,
    ['-v', 'error', '-show_entries', 'format=duration', '-of', 'csv=p=0', file],
    {
      encoding: 'utf8',
    },
  );
  assert.equal(run.status, 0, run.stderr);
  return Number(run.stdout.trim());
}

describe('finaliseRecording', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'onair-finalise-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  for (const [name, bytes] of [
    ['Chromium MediaRecorder', CHROMIUM],
    ['ffmpeg -f webm', readFileSync(join(FIXTURE_DIR, 'ffmpeg-opus.webm'))],
  ] as const) {
    it(`makes a seekable file of a ${name} recording: parses back, Duration within 0.1 s (ffprobe), cues on Clusters`, async () => {
      const src = join(dir, `${name}.webm`);
      const dst = join(dir, `${name}.final.webm`);
      writeFileSync(src, bytes);
      assert.equal(probeRecording(src).finalised, false, 'the crash-safe file is not finalised');
      const result = await finaliseRecording(src, dst, { title: 'Morning class — ünïcode' });
      assert.equal(result.stoppedAt, null);
      const out = readFileSync(dst);
      assert.equal(result.bytes, out.length);
      const parsed = parseFinalised(out);
      assert.equal(parsed.title, 'Morning class — ünïcode');
      assert.equal(parsed.clusterTimecodes[0], 0, 'timecodes start at 0');
      assert.equal(parsed.clusterTimecodes.length, result.clusters);
      assert.ok(
        parsed.cues.length >= 1 && parsed.cues.every((c) => c.onCluster),
        JSON.stringify(parsed.cues),
      );
      for (let i = 1; i < parsed.cues.length; i++) {
        const gap = (parsed.cues[i]?.time ?? 0) - (parsed.cues[i - 1]?.time ?? 0);
        assert.ok(gap >= CUE_INTERVAL_MS && gap < CUE_INTERVAL_MS + 1100, `cue gap ${gap} ms`);
      }
      const real = secondsOf(packetTimes(src));
      assert.ok(
        Math.abs(parsed.durationMs / 1000 - real) < 0.1,
        `Duration ${parsed.durationMs} ms, real ${real} s`,
      );
      assert.ok(
        Math.abs(ffprobeDuration(dst) - real) < 0.1,
        `ffprobe ${ffprobeDuration(dst)} s, real ${real} s`,
      );
      assert.deepEqual(probeRecording(dst), { finalised: true, durationMs: result.durationMs });
      assert.equal(
        decodeWebm(dst).length,
        decodeWebm(src).length,
        'the same audio, sample for sample in length',
      );
    });
  }

  it('finalises a finalised file again to the same duration (a crash between rename and sidecar)', async () => {
    const src = join(dir, 'twice.webm');
    writeFileSync(src, CHROMIUM);
    const first = await finaliseRecording(src, join(dir, 'twice.1.webm'));
    const second = await finaliseRecording(join(dir, 'twice.1.webm'), join(dir, 'twice.2.webm'));
    assert.equal(second.durationMs, first.durationMs);
    assert.equal(second.clusters, first.clusters);
  });

  it('rebases timecodes to 0 and measures the last block: 1.5 s of 20 ms packets starting at 5 s', async () => {
    const clusters = [];
    for (let c = 0; c < 15; c++) {
      const blocks = [];
      for (let b = 0; b < 5; b++) blocks.push(simpleBlockOf(1, b * 20, [opusPacket(1, 40, c * 5 + b)]));
      clusters.push(clusterOf(5000 + c * 100, blocks));
    }
    const src = join(dir, 'late.webm');
    writeFileSync(src, concatBytes([opusInit(), ...clusters]));
    const result = await finaliseRecording(src, join(dir, 'late.final.webm'));
    const parsed = parseFinalised(readFileSync(join(dir, 'late.final.webm')));
    assert.equal(parsed.clusterTimecodes[0], 0);
    assert.equal(parsed.clusterTimecodes[14], 1400);
    assert.equal(result.durationMs, 1500);
    assert.deepEqual(
      parsed.cues.map((c) => c.time),
      [0],
    );
  });

  it('finalises what a recording cut anywhere holds (a crash mid-broadcast), and refuses one cut in its head', async () => {
    const rand = mulberry32(16);
    writeFileSync(join(dir, 'cut-full.webm'), CHROMIUM);
    const full = await finaliseRecording(join(dir, 'cut-full.webm'), join(dir, 'cut-full.final.webm'));
    let finalised = 0;
    let refused = 0;
    const cuts = [10, 100, 146, 147, 160, 200, 1000];
    for (let i = 0; i < 40; i++) cuts.push(Math.floor(rand() * CHROMIUM.length));
    for (const cut of cuts) {
      const src = join(dir, `cut-${cut}.webm`);
      const dst = join(dir, `cut-${cut}.final.webm`);
      writeFileSync(src, CHROMIUM.subarray(0, cut));
      try {
        const r = await finaliseRecording(src, dst);
        const parsed = parseFinalised(readFileSync(dst));
        assert.ok(r.durationMs <= full.durationMs && r.durationMs > 0);
        assert.ok(parsed.cues.every((c) => c.onCluster));
        // What was cut off is at most the Cluster being written and one block.
        assert.ok(
          r.durationMs >= (cut / CHROMIUM.length) * full.durationMs - 400,
          `${r.durationMs} ms of ${cut} bytes`,
        );
        finalised++;
      } catch (err) {
        assert.ok(isApiError(err) && err.code === 'WEBM_CORRUPT', String(err));
        assert.ok(cut < 400, `a recording cut at ${cut} is refused: ${String(err)}`);
        refused++;
      }
    }
    assert.ok(finalised >= 35 && refused >= 3, `${finalised} finalised, ${refused} refused`);
    // One cut mid-file, checked by ffprobe too.
    const mid = join(dir, 'cut-mid.webm');
    writeFileSync(mid, CHROMIUM.subarray(0, Math.floor(CHROMIUM.length / 2) + 7));
    const r = await finaliseRecording(mid, join(dir, 'cut-mid.final.webm'));
    assert.notEqual(r.stoppedAt, null);
    assert.ok(Math.abs(ffprobeDuration(join(dir, 'cut-mid.final.webm')) - r.durationMs / 1000) < 0.1);
  });

  it('keeps what precedes garbage (hostile bytes mid-file) and never fails but with WEBM_CORRUPT', async () => {
    const rand = mulberry32(7);
    for (let i = 0; i < 30; i++) {
      const bytes = Uint8Array.from(CHROMIUM);
      const at = 300 + Math.floor(rand() * (bytes.length - 300));
      for (let j = 0; j < 1 + Math.floor(rand() * 16); j++) bytes[at + j] = Math.floor(rand() * 256);
      const src = join(dir, `fuzz-${i}.webm`);
      writeFileSync(src, bytes);
      try {
        const r = await finaliseRecording(src, join(dir, `fuzz-${i}.final.webm`));
        parseFinalised(readFileSync(join(dir, `fuzz-${i}.final.webm`)));
        assert.ok(r.durationMs > 0);
      } catch (err) {
        assert.ok(isApiError(err) && err.code === 'WEBM_CORRUPT', String(err));
      }
    }
  });

  it('refuses what is not a WebM recording, and an empty file', async () => {
    for (const [name, bytes] of [
      ['empty', new Uint8Array(0)],
      ['text', new TextEncoder().encode('not a recording at all')],
      ['init-only', CHROMIUM.subarray(0, 146)],
      // An EBML header that claims 1 GiB: refused before anything that large is read.
      ['huge-header', Uint8Array.of(0x1a, 0x45, 0xdf, 0xa3, 0x08, 0x40, 0, 0, 0, 0, 0, 0)],
    ] as const) {
      const src = join(dir, `${name}.webm`);
      writeFileSync(src, bytes);
      await assert.rejects(finaliseRecording(src, join(dir, `${name}.final.webm`)), (err: unknown) => {
        return isApiError(err) && err.code === 'WEBM_CORRUPT';
      });
    }
  });

  it('stops when aborted', async () => {
    const src = join(dir, 'abort.webm');
    writeFileSync(src, CHROMIUM);
    await assert.rejects(
      finaliseRecording(src, join(dir, 'abort.final.webm'), { signal: AbortSignal.abort() }),
      { name: 'AbortError' },
    );
  });
});
