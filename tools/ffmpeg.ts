/**
 * Real ffmpeg as an Icecast source client and as a decoder (of a URL as a listener, or of a file or bytes),
 * and tone analysis of what it decodes.
 */
import type { ChildProcess } from 'node:child_process';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface FfmpegSource {
  proc: ChildProcess;
  /**
   * Wall-clock time (Date.now(), ms) at which ffmpeg had encoded the source's media time `t` (s), from
   * its `-progress` reports (the least delayed one), or null before the first. With `-re`, media time
   * and wall time advance together, so this is when the tone at `t` left the "microphone", plus one
   * Opus frame.
   */
  wallAt(t: number): number | null;
  /** Seconds of media ffmpeg has encoded (and, with `-re`, sent) so far, from its `-progress` reports. */
  encodedSeconds(): number;
  /** Everything ffmpeg printed on stderr so far. */
  stderr(): string;
  /** Resolves with the exit code. */
  exited: Promise<number | null>;
  stop(): void;
}

/** What each source format is sent as: encoder, muxer and content type (MP3 and AAC at ffmpeg's default bit rate). */
const SOURCE_FORMATS = {
  webm: { codec: ['-c:a', 'libopus', '-b:a', '64k'], contentType: 'audio/webm' },
  ogg: { codec: ['-c:a', 'libopus', '-b:a', '64k'], contentType: 'audio/ogg' },
  mp3: { codec: ['-c:a', 'libmp3lame'], contentType: 'audio/mpeg' },
  aac: { codec: ['-c:a', 'aac'], contentType: 'audio/aac' },
} as const;

/**
 * Streams a 440 Hz tone, encoded as Opus (or MP3, or AAC in ADTS), to `url` in real time (`-re`) for `seconds`.
 * `url` is `icecast://source:KEY@127.0.0.1:PORT/mount` (PUT, or SOURCE with `legacy`) or an
 * `http://` URL (ffmpeg's `-method PUT`, chunked).
 */
export function startFfmpegSource(opts: {
  url: string;
  format: keyof typeof SOURCE_FORMATS;
  seconds: number;
  legacy?: boolean;
  freqHz?: number;
  /**
   * `steady` (default): a Cluster / an Ogg page every 100 ms. `default`: ffmpeg's own muxer settings, as
   * the README's command runs them: about one page or Cluster per second, so the source sends in 1 s bursts.
   */
  muxer?: 'steady' | 'default';
  /** Every this many seconds (at t = 0, n, 2n…) the tone dips to 30 % for 30 ms: a marker for glass-to-glass. */
  markerEveryS?: number;
  extraArgs?: string[];
}): FfmpegSource {
  const { codec, contentType } = SOURCE_FORMATS[opts.format];
  const steady = (opts.muxer ?? 'steady') === 'steady';
  const muxArgs =
    opts.format === 'webm'
      ? ['-f', 'webm', ...(steady ? ['-cluster_time_limit', '100', '-live', '1'] : [])]
      : opts.format === 'ogg'
        ? ['-f', 'ogg', ...(steady ? ['-page_duration', '100000'] : [])]
        : ['-f', opts.format === 'mp3' ? 'mp3' : 'adts'];
  const protoArgs = opts.url.startsWith('icecast://')
    ? ['-content_type', contentType, ...(opts.legacy ? ['-legacy_icecast', '1'] : [])]
    : ['-method', 'PUT', '-content_type', contentType];
  const args = [
    '-hide_banner',
    '-loglevel',
    'error',
    '-re',
    '-f',
    'lavfi',
    '-i',
    opts.markerEveryS
      ? `aevalsrc=0.125*sin(2*PI*${opts.freqHz ?? 440}*t)*(1-0.7*lt(mod(t\\,${opts.markerEveryS})\\,0.03)):s=48000`
      : `sine=frequency=${opts.freqHz ?? 440}:sample_rate=48000`,
    '-t',
    String(opts.seconds),
    ...codec,
    ...muxArgs,
    ...protoArgs,
    '-progress',
    'pipe:1',
    '-stats_period',
    '0.1',
    ...(opts.extraArgs ?? []),
    opts.url,
  ];
  const proc = spawn('ffmpeg', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  // wall − media time of each progress report; the smallest is the least delayed report.
  let offsetMs = Number.POSITIVE_INFINITY;
  let encodedUs = 0;
  let partial = '';
  proc.stdout?.on('data', (b: Buffer) => {
    const now = Date.now();
    const lines = (partial + b.toString()).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) {
      const m = /^out_time_us=(\d+)/.exec(line);
      if (m) {
        offsetMs = Math.min(offsetMs, now - Number(m[1]) / 1000);
        encodedUs = Math.max(encodedUs, Number(m[1]));
      }
    }
  });
  let err = '';
  proc.stderr?.on('data', (b: Buffer) => {
    err += b.toString();
  });
  const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
  return {
    proc,
    stderr: () => err,
    exited,
    stop: () => proc.kill('SIGKILL'),
    wallAt: (t) => (Number.isFinite(offsetMs) ? offsetMs + t * 1000 : null),
    encodedSeconds: () => encodedUs / 1e6,
  };
}

/**
 * Decodes `seconds` of audio from `url` with ffmpeg into mono 48 kHz samples (-1..1).
 * Rejects after `timeoutMs` or when ffmpeg fails. `inputArgs` go before `-i` (say `-icy 1`, or
 * `-loglevel verbose` to see ffmpeg's own reports in `stderr`).
 */
export function decodeWithFfmpeg(
  url: string,
  seconds: number,
  timeoutMs = 20_000,
  inputArgs: readonly string[] = [],
): Promise<{ samples: Float32Array; stderr: string; code: number | null }> {
  return new Promise((resolve, reject) => {
    const proc = spawn(
      'ffmpeg',
      [
        '-hide_banner',
        '-loglevel',
        'error',
        ...inputArgs,
        '-i',
        url,
        '-t',
        String(seconds),
        '-f',
        's16le',
        '-ac',
        '1',
        '-ar',
        '48000',
        '-',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const parts: Buffer[] = [];
    let stderr = '';
    proc.stdout.on('data', (b: Buffer) => parts.push(b));
    proc.stderr.on('data', (b: Buffer) => {
      stderr += b.toString();
    });
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`ffmpeg decode of ${url} timed out; stderr: ${stderr}`));
    }, timeoutMs);
    proc.on('exit', (code) => {
      clearTimeout(timer);
      const pcm = Buffer.concat(parts);
      const samples = new Float32Array(Math.floor(pcm.length / 2));
      for (let i = 0; i < samples.length; i++) samples[i] = pcm.readInt16LE(i * 2) / 32768;
      resolve({ samples, stderr, code });
    });
  });
}

export interface DecodedPcm {
  /** Mono 16-bit samples at 48 kHz. */
  samples: Int16Array;
  /** ffmpeg's stderr at `-v error`: empty when it found nothing wrong. */
  errors: string;
  status: number | null;
}

export interface DecodeFileOptions {
  /** The ffmpeg binary (default `ffmpeg`, found on PATH). */
  ffmpeg?: string;
  /** Throw when ffmpeg exits with a non-zero status, instead of returning it (default false). */
  check?: boolean;
  /** For bytes: the temp file's extension, a hint for ffmpeg's format probe (default none). */
  extension?: string;
}

/**
 * Decodes a file, or bytes (written to a temp file first), with ffmpeg to mono s16le at 48 kHz, synchronously.
 * Throws if ffmpeg cannot be run, and with `check` if it fails.
 */
export function decodeFileWithFfmpeg(
  input: string | Uint8Array,
  options: DecodeFileOptions = {},
): DecodedPcm {
  if (typeof input !== 'string') {
    const dir = mkdtempSync(join(tmpdir(), 'onair-ffmpeg-'));
    try {
      const file = join(dir, options.extension === undefined ? 'input' : `input.${options.extension}`);
      writeFileSync(file, input);
      return decodeFileWithFfmpeg(file, options);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  const run = spawnSync(
    options.ffmpeg ?? 'ffmpeg',
    ['-v', 'error', '-i', input, '-f', 's16le', '-ac', '1', '-ar', '48000', '-'],
    { maxBuffer: 64 * 1024 * 1024 },
  );
  if (run.error) throw run.error;
  const errors = run.stderr.toString('utf8');
  if (options.check && run.status !== 0) {
    throw new Error(`ffmpeg failed (status ${run.status}, signal ${run.signal}) on ${input}: ${errors}`);
  }
  const pcm = run.stdout;
  const samples = new Int16Array(pcm.buffer.slice(pcm.byteOffset, pcm.byteOffset + (pcm.length & ~1)));
  return { samples, errors, status: run.status };
}

/** Signal power at `hz` over `samples` (Goertzel). */
export function goertzelPower(samples: ArrayLike<number>, hz: number, sampleRate = 48000): number {
  const k = 2 * Math.cos((2 * Math.PI * hz) / sampleRate);
  let s1 = 0;
  let s2 = 0;
  for (let i = 0; i < samples.length; i++) {
    const s0 = (samples[i] as number) + k * s1 - s2;
    s2 = s1;
    s1 = s0;
  }
  return s1 * s1 + s2 * s2 - k * s1 * s2;
}

export interface FrequencyScan {
  /** Lowest frequency tried (default 100 Hz). */
  fromHz?: number;
  /** Highest frequency tried (default 2000 Hz). */
  toHz?: number;
  /** Step between tries (default 5 Hz). */
  stepHz?: number;
  sampleRate?: number;
}

/** The frequency in [fromHz, toHz], in `stepHz` steps, with the most power (Goertzel scan): a tone's pitch. */
export function strongestFrequency(samples: ArrayLike<number>, scan: FrequencyScan = {}): number {
  const { fromHz = 100, toHz = 2000, stepHz = 5, sampleRate = 48000 } = scan;
  let best = fromHz;
  let bestPower = -1;
  for (let f = fromHz; f <= toHz; f += stepHz) {
    const power = goertzelPower(samples, f, sampleRate);
    if (power > bestPower) {
      bestPower = power;
      best = f;
    }
  }
  return best;
}

/** The strongest frequency in 200–2000 Hz (Goertzel scan, 2 Hz steps) and the signal's RMS. */
export function dominantHz(samples: Float32Array, sampleRate = 48_000): { hz: number; rms: number } {
  // Skip the first 0.2 s (decoder pre-roll) and use at most 1 s.
  const start = Math.min(samples.length, Math.round(sampleRate * 0.2));
  const x = samples.subarray(start, Math.min(samples.length, start + sampleRate));
  let sum = 0;
  for (const v of x) sum += v * v;
  const rms = x.length ? Math.sqrt(sum / x.length) : 0;
  return { hz: strongestFrequency(x, { fromHz: 200, toHz: 2000, stepHz: 2, sampleRate }), rms };
}
