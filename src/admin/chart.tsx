/** Listeners over the last hours: one line of every channel's total, one sample a minute (the server keeps 24 h). */
import type { AdminChannelList } from '../shared/protocol.js';

const WIDTH = 600;
const HEIGHT = 120;

export function ListenerChart({ history }: { history: AdminChannelList['history'] }) {
  if (history.length < 2) return <p class="muted">The listener chart starts after a few minutes.</p>;
  const totals = history.map((s) => Object.values(s.listeners).reduce((a, b) => a + b, 0));
  const max = Math.max(1, ...totals);
  const points = totals
    .map(
      (n, i) =>
        `${((i / (totals.length - 1)) * WIDTH).toFixed(1)},${(HEIGHT - (n / max) * (HEIGHT - 10)).toFixed(1)}`,
    )
    .join(' ');
  return (
    <figure>
      <svg
        class="chart"
        viewBox={`0 0 ${WIDTH} ${HEIGHT}`}
        preserveAspectRatio="none"
        role="img"
        aria-label="listeners over time"
      >
        <polyline points={points} fill="none" stroke="currentColor" stroke-width="2" />
      </svg>
      <figcaption class="muted">
        Listeners, all channels: peak {max}, since {new Date(history[0]?.at ?? '').toLocaleTimeString()}
      </figcaption>
    </figure>
  );
}
