/**
 * AudioWorklet: the packets player's jitter buffer. Decoded PCM comes in over the port in bursts
 * (one per recorder chunk, or one per second from a bursty source), so the buffer is a sawtooth and
 * what matters is its trough, the margin left just before the next burst. BufferTarget
 * (buffer-target.ts) learns the delivery pattern and gives the margin to aim the trough at (it grows
 * on repeated underruns, follows the arrival jitter, shrinks when calm) and, every CONTROL_S, the
 * excess: the read rate is set slightly above or below 1 from it (linear-interpolation resampling
 * within ±MAX_RATE_DEV), so clock drift and a small backlog play off without clicks; an excess past
 * JUMP_MS (the audio held back by a stall) is dropped at once. Playback (re)starts once the margin
 * plus START_EXTRA_MS are buffered. The ring never holds more than CAPACITY_S seconds.
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

/** Below this the 60 ms bursts of a recorder chunk leave too little margin (bench/latency: an underrun a minute). */
const MIN_TARGET_MS = 30;
const START_TARGET_MS = 40;
const START_EXTRA_MS = 40;
/** How often the rate and the backlog are looked at. */
const CONTROL_S = 0.25;
/** Rate change per second of excess. */
const GAIN = 0.5;
/** A stall a phone can ride out; the margin never grows past this. */
const MAX_TARGET_MS = 1_500;
/** An excess this large (a stall's backlog, a backgrounded tab) is dropped at once. */
const JUMP_MS = 200;
const MAX_RATE_DEV = 0.05;
const CAPACITY_S = 4;
const STATS_EVERY_S = 0.25;

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
  #buffer = new BufferTarget({ minMs: MIN_TARGET_MS, startMs: START_TARGET_MS, maxMs: MAX_TARGET_MS });
  #playing = false;
  #statsFrames = 0;
  #controlFrames = 0;
  #rate = 1;
  #droppedMs = 0;
  #playedFrames = 0;

  constructor() {
    super();
    this.port.onmessage = (ev: MessageEvent<{ type: 'pcm'; channels: Float32Array[] }>) => {
      if (ev.data?.type === 'pcm') this.#append(ev.data.channels);
    };
  }

  #nowMs(): number {
    return (currentFrame / sampleRate) * 1000;
  }

  #frames(ms: number): number {
    return (ms / 1000) * sampleRate;
  }

  #append(channels: Float32Array[]): void {
    // The level just before this audio lands: a trough of the sawtooth (only meaningful while playing).
    const level = this.#playing ? ((this.#write - this.#read) / sampleRate) * 1000 : Number.POSITIVE_INFINITY;
    this.#buffer.arrival(this.#nowMs(), level);
    while (this.#ring.length < channels.length) this.#ring.push(new Float32Array(this.#cap));
    const n = channels[0]?.length ?? 0;
    for (let c = 0; c < channels.length; c++) {
      const ring = this.#ring[c] as Float32Array;
      const src = channels[c] as Float32Array;
      for (let i = 0; i < n; i++) ring[(this.#write + i) % this.#cap] = src[i] as number;
    }
    this.#write += n;
    // Never more than the ring: drop the oldest.
    if (this.#write - this.#read > this.#cap - 128) this.#read = this.#write - (this.#cap - 128);
  }

  /** Every CONTROL_S while playing: drop a stall's backlog, or steer the rate toward the target. */
  #control(): void {
    // What the last period's rate already played off (or held back): the trough history follows it.
    this.#buffer.dropped((this.#rate - 1) * CONTROL_S * 1000);
    const excess = this.#buffer.excessMs(this.#nowMs());
    if (excess === null) {
      this.#rate = 1;
      return;
    }
    if (excess > JUMP_MS) {
      this.#read += this.#frames(excess);
      this.#droppedMs += excess;
      this.#buffer.dropped(excess);
      this.#rate = 1;
      return;
    }
    this.#rate = 1 + Math.max(-MAX_RATE_DEV, Math.min(MAX_RATE_DEV, (excess / 1000) * GAIN));
  }

  process(_inputs: Float32Array[][], outputs: Float32Array[][]): boolean {
    const out = outputs[0] ?? [];
    const frames = out[0]?.length ?? 128;
    const avail = this.#write - this.#read;
    if (!this.#playing && avail >= this.#frames(this.#buffer.targetMs() + START_EXTRA_MS)) {
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
          // Underrun: silence until the margin is buffered again, and a bigger margin from now on.
          this.#playing = false;
          this.#buffer.underrun(this.#nowMs());
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
        targetMs: this.#buffer.targetMs(),
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
