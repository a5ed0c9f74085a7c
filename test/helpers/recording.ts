/** The server's recording of a broadcast, as the "nothing lost" tests check it: every Opus packet once, in order, no gap. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import type { RecordingList } from '../../src/shared/protocol.js';
import { paths } from '../../src/shared/protocol.js';
import { TEST_ADMIN_TOKEN, type TestServer } from '../../tools/server.js';

/** Packet times (s) of the recording's audio track, from ffprobe. */
export function packetTimes(file: string): { pts: number; dur: number }[] {
  const run = spawnSync(
    'ffprobe',
    [
      '-v',
      'error',
      '-select_streams',
      'a:0',
      '-show_entries',
      'packet=pts_time,duration_time',
      '-of',
      'csv=p=0',
      file,
    ],
    { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
  );
  assert.equal(run.status, 0, run.stderr);
  return run.stdout
    .trim()
    .split('\n')
    .map((line) => {
      const [pts, dur] = line.split(',').map(Number);
      return { pts: pts ?? Number.NaN, dur: dur ?? Number.NaN };
    });
}

/** The path of the server's only recording, which must be finished. */
export async function onlyRecording(server: TestServer): Promise<string> {
  const res = await fetch(`${server.baseUrl}${paths.adminRecordings}`, {
    headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` },
  });
  const { recordings } = (await res.json()) as RecordingList;
  assert.equal(recordings.length, 1, JSON.stringify(recordings));
  const [rec] = recordings;
  assert.ok(rec && !rec.live);
  return join(server.dataDir, 'recordings', rec.mount, rec.name);
}

/**
 * Asserts the recording holds every packet once, in order, without a gap; returns the seconds of
 * audio it holds.
 */
export function assertEveryPacketOnce(packets: { pts: number; dur: number }[]): number {
  assert.ok(packets.length > 100, `${packets.length} packets`);
  const frame = packets[1]?.pts !== undefined ? packets[1].pts - (packets[0]?.pts ?? 0) : 0;
  assert.ok(frame > 0.005 && frame <= 0.12, `first packet step ${frame} s`);
  for (let i = 1; i < packets.length; i++) {
    const step = (packets[i]?.pts ?? 0) - (packets[i - 1]?.pts ?? 0);
    assert.ok(step > 0, `packet ${i} at ${packets[i]?.pts} s is not after packet ${i - 1}: a duplicate`);
    assert.ok(step < frame * 3, `a ${step.toFixed(3)} s gap before packet ${i}: audio lost`);
  }
  const last = packets[packets.length - 1] as { pts: number; dur: number };
  return last.pts + last.dur - (packets[0]?.pts ?? 0);
}
