/** Broadcaster page: stream key, Go live / Stop, state, elapsed time, upload health, listeners and errors. */
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import type { StatusMessage } from '../shared/protocol.js';
import { DEFAULT_MOUNT, isValidMount, paths } from '../shared/protocol.js';
import { BroadcastError, toBroadcastError } from './errors.js';
import { formatElapsed } from './format.js';
import { Health } from './health.js';
import { KeyField } from './key-field.js';
import { Linkified } from './linkified.js';
import type { LiveBroadcast } from './live.js';
import { goLive } from './live.js';
import { preflight } from './preflight.js';
import { ServerBytes } from './server-bytes.js';
import { Share } from './share.js';
import { chooseTransport } from './transport.js';
import type { UploadProgress } from './upload.js';
import { useElapsed } from './use-elapsed.js';
import { useStatus } from './use-status.js';
import { useStoredKey } from './use-stored-key.js';

type Phase = 'ready' | 'starting' | 'live' | 'stopping' | 'stopped' | 'error';

/** Text of `#state` for each phase. */
const STATE_TEXT: Readonly<Record<Phase, string>> = {
  ready: 'Ready',
  starting: 'Starting…',
  live: 'Live',
  stopping: 'Stopping…',
  stopped: 'Stopped',
  error: 'Error',
};

const PAGE_TITLE = 'onair — broadcast';

function readMount(): string {
  return new URLSearchParams(location.search).get('mount') || DEFAULT_MOUNT;
}

export function App() {
  const mount = useMemo(readMount, []);
  const listenUrl = `${location.origin}${paths.listenPage(mount)}`;
  const plannedTransport = useMemo(chooseTransport, []);
  const serverBytes = useMemo(() => new ServerBytes(), []);

  const [key, setKey] = useStoredKey();
  const [phase, setPhase] = useState<Phase>('ready');
  const [error, setError] = useState<BroadcastError | null>(null);
  const [progress, setProgress] = useState<UploadProgress | null>(null);
  const [liveSince, setLiveSince] = useState<number | null>(null);
  const [liveUntil, setLiveUntil] = useState<number | null>(null);
  /** Server's bytesIn for our broadcast; kept after Stop so the final count stays on screen. */
  const [serverBytesIn, setServerBytesIn] = useState<number | null>(null);
  const elapsedMs = useElapsed(liveSince, liveUntil);

  /** The broadcast in progress (set once live). */
  const liveRef = useRef<LiveBroadcast | null>(null);
  /** Aborts the current broadcast's start, or tears it down on page teardown. */
  const broadcastAbortRef = useRef<AbortController | null>(null);
  /** True from Go live until the broadcast ends: only then is bytesIn ours. */
  const activeRef = useRef(false);

  const { status, connection } = useStatus(mount, (msg: StatusMessage) => {
    if (!activeRef.current || msg.state !== 'live') return;
    serverBytes.update(msg.bytesIn);
    setServerBytesIn(msg.bytesIn);
  });

  // Say at once what would stop a broadcast (bad mount, plain http, unsupported browser).
  useEffect(() => {
    const ac = new AbortController();
    void preflight(mount, ac.signal).then((err) => {
      if (!err || ac.signal.aborted) return;
      setError(err);
      setPhase('error');
    });
    return () => ac.abort();
  }, [mount]);

  // Page teardown ends the broadcast at once.
  useEffect(() => () => broadcastAbortRef.current?.abort(), []);

  const busy = phase === 'starting' || phase === 'live' || phase === 'stopping';
  useEffect(() => {
    document.title = phase === 'live' ? `● LIVE — ${PAGE_TITLE}` : PAGE_TITLE;
    if (!busy) return;
    const warn = (ev: BeforeUnloadEvent): void => {
      ev.preventDefault();
      // Older Chromium shows the prompt only when returnValue is set.
      ev.returnValue = '';
    };
    window.addEventListener('beforeunload', warn);
    return () => window.removeEventListener('beforeunload', warn);
  }, [phase, busy]);

  const onGoLive = async (): Promise<void> => {
    if (activeRef.current) return;
    activeRef.current = true;
    const ac = new AbortController();
    broadcastAbortRef.current = ac;
    setError(null);
    setProgress(null);
    setServerBytesIn(null);
    setLiveSince(null);
    setLiveUntil(null);
    setPhase('starting');
    try {
      const blocked = await preflight(mount, ac.signal);
      if (blocked) throw blocked;
      const streamKey = key.trim();
      if (!streamKey) {
        throw new BroadcastError(
          'BAD_KEY',
          'Enter the stream key first. The onair server prints it when it starts; it is also in the file data/stream-key.',
        );
      }
      const live = await goLive(
        { mount, streamKey, serverBytes },
        {
          onProgress: setProgress,
          onFailure: (err) => {
            liveRef.current = null;
            activeRef.current = false;
            setLiveUntil(Date.now());
            setError(err);
            setPhase('error');
          },
        },
        ac.signal,
      );
      // A failure may already have ended it between going live and now.
      if (!activeRef.current) return;
      liveRef.current = live;
      setLiveSince(Date.now());
      setPhase('live');
    } catch (err) {
      activeRef.current = false;
      if (ac.signal.aborted) {
        setPhase('stopped');
        return;
      }
      setError(toBroadcastError(err));
      setPhase('error');
    }
  };

  const onStop = async (): Promise<void> => {
    const live = liveRef.current;
    if (!live) {
      // Still starting: cancel the start.
      broadcastAbortRef.current?.abort();
      return;
    }
    liveRef.current = null;
    setLiveUntil(Date.now());
    setPhase('stopping');
    await live.stop();
    activeRef.current = false;
    setPhase('stopped');
  };

  const stateClass = `state state-${phase}`;
  return (
    <main class="broadcast">
      <header class="top">
        <h1>
          onair <span class="sub">broadcast</span>
        </h1>
        <p class="mount">
          Channel: <strong id="mount">{mount}</strong>
        </p>
      </header>

      <form
        class={phase === 'live' ? 'controls on-air' : 'controls'}
        aria-label="Broadcast"
        onSubmit={(ev) => {
          ev.preventDefault();
          void onGoLive();
        }}
      >
        <KeyField value={key} onChange={setKey} disabled={busy} />
        <div class="buttons">
          <button id="golive" type="submit" class="golive" disabled={busy}>
            Go live
          </button>
          <button
            id="stop"
            type="button"
            class="stop"
            onClick={onStop}
            disabled={phase !== 'starting' && phase !== 'live'}
          >
            Stop
          </button>
        </div>
        <div class="now">
          <p id="state" class={stateClass} role="status" aria-live="polite">
            {STATE_TEXT[phase]}
          </p>
          <p class="elapsed">
            <span class="sr-only">Time on air: </span>
            <time id="elapsed">{formatElapsed(elapsedMs)}</time>
          </p>
        </div>
        <p id="error" class="error" role="alert">
          {error ? <Linkified text={error.message} /> : null}
        </p>
      </form>

      {isValidMount(mount) ? (
        <Share listenUrl={listenUrl} listeners={connection === 'open' && status ? status.listeners : null} />
      ) : null}

      <Health progress={progress} plannedTransport={plannedTransport} serverBytes={serverBytesIn} />
    </main>
  );
}
