/**
 * Real Icecast source clients from Debian, each at its default settings (only where to connect and the
 * password are set), against a real server on 127.0.0.1: one ingest session for the whole run and a
 * listener that decodes the 440 Hz tone. Installed by `scripts/install-deps.sh --test`.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { decodeWithFfmpeg, dominantHz } from '../../tools/ffmpeg.js';
import type { TestServer } from '../../tools/server.js';
import { startTestServer } from '../../tools/server.js';
import type { Client } from '../helpers/child.js';
import { runClient } from '../helpers/child.js';
import type { StatusWatcher } from '../helpers/clients.js';
import { watchStatus } from '../helpers/clients.js';

/** Every state the status socket reported for the mount, in order (consecutive repeats collapsed). */
function states(status: StatusWatcher): string[] {
  const out: string[] = [];
  for (const m of status.messages) if (m.state && out[out.length - 1] !== m.state) out.push(m.state);
  return out;
}

/**
 * While `client` streams to `mount`: waits for LIVE, decodes `seconds` of the `.ogg` and `.webm` outputs
 * and checks the tone; then checks the client ran in one session (LIVE once, no OFFLINE in between).
 */
async function provesOneSessionWithTone(
  t: TestServer,
  mount: string,
  status: StatusWatcher,
  client: Client,
): Promise<void> {
  await status
    .waitFor((m) => m.state === 'live', 15_000)
    .catch((err: Error) => {
      throw new Error(`${err.message}\nclient output: ${client.output()}`);
    });
  for (const ext of ['ogg', 'webm']) {
    const { samples, code, stderr } = await decodeWithFfmpeg(`${t.baseUrl}/${mount}.${ext}`, 2);
    assert.equal(code, 0, stderr);
    const { hz, rms } = dominantHz(samples);
    assert.ok(Math.abs(hz - 440) <= 6, `${ext}: dominant ${hz} Hz`);
    assert.ok(rms > 0.02, `${ext}: rms ${rms}`);
  }
  assert.deepEqual(
    states(status),
    ['offline', 'live'],
    'one session, never OFFLINE while the client streams',
  );
}

/** Writes `seconds` of a 440 Hz tone as Ogg/Opus to `file`, with `metadata` (title=…, artist=…). */
function toneFile(file: string, seconds: number, metadata: Record<string, string> = {}): void {
  const made = spawnSync('ffmpeg', [
    '-hide_banner',
    '-loglevel',
    'error',
    '-f',
    'lavfi',
    '-i',
    'sine=frequency=440:sample_rate=48000',
    '-t',
    String(seconds),
    '-c:a',
    'libopus',
    '-b:a',
    '64k',
    ...Object.entries(metadata).flatMap(([k, v]) => ['-metadata', `${k}=${v}`]),
    '-f',
    'ogg',
    file,
  ]);
  assert.equal(made.status, 0, made.stderr.toString());
}

describe('Icecast source clients from Debian at their default settings', () => {
  let t: TestServer;
  let dir: string;
  before(async () => {
    t = await startTestServer();
    dir = mkdtempSync(join(tmpdir(), 'onair-clients-'));
  });
  after(async () => {
    await t.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('GStreamer shout2send (libshout: TLS probe, then SOURCE) streams Ogg/Opus in one session', async () => {
    const status = await watchStatus(`${t.wsUrl}gst`);
    // 8 s of 440 Hz in real time (is-live); shout2send's defaults otherwise (TLS "auto", HTTP protocol).
    const client = runClient('gst-launch-1.0', [
      '-q',
      'audiotestsrc',
      'is-live=true',
      'freq=440',
      'volume=0.5',
      'num-buffers=400',
      'samplesperbuffer=960',
      '!',
      'audio/x-raw,rate=48000,channels=1',
      '!',
      'audioconvert',
      '!',
      'opusenc',
      '!',
      'oggmux',
      '!',
      'shout2send',
      'ip=127.0.0.1',
      `port=${t.server.httpPort}`,
      `password=${t.streamKey}`,
      'mount=/gst',
    ]);
    const timer = setTimeout(() => client.stop(), 30_000);
    try {
      await provesOneSessionWithTone(t, 'gst', status, client);
      assert.equal(await client.exited, 0, client.output());
      await status.waitFor((m) => m.state === 'offline' && states(status).length > 2, 10_000);
      assert.deepEqual(states(status), ['offline', 'live', 'offline']);
    } finally {
      clearTimeout(timer);
      client.stop();
      status.close();
    }
    // The probe was answered as a port without TLS, and was no wrong key.
    assert.ok(t.logs.some((l) => l.msg === 'TLS upgrade asked on the plain port: refused'));
    assert.ok(!t.logs.some((l) => l.msg === 'source rejected: bad credentials'));
  });

  it('ezstream (default TLS mode) streams an Ogg/Opus file in one session', async () => {
    const file = join(dir, 'tone.opus');
    toneFile(file, 8);
    // ezstream's defaults: no <tls> setting (libshout's "auto"), no encoder (the file is sent as it is).
    const config = join(dir, 'ezstream.xml');
    writeFileSync(
      config,
      `<?xml version="1.0" encoding="UTF-8"?>
<ezstream>
  <servers><server>
    <hostname>127.0.0.1</hostname>
    <port>${t.server.httpPort}</port>
    <password>${t.streamKey}</password>
  </server></servers>
  <streams><stream>
    <mountpoint>/ez</mountpoint>
    <format>Ogg</format>
  </stream></streams>
  <intakes><intake>
    <type>file</type>
    <filename>${file}</filename>
    <stream_once>Yes</stream_once>
  </intake></intakes>
</ezstream>
`,
    );
    // ezstream refuses a configuration file others may read (it holds the password).
    chmodSync(config, 0o600);
    const status = await watchStatus(`${t.wsUrl}ez`);
    const client = runClient('ezstream', ['-c', config]);
    const timer = setTimeout(() => client.stop(), 30_000);
    try {
      await provesOneSessionWithTone(t, 'ez', status, client);
      assert.equal(await client.exited, 0, client.output());
    } finally {
      clearTimeout(timer);
      client.stop();
      status.close();
    }
  });

  it('Liquidsoap (%opus, a playlist of tagged tracks) chains Ogg links in one session; the title follows the tracks', async () => {
    const tracks = [1, 2, 3, 4].map((n) => {
      const file = join(dir, `track${n}.opus`);
      toneFile(file, 3, { title: `Track ${n}`, artist: 'Tone' });
      return file;
    });
    const list = join(dir, 'list.m3u');
    writeFileSync(list, `${tracks.join('\n')}\n`);
    const script = join(dir, 'station.liq');
    // Liquidsoap's defaults for %opus and output.icecast; stop when the playlist has played once. It
    // refuses to start as root (CI runs as root) unless told it may.
    writeFileSync(
      script,
      `settings.log.stdout.set(true)
settings.init.allow_root.set(true)
s = playlist(mode="normal", reload_mode="never", loop=false, "${list}")
output.icecast(%opus, host="127.0.0.1", port=${t.server.httpPort}, password="${t.streamKey}", mount="liq", fallible=true, on_stop=shutdown, s)
`,
    );
    const status = await watchStatus(`${t.wsUrl}liq`);
    const client = runClient('liquidsoap', [script]);
    const timer = setTimeout(() => client.stop(), 60_000);
    try {
      await provesOneSessionWithTone(t, 'liq', status, client);
      // Every track's title reaches the status socket, in order, while the mount stays LIVE.
      await status
        .waitFor((m) => m.title === 'Tone - Track 4', 20_000)
        .catch((err: Error) => {
          throw new Error(`${err.message}\nliquidsoap: ${client.output().slice(-2000)}`);
        });
      const titles = status.messages.map((m) => m.title).filter((x, i, a) => x && x !== a[i - 1]);
      assert.deepEqual(titles, ['Tone - Track 1', 'Tone - Track 2', 'Tone - Track 3', 'Tone - Track 4']);
      assert.deepEqual(states(status), ['offline', 'live'], 'no OFFLINE at any track change');
      await client.exited;
      await status.waitFor((m) => m.state === 'offline' && states(status).length > 2, 10_000);
    } finally {
      clearTimeout(timer);
      client.stop();
      status.close();
    }
    // One broadcast, one recording file.
    const files = readdirSync(join(t.dataDir, 'recordings', 'liq'));
    assert.equal(files.filter((f) => f.endsWith('.webm')).length, 1, files.join(' '));
    assert.ok(!t.logs.some((l) => l.code === 'OGG_CORRUPT'), 'no corrupt-stream error');
  });
});
