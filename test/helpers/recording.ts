/** The server's recording of a broadcast, as the "nothing lost" tests check it: every Opus packet once, in order, no gap. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import type { RecordingList } from '../../src/shared/protocol.js';
import { paths } from '../../src/shared/protocol.js';
import { TEST_ADMIN_TOKEN, type TestServer } from '../../tools/server.js';

export interface PacketEntry {
  /** Presentation time, s. */
  pts: number;
  /** Duration, s. */
  dur: number;
  /** MD5 of the packet's bytes. */
  hash: string;
}

/** The packets of a file's audio track, from ffprobe: time, duration and a hash of the bytes. */
export function packetTimes(file: string): PacketEntry[] {
  const run = spawnSync(
    'ffprobe',
    [
      '-v',
      'error',
      '-select_streams',
      'a:0',
      '-show_data_hash',
      'MD5',
      '-show_entries',
      'packet=pts_time,duration_time,data_hash',
      // JSON: a packet with side data (Opus trimming on the last one) breaks a CSV line in two.
      '-of',
      'json',
      file,
    ],
    { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
  );
  assert.equal(run.status, 0, run.stderr);
  const { packets = [] } = JSON.parse(run.stdout) as {
    packets?: { pts_time?: string; duration_time?: string; data_hash?: string }[];
  };
  return packets.map((p) => ({
    pts: Number(p.pts_time),
    dur: Number(p.duration_time),
    hash: p.data_hash ?? '',
  }));
}

/** The path of the server's only recording, which must be finished. */
async function onlyRecording(server: TestServer): Promise<string> {
  const res = await fetch(`${server.baseUrl}${paths.adminRecordings}`, {
    headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` },
  });
  const { recordings } = (await res.json()) as RecordingList;
  assert.equal(recordings.length, 1, JSON.stringify(recordings));
  const [rec] = recordings;
  assert.ok(rec && !rec.live);
  return join(server.dataDir, 'recordings', rec.mount, rec.name);
}

/** Seconds of audio `packets` span, from the first's start to the last's end. */
export function secondsOf(packets: PacketEntry[]): number {
  const last = packets[packets.length - 1];
  return last ? last.pts + last.dur - (packets[0]?.pts ?? 0) : 0;
}

/**
 * Asserts `recorded` holds exactly the packets the broadcaster's MediaRecorder produced (`sent`): the
 * same bytes, each once, in order, none missing or added. This separates what the upload and the
 * server did from what the browser recorded: a Chromium under load may itself leave a gap in its
 * capture timestamps, which a gap check on the recording alone would blame on the upload.
 * Returns the largest step between the sent packets' times (the recorder's own gaps), s.
 */
function assertSamePackets(sent: PacketEntry[], recorded: PacketEntry[]): number {
  assert.ok(sent.length > 100, `the page recorded ${sent.length} packets`);
  const n = Math.min(sent.length, recorded.length);
  for (let i = 0; i < n; i++) {
    if (sent[i]?.hash !== recorded[i]?.hash) {
      const later = recorded.findIndex((p) => p.hash === sent[i]?.hash);
      assert.fail(
        `packet ${i} of ${sent.length} (at ${sent[i]?.pts} s) differs in the recording` +
          (later > i ? `: it comes ${later - i} packets later, so audio was added` : ': audio was lost'),
      );
    }
  }
  assert.equal(
    recorded.length,
    sent.length,
    `the page recorded ${sent.length} packets; the server ${recorded.length}`,
  );
  let widest = 0;
  for (let i = 1; i < sent.length; i++)
    widest = Math.max(widest, (sent[i]?.pts ?? 0) - (sent[i - 1]?.pts ?? 0));
  return widest;
}

/** The little of the broadcaster page these helpers touch (this module is compiled without the DOM library). */
interface PageBlob {
  arrayBuffer(): Promise<ArrayBuffer>;
}
interface RecorderGlobals {
  MediaRecorder: new (
    ...args: never[]
  ) => {
    addEventListener(type: 'dataavailable', listener: (ev: { data: PageBlob }) => void): void;
  };
  Blob: new (parts: PageBlob[]) => PageBlob;
  btoa(s: string): string;
  __onairRecorded?: PageBlob[][];
}

/** In the page, before its own scripts (`addInitScript`): keeps every chunk each MediaRecorder hands out. */
export function keepRecorderOutput(): void {
  const g = globalThis as unknown as RecorderGlobals;
  const Base = g.MediaRecorder;
  const kept: PageBlob[][] = [];
  g.__onairRecorded = kept;
  g.MediaRecorder = class extends Base {
    constructor(...args: never[]) {
      super(...args);
      const mine: PageBlob[] = [];
      kept.push(mine);
      this.addEventListener('dataavailable', (ev) => mine.push(ev.data));
    }
  };
}

/** In the page: each MediaRecorder's whole output so far, base64. */
async function recorderOutputInPage(): Promise<string[]> {
  const g = globalThis as unknown as RecorderGlobals;
  const out: string[] = [];
  for (const chunks of g.__onairRecorded ?? []) {
    const bytes = new Uint8Array(await new g.Blob(chunks).arrayBuffer());
    let s = '';
    for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
    out.push(g.btoa(s));
  }
  return out;
}

/** The packets the page's one MediaRecorder produced (it must have run {@link keepRecorderOutput}); its WebM goes to `file`. */
async function pageRecorderPackets(page: Page, file: string): Promise<PacketEntry[]> {
  const outputs = (await page.evaluate(recorderOutputInPage)).filter((b) => b.length > 0);
  assert.equal(outputs.length, 1, `${outputs.length} MediaRecorders produced audio`);
  writeFileSync(file, Buffer.from(outputs[0] ?? '', 'base64'));
  return packetTimes(file);
}

/**
 * Asserts the server's only recording (finished) holds exactly the packets `host`'s MediaRecorder
 * made (see {@link assertSamePackets}). Returns how many, the seconds they span and the recorder's
 * own widest step between packets (s).
 */
export async function assertRecordedAsSent(
  server: TestServer,
  host: Page,
): Promise<{ packets: number; seconds: number; widestStepS: number }> {
  const recorded = packetTimes(await onlyRecording(server));
  const widestStepS = assertSamePackets(
    await pageRecorderPackets(host, join(server.dataDir, 'sent.webm')),
    recorded,
  );
  return { packets: recorded.length, seconds: secondsOf(recorded), widestStepS };
}
