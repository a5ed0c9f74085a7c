/** Abortable waits, each with a timeout: every wait in both pages goes through one of these. */

/** A wait ran out of time; `what` names the thing waited for. */
export class TimeoutError extends Error {
  override readonly name = 'TimeoutError';
  constructor(readonly what: string) {
    super(`timed out waiting for ${what}`);
  }
}

function noop(): void {}

/** Resolves after `ms`; rejects with the abort reason when `signal` aborts first. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Races `promise` against `ms` and `signal`: rejects with a TimeoutError naming `what`, or with the
 * abort reason. The loser's later rejection is swallowed, so nothing surfaces as unhandled.
 */
export function withTimeout<T>(
  promise: Promise<T>,
  ms: number,
  what: string,
  signal: AbortSignal,
): Promise<T> {
  promise.catch(noop);
  return new Promise<T>((resolve, reject) => {
    if (signal.aborted) {
      reject(signal.reason);
      return;
    }
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
    };
    const onAbort = (): void => {
      done();
      reject(signal.reason);
    };
    const timer = setTimeout(() => {
      done();
      reject(new TimeoutError(what));
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (v) => {
        done();
        resolve(v);
      },
      (e: unknown) => {
        done();
        reject(e);
      },
    );
  });
}

/** Resolves with the first `event` fired on `target`; rejects on a `failOn` event, after `ms`, or on abort. */
export function waitForEvent(
  target: EventTarget,
  event: string,
  ms: number,
  signal: AbortSignal,
  failOn: readonly string[] = [],
): Promise<Event> {
  let cleanup = noop;
  const fired = new Promise<Event>((resolve, reject) => {
    const onEvent = (ev: Event): void => resolve(ev);
    const onFail = (ev: Event): void => reject(new Error(`${ev.type} while waiting for ${event}`));
    target.addEventListener(event, onEvent, { once: true });
    for (const f of failOn) target.addEventListener(f, onFail, { once: true });
    cleanup = () => {
      target.removeEventListener(event, onEvent);
      for (const f of failOn) target.removeEventListener(f, onFail);
    };
  });
  return withTimeout(fired, ms, event, signal).finally(() => cleanup());
}
