/**
 * AudioWorklet: the packets player's jitter buffer. Decoded PCM comes in over the port in bursts
 * (one per Ogg page or recorder chunk, or one per second from a bursty source). BufferTarget
 * (buffer-target.ts) learns from each arrival how late it came relative to where its audio starts
 * (NetEq's relative delay) and gives the latency the buffer must keep to cover a high quantile of
 * those delays plus a small margin, never less than one delivery interval of the source (the
 * server's figure, sent over the port as `{type: 'interval'}`, covers a bursty source from the
 * first second). Playback (re)starts once that latency is reached; every CONTROL_S, the excess over
 * it sets the read rate slightly above 1 (linear-interpolation resampling within ±MAX_RATE_DEV), so
 * clock drift and a small backlog play off without clicks, and an excess past JUMP_MS (the audio
 * held back by a stall) is dropped at once. The ring never holds more than CAPACITY_S seconds.
 */
import { BufferTarget } from './buffer-target.js';

// The AudioWorkletGlobalScope, declared here: TypeScript's DOM library does not describe it.
declare const sampleRate: number;
declare const currentFrame: number;
declare function registerProcessor(name: string, ctor: new () => AudioWorkletProcessorLike): void;
declare class AudioWorkletProcessorLike {
  readonly port: MessagePort;
}
declare const AudioWorkletProcessor: typeof AudioWorkletProcessorLike;

/** Buffer kept beyond the latency the observed delays need (the audio thread's and the decoder's own jitter). */
const MARGIN_MS = 20;
/** The delivery interval assumed until one is known (a browser broadcaster sends every 60 ms). */
const DEFAULT_INTERVAL_MS = 60;
/** How often the rate and the backlog are looked at. */
const CONTROL_S = 0.25;
/** Rate change per second of excess. */
const GAIN = 0.5;
/** A stall a phone can ride out; the buffer never adds more than this over the least delayed audio. */
const MAX_TARGET_MS = 1_500;
/** An excess this large (a stall's backlog, a backgrounded tab) is dropped at once. */
const JUMP_MS = 200;
const MAX_RATE_DEV = 0.05;
const CAPACITY_S = 4;
const STATS_EVERY_S = 0.25;

/** What the page sends the worklet: decoded audio, or the source's delivery interval (the server's figure). */
export type JitterMessage =
  | { type: 'pcm'; channels: Float32Array[] }
  | { type: 'interval'; ms: number | null };

export interface JitterStats {
  type: 'stats';
  bufferedMs: number;
  targetMs: number;
  /** The usual time between bursts of audio, ms (null until two have come). */
  intervalMs: number | null;
  underruns: number;
  /** Audio dropped so far (backlog beyond the target), ms. */
  droppedMs: number;
  rate: number;
  playing: boolean;
  /** Audio played so far, ms: the progress watchdog checks that it advances. */
  playedMs: number;
}

class JitterProcessor extends AudioWorkletProcessor {
  #ring: Float32Array[] = [];
  #cap = Math.round(CAPACITY_S * sampleRate);
  #write = 0;
  #read = 0;
  #buffer = new BufferTarget({
    marginMs: MARGIN_MS,
    defaultIntervalMs: DEFAULT_INTERVAL_MS,
    maxMs: MAX_TARGET_MS,
  });
  #playing = false;
  #statsFrames = 0;
  #controlFrames = 0;
  #rate = 1;
  #droppedMs = 0;
  #playedFrames = 0;

  constructor() {
    super();
    this.port.onmessage = (ev: MessageEvent<JitterMessage>) => {
      if (ev.data?.type === 'pcm') this.#append(ev.data.channels);
      else if (ev.data?.type === 'interval') this.#buffer.setSourceInterval(ev.data.ms);
    };
  }

  #nowMs(): number {
    return (currentFrame / sampleRate) * 1000;
  }

  #frames(ms: number): number {
    return (ms / 1000) * sampleRate;
  }

  #ms(frames: number): number {
    return (frames / sampleRate) * 1000;
  }

  #append(channels: Float32Array[]): void {
    // Where this audio starts in media time, and when it came: one sample of its relative delay.
    this.#buffer.arrival(this.#nowMs(), this.#ms(this.#write));
    while (this.#ring.length < channels.length) this.#ring.push(new Float32Array(this.#cap));
    const n = channels[0]?.length ?? 0;
    for (let c = 0; c < channels.length; c++) {
      const ring = this.#ring[c] as Float32Array;
      const src = channels[c] as Float32Array;
      for (let i = 0; i < n; i++) ring[(this.#write + i) % this.#cap] = src[i] as number;
    }
    this.#write += n;
    // Never more than the ring: drop the oldest.
    if (this.#write - this.#read > this.#cap - 128) {
      this.#droppedMs += this.#ms(this.#write - (this.#cap - 128) - this.#read);
      this.#read = this.#write - (this.#cap - 128);
    }
  }

  /** Every CONTROL_S while playing: drop a stall's backlog, or steer the rate toward the target. */
  #control(): void {
    const excess = this.#buffer.excessMs(this.#nowMs(), this.#ms(this.#read), this.#ms(this.#write));
    if (excess === null) {
      this.#rate = 1;
      return;
    }
    if (excess > JUMP_MS) {
      // Never past what is buffered: the margin stays.
      const drop = Math.min(excess, this.#ms(this.#write - this.#read) - MARGIN_MS);
      if (drop > 0) {
        this.#read += this.#frames(drop);
        this.#droppedMs += drop;
      }
      this.#rate = 1;
      return;
    }
    this.#rate = 1 + Math.max(-MAX_RATE_DEV, Math.min(MAX_RATE_DEV, (excess / 1000) * GAIN));
  }

  process(_inputs: Float32Array[][], outputs: Float32Array[][]): boolean {
    const out = outputs[0] ?? [];
    const frames = out[0]?.length ?? 128;
    const avail = this.#write - this.#read;
    if (
      !this.#playing &&
      avail > 0 &&
      this.#buffer.canStart(this.#nowMs(), this.#ms(this.#read), this.#ms(this.#write))
    ) {
      this.#playing = true;
      this.#rate = 1;
    }
    if (this.#playing) {
      this.#controlFrames += frames;
      if (this.#controlFrames >= CONTROL_S * sampleRate) {
        this.#controlFrames = 0;
        this.#control();
      }
      let i = 0;
      for (; i < frames; i++) {
        if (this.#write - this.#read < 2) {
          // Underrun: silence until the required latency is reached again (the late audio raises it).
          this.#playing = false;
          this.#buffer.underrun();
          for (const ch of out) ch.fill(0, i);
          break;
        }
        const idx = Math.floor(this.#read);
        const frac = this.#read - idx;
        for (let c = 0; c < out.length; c++) {
          const ring = this.#ring[Math.min(c, this.#ring.length - 1)];
          const ch = out[c] as Float32Array;
          if (!ring) {
            ch[i] = 0;
            continue;
          }
          const a = ring[idx % this.#cap] as number;
          const b = ring[(idx + 1) % this.#cap] as number;
          ch[i] = a + (b - a) * frac;
        }
        this.#read += this.#rate;
      }
      this.#playedFrames += i;
    } else {
      for (const ch of out) ch.fill(0);
    }
    this.#statsFrames += frames;
    if (this.#statsFrames >= STATS_EVERY_S * sampleRate) {
      this.#statsFrames = 0;
      const stats: JitterStats = {
        type: 'stats',
        bufferedMs: ((this.#write - this.#read) / sampleRate) * 1000,
        targetMs: this.#buffer.targetMs(this.#nowMs(), this.#ms(this.#write)),
        intervalMs: this.#buffer.intervalMs(),
        underruns: this.#buffer.underruns,
        droppedMs: this.#droppedMs,
        rate: this.#rate,
        playing: this.#playing,
        playedMs: (this.#playedFrames / sampleRate) * 1000,
      };
      this.port.postMessage(stats);
    }
    return true;
  }
}

registerProcessor('onair-jitter', JitterProcessor);
