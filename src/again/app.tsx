/** Listen-again page: a mount's past broadcasts (title, date, length) and one player for them. */
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { Brand } from '../listen/brand.js';
import { formatElapsed } from '../listen/format.js';
import type { ListenAgainList } from '../shared/protocol.js';
import { paths } from '../shared/protocol.js';
import { fetchListenAgain } from '../web/listen-again.js';
import { mountFromAgainPath } from './mount.js';

type Recording = ListenAgainList['recordings'][number];

type View =
  | { kind: 'loading' }
  | { kind: 'error'; message: string }
  | { kind: 'list'; recordings: Recording[] };

/** What the page says when the list is refused. */
function refusalText(status: number, message: string): string {
  if (status === 404) return 'This channel has no listen-again.';
  if (status === 0) return `The list could not be loaded: ${message}`;
  return message;
}

function dateText(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime())
    ? iso
    : d.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

export function App() {
  const mount = useMemo(() => mountFromAgainPath(location.pathname), []);
  const [view, setView] = useState<View>({ kind: 'loading' });
  const [current, setCurrent] = useState<Recording | null>(null);
  const audioRef = useRef<HTMLAudioElement>(null);

  useEffect(() => {
    if (mount === null) {
      setView({ kind: 'error', message: 'No such channel.' });
      return;
    }
    const ac = new AbortController();
    fetchListenAgain(mount, ac.signal).then(
      (r) =>
        setView(
          r.ok
            ? { kind: 'list', recordings: r.list.recordings }
            : { kind: 'error', message: refusalText(r.status, r.message) },
        ),
      () => {}, // aborted: the page is going away
    );
    return () => ac.abort();
  }, [mount]);

  const play = (rec: Recording): void => {
    const audio = audioRef.current;
    if (!audio) return;
    setCurrent(rec);
    audio.src = rec.url;
    // Inside the click: allowed to play. A failure shows in the element's own controls.
    audio.play().catch(() => {});
  };

  return (
    <main class="card">
      <Brand mount={mount} />
      <h1 class="again__heading">Listen again</h1>
      {mount && (
        <p class="note">
          <a id="live-link" href={paths.listenPage(mount)}>
            Back to the live channel
          </a>
        </p>
      )}
      <section class="again__player" aria-label="Player">
        <p id="now" class="now__title">
          {current ? (current.title ?? 'Untitled broadcast') : 'Pick a broadcast to play it.'}
        </p>
        {/* biome-ignore lint/a11y/useMediaCaption: recorded speech; no caption track exists for it */}
        <audio id="player" ref={audioRef} controls preload="none" />
      </section>
      {view.kind === 'loading' && (
        <p id="state" class="note">
          Loading…
        </p>
      )}
      {view.kind === 'error' && (
        <p id="state" class="note" role="alert">
          {view.message}
        </p>
      )}
      {view.kind === 'list' && view.recordings.length === 0 && (
        <p id="state" class="note">
          No past broadcasts yet.
        </p>
      )}
      {view.kind === 'list' && view.recordings.length > 0 && (
        <ul id="recordings" class="again__list">
          {view.recordings.map((rec) => (
            <li key={rec.name} class="again__item">
              <button
                type="button"
                class={`again__play${current?.name === rec.name ? ' again__play--current' : ''}`}
                data-name={rec.name}
                onClick={() => play(rec)}
              >
                <span class="again__title">{rec.title ?? 'Untitled broadcast'}</span>
                <span class="again__meta">
                  <time dateTime={rec.startedAt}>{dateText(rec.startedAt)}</time>
                  <span aria-hidden="true"> · </span>
                  <span class="again__length">{formatElapsed(rec.durationMs)}</span>
                </span>
              </button>
            </li>
          ))}
        </ul>
      )}
    </main>
  );
}
