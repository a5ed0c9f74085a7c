/**
 * AudioWorklet: the low-latency player's jitter buffer. Decoded PCM comes in over the port in bursts
 * (one per recorder chunk), so the buffer is a sawtooth; what matters is its trough, the margin left
 * just before the next burst. `target` is that margin. Playback starts once target + START_EXTRA_MS
 * are buffered. On an underrun it goes silent, counts it, and raises the target by STEP_MS (up to
 * MAX_TARGET_MS); after STABLE_S seconds without one it lowers it by SHRINK_MS (down to
 * MIN_TARGET_MS). Every WINDOW_S the trough is compared with the target and the read rate set
 * slightly above or below 1 (linear-interpolation resampling within ±MAX_RATE_DEV): clock drift and
 * backlog are absorbed without clicks. A backlog past JUMP_MS is dropped at once. The ring never
 * holds more than CAPACITY_S seconds.
 */

// The AudioWorkletGlobalScope, declared here: TypeScript's DOM library does not describe it.
declare const sampleRate: number;
declare function registerProcessor(name: string, ctor: new () => AudioWorkletProcessorLike): void;
declare class AudioWorkletProcessorLike {
  readonly port: MessagePort;
}
declare const AudioWorkletProcessor: typeof AudioWorkletProcessorLike;

/** Below this the 60 ms bursts of a recorder chunk leave too little margin (bench/latency: an underrun a minute). */
const MIN_TARGET_MS = 30;
const START_TARGET_MS = 40;
const START_EXTRA_MS = 40;
const WINDOW_S = 0.5;
/** Rate change per second of trough error. */
const GAIN = 0.5;
const MAX_TARGET_MS = 400;
const STEP_MS = 20;
const SHRINK_MS = 5;
const STABLE_S = 10;
/** A trough this far above the target (a stall, a backgrounded tab) is dropped at once. */
const JUMP_MS = 250;
const MAX_RATE_DEV = 0.05;
const CAPACITY_S = 4;
const STATS_EVERY_S = 0.25;

export interface JitterStats {
  type: 'stats';
  bufferedMs: number;
  targetMs: number;
  underruns: number;
  rate: number;
  playing: boolean;
}

class JitterProcessor extends AudioWorkletProcessor {
  #ring: Float32Array[] = [];
  #cap = Math.round(CAPACITY_S * sampleRate);
  #write = 0;
  #read = 0;
  #target = (START_TARGET_MS / 1000) * sampleRate;
  #playing = false;
  #underruns = 0;
  #stableFrames = 0;
  #statsFrames = 0;
  #rate = 1;
  #windowMin = Number.POSITIVE_INFINITY;
  #windowFrames = 0;

  constructor() {
    super();
    this.port.onmessage = (ev: MessageEvent<{ type: 'pcm'; channels: Float32Array[] }>) => {
      if (ev.data?.type === 'pcm') this.#append(ev.data.channels);
    };
  }

  #append(channels: Float32Array[]): void {
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

  process(_inputs: Float32Array[][], outputs: Float32Array[][]): boolean {
    const out = outputs[0] ?? [];
    const frames = out[0]?.length ?? 128;
    const avail = this.#write - this.#read;
    if (!this.#playing && avail >= this.#target + (START_EXTRA_MS / 1000) * sampleRate) {
      this.#playing = true;
      this.#windowMin = Number.POSITIVE_INFINITY;
      this.#windowFrames = 0;
      this.#rate = 1;
    }
    if (this.#playing) {
      this.#windowMin = Math.min(this.#windowMin, avail);
      this.#windowFrames += frames;
      if (this.#windowFrames >= WINDOW_S * sampleRate) {
        // A backlog far past the target (a stall, a backgrounded tab) is dropped, not played fast.
        if (this.#windowMin > this.#target + (JUMP_MS / 1000) * sampleRate) {
          this.#read += this.#windowMin - this.#target;
          this.#windowMin = this.#target;
        }
        const err = (this.#windowMin - this.#target) / sampleRate; // seconds of margin above the target
        this.#rate = 1 + Math.max(-MAX_RATE_DEV, Math.min(MAX_RATE_DEV, err * GAIN));
        this.#windowMin = Number.POSITIVE_INFINITY;
        this.#windowFrames = 0;
      }
      for (let i = 0; i < frames; i++) {
        if (this.#write - this.#read < 2) {
          // Underrun: silence until the target is buffered again, and a bigger target from now on.
          this.#playing = false;
          this.#underruns++;
          this.#stableFrames = 0;
          this.#target = Math.min(
            (MAX_TARGET_MS / 1000) * sampleRate,
            this.#target + (STEP_MS / 1000) * sampleRate,
          );
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
      if (this.#playing) {
        this.#stableFrames += frames;
        if (this.#stableFrames > STABLE_S * sampleRate) {
          this.#stableFrames = 0;
          this.#target = Math.max(
            (MIN_TARGET_MS / 1000) * sampleRate,
            this.#target - (SHRINK_MS / 1000) * sampleRate,
          );
        }
      }
    } else {
      for (const ch of out) ch.fill(0);
    }
    this.#statsFrames += frames;
    if (this.#statsFrames >= STATS_EVERY_S * sampleRate) {
      this.#statsFrames = 0;
      const stats: JitterStats = {
        type: 'stats',
        bufferedMs: ((this.#write - this.#read) / sampleRate) * 1000,
        targetMs: (this.#target / sampleRate) * 1000,
        underruns: this.#underruns,
        rate: this.#rate,
        playing: this.#playing,
      };
      this.port.postMessage(stats);
    }
    return true;
  }
}

registerProcessor('onair-jitter', JitterProcessor);
