/** NowPlaying: title, listener count and time on air of the live broadcast. */
import type { StatusMessage } from '../shared/protocol.js';
import { formatElapsed, listenersText } from './format.js';
import { useNow } from './use-now.js';

/** The elapsed clock ticks this often. */
const CLOCK_TICK_MS = 1_000;

export function NowPlaying({ status }: { status: StatusMessage }) {
  const now = useNow(CLOCK_TICK_MS, status.startedAt !== null);
  const started = status.startedAt === null ? Number.NaN : Date.parse(status.startedAt);
  return (
    <section class="now" aria-label="Now playing">
      {status.title && (
        <h2 id="title" class="now__title">
          {status.title}
        </h2>
      )}
      <p class="now__meta">
        <span id="listeners">{listenersText(status.listeners)}</span>
        {Number.isFinite(started) && (
          <>
            <span aria-hidden="true"> · </span>
            <span id="elapsed">on air {formatElapsed(now - started)}</span>
          </>
        )}
      </p>
    </section>
  );
}
