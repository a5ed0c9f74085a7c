/**
 * One attempt at the live stream with the packets player (the low-latency rung): the framed Opus
 * packets (`/<mount>.pkt`) are decoded with WebCodecs `AudioDecoder` and played through the
 * jitter-buffer AudioWorklet, whose output feeds the page's `<audio>` element as a MediaStream (so volume, autoplay handling and the
 * lock screen work as with MSE). Same contract as runMseSession.
 */

import type { StatusMessage } from '../shared/protocol.js';
import { withTimeout } from '../web/wait.js';
import { runAttempt } from './attempt.js';
import { type ElementHooks, startPlayback, watchElement } from './element.js';
import { openStream } from './fetch-stream.js';
import type { JitterMessage, JitterStats } from './jitter-worklet.js';
import { PacketReader } from './packet-reader.js';
import { PlayerError } from './player-error.js';

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
  /** Each status message the stream carries (a `?status=1` URL), in order. */
  onStatus?(status: StatusMessage): void;
}

export interface PacketsSessionOptions {
  audio: HTMLAudioElement;
  url: string;
  signal: AbortSignal;
  hooks: PacketsSessionHooks;
  /** The source's delivery interval from the status (ms; null: unknown), passed on to the jitter buffer. */
  sourceIntervalMs?(): number | null;
}

/** The latest jitter-buffer figures, for the details line and tests (`#player[data-buffer-ms]`). */
function showStats(audio: HTMLAudioElement, s: JitterStats): void {
  audio.dataset.bufferMs = s.bufferedMs.toFixed(0);
  audio.dataset.targetMs = s.targetMs.toFixed(0);
  audio.dataset.underruns = String(s.underruns);
  audio.dataset.droppedMs = s.droppedMs.toFixed(0);
  if (s.intervalMs !== null) audio.dataset.intervalMs = s.intervalMs.toFixed(0);
}

/** True when this browser has what the packets player needs. */
export function packetsPlayerSupported(): boolean {
  return (
    typeof AudioDecoder === 'function' &&
    typeof EncodedAudioChunk === 'function' &&
    typeof AudioWorkletNode === 'function' &&
    typeof MediaStreamAudioDestinationNode === 'function'
  );
}

export function runPacketsSession(opts: PacketsSessionOptions): Promise<void> {
  const { audio, url, hooks } = opts;
  return runAttempt(opts.signal, async (attempt) => {
    const ctx = new AudioContext({ latencyHint: 'interactive', sampleRate: 48_000 });
    let decoder: AudioDecoder | null = null;
    const onPlaying = (): void => {
      // The element plays: the context may run now (a tap or the autoplay policy allowed it).
      void ctx.resume();
    };
    attempt.onEnd(() => {
      audio.removeEventListener('playing', onPlaying);
      try {
        if (decoder && decoder.state !== 'closed') decoder.close();
      } catch {
        // Already closed by an error.
      }
      audio.srcObject = null;
      void ctx.close();
    });
    await withTimeout(
      ctx.audioWorklet.addModule(JITTER_WORKLET_URL),
      WORKLET_LOAD_TIMEOUT_MS,
      'worklet',
      attempt.signal,
    );
    const reader = await openStream(url, attempt.signal);
    const packets = new PacketReader(hooks.onStatus);
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
    let bytes = 0;
    let lastBytesMs = performance.now();
    let wasPlaying = false;
    let node: AudioWorkletNode | null = null;
    let sentIntervalMs: number | null = null;
    /** Tells the jitter buffer the source's delivery interval when the status gives a new one. */
    const passInterval = (): void => {
      const ms = opts.sourceIntervalMs?.() ?? null;
      if (!node || ms === sentIntervalMs) return;
      sentIntervalMs = ms;
      const message: JitterMessage = { type: 'interval', ms };
      node.port.postMessage(message);
    };
    // From the first byte on: no bytes for 4 s, or bytes that never become audio, end the attempt.
    attempt.watch({
      audio,
      hooks,
      intervalMs: WATCHDOG_INTERVAL_MS,
      tick: () => {
        passInterval();
        return {
          mediaTimeS: (latest?.playedMs ?? 0) / 1000,
          paused: audio.paused,
          aheadS: (latest?.bufferedMs ?? 0) / 1000,
          lastBytesMs,
          bytes,
        };
      },
      playing: (resumed) => {
        if (!resumed && (wasPlaying || !elementPlaying)) return;
        wasPlaying = true;
        hooks.onPlaying();
      },
      describeStall: (why) => `${why}; buffer ${latest?.bufferedMs.toFixed(0)} ms, ctx ${ctx.state}`,
    });
    let started = false;
    for (;;) {
      const { done, value } = await reader.read();
      if (attempt.signal.aborted || done) return;
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
            const message: JitterMessage = { type: 'pcm', channels: chans };
            port.postMessage(
              message,
              chans.map((p) => p.buffer),
            );
          },
          error: (e) =>
            attempt.fail(new PlayerError('MEDIA', `Opus decoding failed: ${e.message}`, { cause: e })),
        });
        decoder.configure({ codec: 'opus', sampleRate: 48_000, numberOfChannels: channels });
        passInterval();
        attempt.onEnd(watchElement(audio, elementHooks, attempt.fail));
        audio.addEventListener('playing', onPlaying);
        audio.srcObject = dest.stream;
        startPlayback(audio, elementHooks, attempt.fail);
        void ctx.resume().catch(() => {});
      }
      for (const f of frames) {
        if (decoder.decodeQueueSize > MAX_DECODE_QUEUE) {
          attempt.fail(new PlayerError('MEDIA', 'the Opus decoder cannot keep up'));
          return;
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
  });
}
