/**
 * One attempt at the live stream in low-latency mode: the framed Opus packets (`/<mount>.pkt`) are
 * decoded with WebCodecs `AudioDecoder` and played through the jitter-buffer AudioWorklet, whose
 * output feeds the page's `<audio>` element as a MediaStream (so volume, autoplay handling and the
 * lock screen work as with MSE). Same contract as runMseSession.
 */

import { TimeoutError, withTimeout } from '../web/wait.js';
import { type ElementHooks, startPlayback, watchElement } from './element.js';
import { openStream } from './fetch-stream.js';
import type { JitterStats } from './jitter-worklet.js';
import { PacketReader } from './packet-reader.js';
import { PlayerError } from './player-error.js';
import { ProgressWatchdog } from './progress-watchdog.js';

/** The worklet bundle (scripts/build.mjs). */
export const JITTER_WORKLET_URL = '/assets/jitter-worklet.js';
/** Longest wait for the worklet module to load. */
const WORKLET_LOAD_TIMEOUT_MS = 5_000;
/** Decoded audio waiting in the decoder past this many packets means the decoder cannot keep up. */
const MAX_DECODE_QUEUE = 50;
/** How often the progress watchdog looks at the jitter buffer's figures. */
const WATCHDOG_INTERVAL_MS = 250;

export interface PacketsSessionHooks extends ElementHooks {
  onStarted(): void;
}

export interface PacketsSessionOptions {
  audio: HTMLAudioElement;
  url: string;
  signal: AbortSignal;
  hooks: PacketsSessionHooks;
}

/** The latest jitter-buffer figures, for the details line and tests (`#player[data-buffer-ms]`). */
function showStats(audio: HTMLAudioElement, s: JitterStats): void {
  audio.dataset.bufferMs = s.bufferedMs.toFixed(0);
  audio.dataset.targetMs = s.targetMs.toFixed(0);
  audio.dataset.underruns = String(s.underruns);
  audio.dataset.droppedMs = s.droppedMs.toFixed(0);
  if (s.intervalMs !== null) audio.dataset.intervalMs = s.intervalMs.toFixed(0);
}

/** True when this browser has what the low-latency player needs. */
export function packetsPlayerSupported(): boolean {
  return (
    typeof AudioDecoder === 'function' &&
    typeof EncodedAudioChunk === 'function' &&
    typeof AudioWorkletNode === 'function' &&
    typeof MediaStreamAudioDestinationNode === 'function'
  );
}

export async function runPacketsSession(opts: PacketsSessionOptions): Promise<void> {
  const { audio, url, signal, hooks } = opts;
  if (signal.aborted) throw signal.reason;
  const ac = new AbortController();
  let failure: PlayerError | null = null;
  const fail = (e: PlayerError): void => {
    if (failure || ac.signal.aborted) return;
    failure = e;
    ac.abort(e);
  };
  const onOuterAbort = (): void => ac.abort(signal.reason);
  signal.addEventListener('abort', onOuterAbort, { once: true });

  const ctx = new AudioContext({ latencyHint: 'interactive', sampleRate: 48_000 });
  let decoder: AudioDecoder | null = null;
  let unwatch = (): void => {};
  const onPlaying = (): void => {
    // The element plays: the context may run now (a tap or the autoplay policy allowed it).
    void ctx.resume();
  };
  try {
    await withTimeout(
      ctx.audioWorklet.addModule(JITTER_WORKLET_URL),
      WORKLET_LOAD_TIMEOUT_MS,
      'worklet',
      ac.signal,
    );
    const reader = await openStream(url, ac.signal);
    const packets = new PacketReader();
    // "Playing" means the element plays AND the jitter buffer gives out audio, not the first alone:
    // the element plays its MediaStream at once, silent until the buffer fills.
    let elementPlaying = false;
    let latest: JitterStats | null = null;
    const elementHooks = {
      onPlaying: () => {
        elementPlaying = true;
        if (latest?.playing) hooks.onPlaying();
      },
      onPaused: (reason: Parameters<typeof hooks.onPaused>[0]) => {
        elementPlaying = false;
        hooks.onPaused(reason);
      },
      onStalled: hooks.onStalled,
    };
    const watchdog = new ProgressWatchdog();
    let bytes = 0;
    let lastBytesMs = performance.now();
    let wasPlaying = false;
    // From the first byte on: no bytes for 4 s, or bytes that never become audio, end the session.
    const watchTimer = setInterval(() => {
      const verdict = watchdog.check({
        nowMs: performance.now(),
        mediaTimeS: (latest?.playedMs ?? 0) / 1000,
        paused: audio.paused,
        aheadS: (latest?.bufferedMs ?? 0) / 1000,
        lastBytesMs,
        bytes,
      });
      if (verdict.kind === 'playing' && (verdict.resumed || (!wasPlaying && elementPlaying))) {
        wasPlaying = true;
        hooks.onPlaying();
      } else if (verdict.kind === 'silent' || verdict.kind === 'nudge') {
        hooks.onStalled(verdict.reason);
      } else if (verdict.kind === 'restart') {
        audio.dataset.lastStall = `${verdict.why}; buffer ${latest?.bufferedMs.toFixed(0)} ms, ctx ${ctx.state}`;
        fail(new PlayerError('STALLED', verdict.why));
      }
    }, WATCHDOG_INTERVAL_MS);
    ac.signal.addEventListener('abort', () => clearInterval(watchTimer), { once: true });
    let node: AudioWorkletNode | null = null;
    let started = false;
    for (;;) {
      const { done, value } = await reader.read();
      if (ac.signal.aborted) break;
      if (done) break;
      lastBytesMs = performance.now();
      bytes += value.byteLength;
      const frames = packets.push(value);
      const header = packets.header;
      if (!header) continue;
      if (!decoder || !node) {
        const channels = Math.max(1, Math.min(2, header.channels));
        node = new AudioWorkletNode(ctx, 'onair-jitter', {
          numberOfInputs: 0,
          numberOfOutputs: 1,
          outputChannelCount: [channels],
        });
        node.port.onmessage = (ev: MessageEvent<JitterStats>) => {
          latest = ev.data;
          showStats(audio, ev.data);
        };
        const dest = ctx.createMediaStreamDestination();
        dest.channelCount = channels;
        node.connect(dest);
        const port = node.port;
        decoder = new AudioDecoder({
          output: (data) => {
            const n = data.numberOfFrames;
            const chans: Float32Array[] = [];
            for (let c = 0; c < Math.min(channels, data.numberOfChannels); c++) {
              const plane = new Float32Array(n);
              data.copyTo(plane, { planeIndex: c, format: 'f32-planar' });
              chans.push(plane);
            }
            data.close();
            port.postMessage(
              { type: 'pcm', channels: chans },
              chans.map((p) => p.buffer),
            );
          },
          error: (e) => fail(new PlayerError('MEDIA', `Opus decoding failed: ${e.message}`, { cause: e })),
        });
        decoder.configure({ codec: 'opus', sampleRate: 48_000, numberOfChannels: channels });
        unwatch = watchElement(audio, elementHooks, fail);
        audio.addEventListener('playing', onPlaying);
        audio.srcObject = dest.stream;
        startPlayback(audio, elementHooks, fail);
        void ctx.resume().catch(() => {});
      }
      for (const f of frames) {
        if (decoder.decodeQueueSize > MAX_DECODE_QUEUE) {
          fail(new PlayerError('MEDIA', 'the Opus decoder cannot keep up'));
          break;
        }
        decoder.decode(
          new EncodedAudioChunk({ type: 'key', timestamp: Math.round((f.pts * 1e6) / 48_000), data: f.data }),
        );
      }
      if (!started && frames.length > 0) {
        started = true;
        hooks.onStarted();
      }
    }
    if (ac.signal.aborted) {
      if (failure) throw failure;
      throw signal.reason;
    }
  } catch (err) {
    if (failure) throw failure;
    if (signal.aborted) throw signal.reason;
    if (err instanceof PlayerError) throw err;
    if (err instanceof TimeoutError) throw new PlayerError('TIMEOUT', err.message, { cause: err });
    throw new PlayerError('MEDIA', `low-latency player failed: ${String(err)}`, { cause: err });
  } finally {
    signal.removeEventListener('abort', onOuterAbort);
    ac.abort();
    unwatch();
    audio.removeEventListener('playing', onPlaying);
    try {
      if (decoder && decoder.state !== 'closed') decoder.close();
    } catch {
      // Already closed by an error.
    }
    audio.srcObject = null;
    void ctx.close();
  }
}
