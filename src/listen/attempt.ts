/**
 * One attempt at the live stream, the part every player session shares (packets, MSE, plain
 * `<audio>`): its own abort signal, the first failure winning, clean-up run once (at once when the
 * caller aborts, so the next attempt can take the element), the progress watchdog acting on its
 * verdicts, and whatever ended the attempt as a PlayerError. Reconnecting (backoff, which rung)
 * is the player's (`player.ts`); connecting is `openStream` (`fetch-stream.ts`).
 */
import { TimeoutError } from '../web/wait.js';
import type { ElementHooks } from './element.js';
import { PlayerError } from './player-error.js';
import { type ProgressSample, ProgressWatchdog } from './progress-watchdog.js';

/** What a rung reports to the watchdog each tick (the time is added by the attempt). */
export type ProgressFigures = Omit<ProgressSample, 'nowMs'>;

export interface ProgressWatch {
  audio: HTMLAudioElement;
  hooks: ElementHooks;
  intervalMs: number;
  /** Default: a watchdog with WATCHDOG_DEFAULTS. */
  watchdog?: ProgressWatchdog;
  /**
   * Called every `intervalMs`: does the rung's own periodic work (MSE steers to the live edge), then
   * returns its figures, or null while there is nothing to watch yet.
   */
  tick(nowMs: number): ProgressFigures | null;
  /** The audio moves (`resumed`: after a reported silence). Default: onPlaying on a resume. */
  playing?(resumed: boolean): void;
  /** Moves a playhead that holds audio but does not play it. Default: the stall is only reported. */
  nudge?(): void;
  /** The element's state when the watchdog gives up (kept on `data-last-stall`). Default: the reason. */
  describeStall?(why: string): string;
}

export interface Attempt {
  /** Aborts when the attempt ends, for whatever reason: every fetch, wait and listener of it uses it. */
  readonly signal: AbortSignal;
  /** Ends the attempt with `error`; the first failure is the one reported. */
  fail(error: PlayerError): void;
  /** Runs `cleanup` once when the attempt ends (the latest registered first). */
  onEnd(cleanup: () => void): void;
  /** Runs the progress watchdog until the attempt ends; a restart verdict fails the attempt (STALLED). */
  watch(spec: ProgressWatch): void;
}

/**
 * Runs `body` as one attempt. Resolves when `body` resolves (the stream ended) without a failure;
 * rejects with the first PlayerError (`fail`, or what `body` threw, mapped by {@link toPlayerError}),
 * or with the abort reason when `outer` aborts. The clean-up has always run when it settles.
 */
export async function runAttempt(
  outer: AbortSignal,
  body: (attempt: Attempt) => Promise<void>,
): Promise<void> {
  if (outer.aborted) throw outer.reason;
  const ac = new AbortController();
  let failure: PlayerError | null = null;
  const cleanups: (() => void)[] = [];
  let ended = false;
  const end = (): void => {
    if (ended) return;
    ended = true;
    ac.abort(failure ?? outer.reason);
    for (const cleanup of cleanups.reverse()) {
      try {
        cleanup();
      } catch (err) {
        console.warn('[listen] attempt clean-up failed', err);
      }
    }
  };
  const fail = (error: PlayerError): void => {
    if (failure || ac.signal.aborted) return;
    failure = error;
    ac.abort(error);
  };
  const onEnd = (cleanup: () => void): void => {
    if (ended) cleanup();
    else cleanups.push(cleanup);
  };
  const attempt: Attempt = {
    signal: ac.signal,
    fail,
    onEnd,
    watch: (spec) => onEnd(watchProgress(spec, fail)),
  };
  outer.addEventListener('abort', end, { once: true });
  try {
    await body(attempt);
    if (failure) throw failure;
    if (outer.aborted) throw outer.reason;
  } catch (err) {
    if (outer.aborted) throw outer.reason;
    if (failure) throw failure;
    throw toPlayerError(err);
  } finally {
    outer.removeEventListener('abort', end);
    end();
  }
}

/** Starts the watchdog ticks of `spec`; returns what stops them. */
function watchProgress(spec: ProgressWatch, fail: (error: PlayerError) => void): () => void {
  const { audio, hooks } = spec;
  const watchdog = spec.watchdog ?? new ProgressWatchdog();
  const timer = setInterval(() => {
    const nowMs = performance.now();
    const figures = spec.tick(nowMs);
    if (!figures) return;
    const verdict = watchdog.check({ nowMs, ...figures });
    switch (verdict.kind) {
      case 'playing':
        if (spec.playing) spec.playing(verdict.resumed);
        else if (verdict.resumed) hooks.onPlaying();
        break;
      case 'silent':
        hooks.onStalled(verdict.reason);
        break;
      case 'nudge':
        hooks.onStalled(verdict.reason);
        spec.nudge?.();
        break;
      case 'restart':
        audio.dataset.lastStall = spec.describeStall?.(verdict.why) ?? verdict.why;
        fail(new PlayerError('STALLED', verdict.why));
        break;
      case 'idle':
        break;
    }
  }, spec.intervalMs);
  return () => clearInterval(timer);
}

/** Any rejection inside an attempt as a PlayerError: a stream that stopped sending is STALLED, other waits TIMEOUT. */
export function toPlayerError(err: unknown): PlayerError {
  if (err instanceof PlayerError) return err;
  if (err instanceof TimeoutError) {
    return err.what === STREAM_BYTES
      ? new PlayerError('STALLED', 'the stream stopped sending audio', { cause: err })
      : new PlayerError('TIMEOUT', err.message, { cause: err });
  }
  return new PlayerError('MEDIA', String(err), { cause: err });
}

/** What a wait for the next bytes of the stream is called (a TimeoutError naming it means STALLED). */
export const STREAM_BYTES = 'stream bytes';
