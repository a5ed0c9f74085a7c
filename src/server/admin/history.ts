/**
 * Listeners over time for the dashboard's chart: one sample a minute of every live mount's listener
 * count (the cluster's, as the hub sees it), the last 24 hours kept (1,440 samples, the oldest dropped).
 */
import type { Hub } from '../hub/hub.js';

export const SAMPLE_INTERVAL_MS = 60_000;
export const MAX_SAMPLES = 24 * 60;
/** Mounts one sample holds at most (the busiest kept). */
const MAX_MOUNTS_PER_SAMPLE = 100;

export interface Sample {
  at: string;
  listeners: Record<string, number>;
}

export class ListenerHistory {
  private readonly samples: Sample[] = [];
  private readonly timer: NodeJS.Timeout;
  private readonly hub: Hub;

  constructor(hub: Hub, intervalMs = SAMPLE_INTERVAL_MS) {
    this.hub = hub;
    this.timer = setInterval(() => this.sample(), intervalMs);
    this.timer.unref();
  }

  sample(): void {
    const live = this.hub
      .all()
      .filter((s) => s.state === 'live')
      .sort((a, b) => b.listeners - a.listeners)
      .slice(0, MAX_MOUNTS_PER_SAMPLE);
    this.samples.push({
      at: new Date().toISOString(),
      listeners: Object.fromEntries(live.map((s) => [s.mount, s.listeners])),
    });
    if (this.samples.length > MAX_SAMPLES) this.samples.splice(0, this.samples.length - MAX_SAMPLES);
  }

  all(): readonly Sample[] {
    return this.samples;
  }

  close(): void {
    clearInterval(this.timer);
  }
}
