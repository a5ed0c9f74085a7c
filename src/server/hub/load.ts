/**
 * How busy the process is: the event loop's utilisation (the share of wall time spent running code
 * and system calls rather than waiting for I/O), sampled by one timer. `busy` turns on when a sample
 * reaches `onAt` and off once one falls below `onAt - HYSTERESIS`, so it does not flap.
 *
 * The hub uses it to coalesce the low-latency output's writes only when a large audience keeps the
 * process busy: a small audience never pays the added latency.
 */
import { type EventLoopUtilization, performance } from 'node:perf_hooks';

export const SAMPLE_MS = 500;
export const HYSTERESIS = 0.25;

export class LoadGauge {
  /** True while the process is busy (always, when `onAt` is 0). */
  busy: boolean;
  private last: EventLoopUtilization = performance.eventLoopUtilization();
  private readonly timer: NodeJS.Timeout | null = null;
  private readonly onAt: number;
  private readonly onChange: (busy: boolean, utilization: number) => void;

  /** `onAt`: utilisation (0–1) from which the process counts as busy; 0: always busy. */
  constructor(onAt: number, onChange: (busy: boolean, utilization: number) => void = () => {}) {
    this.onAt = onAt;
    this.onChange = onChange;
    this.busy = onAt <= 0;
    if (onAt > 0) {
      this.timer = setInterval(() => this.sample(), SAMPLE_MS);
      this.timer.unref();
    }
  }

  /** Takes one sample (the timer's work; exported for tests through a subclass-free call). */
  sample(): void {
    const now = performance.eventLoopUtilization();
    const u = performance.eventLoopUtilization(now, this.last).utilization;
    this.last = now;
    this.update(u);
  }

  /** Applies one utilisation sample (0–1). */
  update(utilization: number): void {
    if (this.onAt <= 0) return;
    const busy = this.busy ? utilization >= this.onAt - HYSTERESIS : utilization >= this.onAt;
    if (busy === this.busy) return;
    this.busy = busy;
    this.onChange(busy, utilization);
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
  }
}
