/**
 * Broadcaster page: channel, stream key, pre-flight checks, microphone (picker, level, mute), title,
 * Go live / Stop, state, elapsed time, upload health, listeners, share link and QR code, errors.
 */
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import type { ServerInfo, StatusMessage } from '../shared/protocol.js';
import { DEFAULT_MOUNT, isValidMount, paths } from '../shared/protocol.js';
import { useStatus } from '../web/use-status.js';
import { Checklist } from './checklist.js';
import { BroadcastError, toBroadcastError } from './errors.js';
import { formatElapsed } from './format.js';
import { Health } from './health.js';
import { KeyField } from './key-field.js';
import { Linkified } from './linkified.js';
import type { LiveBroadcast } from './live.js';
import { goLive } from './live.js';
import { MicPanel } from './mic-panel.js';
import { MountField } from './mount-field.js';
import { preflight } from './preflight.js';
import { openMicrophone, stopTracks } from './recorder.js';
import { ServerBytes } from './server-bytes.js';
import { fetchServerInfo, sendTitle } from './session.js';
import { Share, shareUrl } from './share.js';
import { TitleField } from './title-field.js';
import { chooseTransport } from './transport.js';
import type { UploadProgress } from './upload.js';
import { useMicrophones } from './use-devices.js';
import { useElapsed } from './use-elapsed.js';
import { useLevel } from './use-level.js';
import { useStoredKey } from './use-stored-key.js';
import { useWakeLock } from './use-wake-lock.js';

/** localStorage key of the chosen microphone. */
const MIC_STORAGE_KEY = 'onair.mic';

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

function storedMic(): string {
  try {
    return localStorage.getItem(MIC_STORAGE_KEY) ?? '';
  } catch {
    return '';
  }
}

export function App() {
  const [mount, setMount] = useState(readMount);
  const [info, setInfo] = useState<ServerInfo | null>(null);
  useEffect(() => {
    const ac = new AbortController();
    void fetchServerInfo(ac.signal).then((i) => {
      if (!ac.signal.aborted) setInfo(i);
    });
    return () => ac.abort();
  }, []);
  const listenUrl = shareUrl(mount, info);
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
  const [deviceId, setDeviceId] = useState(storedMic);
  /** The microphone open for a test before going live. */
  const [preview, setPreview] = useState<MediaStream | null>(null);
  /** The microphone being broadcast. */
  const [liveMic, setLiveMic] = useState<MediaStream | null>(null);
  const [muted, setMuted] = useState(false);
  const [title, setTitle] = useState('');
  const level = useLevel(liveMic ?? preview);
  const mics = useMicrophones(liveMic ?? preview);

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
  const wakeLock = useWakeLock(phase === 'live');

  // A test microphone that is replaced or given up is closed.
  useEffect(
    () => () => {
      if (preview) stopTracks(preview);
    },
    [preview],
  );

  const onTestMic = async (): Promise<void> => {
    if (preview) {
      setPreview(null);
      return;
    }
    try {
      setPreview(await openMicrophone(new AbortController().signal, deviceId || undefined));
    } catch (err) {
      setError(toBroadcastError(err));
    }
  };
  const onDevice = (id: string): void => {
    setDeviceId(id);
    try {
      localStorage.setItem(MIC_STORAGE_KEY, id);
    } catch {
      // Private mode: the choice lasts for this page only.
    }
    if (preview) {
      stopTracks(preview);
      void openMicrophone(new AbortController().signal, id || undefined).then(setPreview, (err: unknown) => {
        setPreview(null);
        setError(toBroadcastError(err));
      });
    }
  };
  const onMute = (): void => {
    const next = !muted;
    for (const t of liveMic?.getAudioTracks() ?? []) t.enabled = !next;
    setMuted(next);
  };
  const onSendTitle = (): void => {
    const live = liveRef.current;
    if (live) void sendTitle(mount, live.session.sessionId, title, new AbortController().signal);
  };
  const onMount = (name: string): void => {
    history.replaceState(null, '', `${paths.broadcastPage}?mount=${encodeURIComponent(name)}`);
    setMount(name);
    setError(null);
    setPhase('ready');
  };
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
      // The test microphone gives way to the broadcast's own.
      setPreview(null);
      const live = await goLive(
        { mount, streamKey, serverBytes, ...(deviceId ? { deviceId } : {}) },
        {
          onProgress: setProgress,
          onFailure: (err) => {
            liveRef.current = null;
            setLiveMic(null);
            setMuted(false);
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
      setLiveMic(live.mic);
      setMuted(false);
      setLiveSince(Date.now());
      setPhase('live');
      if (title.trim()) void sendTitle(mount, live.session.sessionId, title, ac.signal);
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
    setLiveMic(null);
    setMuted(false);
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
        <MountField mount={mount} disabled={busy} onChange={onMount} />
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
        <TitleField
          value={title}
          onChange={setTitle}
          live={phase === 'live'}
          onSend={onSendTitle}
          current={status?.state === 'live' ? status.title : null}
        />
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
        {phase === 'live' && (
          <p id="wake-lock" class="note">
            {wakeLock === 'held'
              ? 'This screen stays on while you are live.'
              : 'Keep this tab open and the computer awake while you are live.'}
          </p>
        )}
        <p id="error" class="error" role="alert">
          {error ? <Linkified text={error.message} /> : null}
        </p>
      </form>

      <MicPanel
        mics={mics}
        deviceId={deviceId}
        onDevice={onDevice}
        level={liveMic || preview ? level : null}
        live={phase === 'live' || phase === 'starting'}
        testing={preview !== null}
        onTest={() => void onTestMic()}
        muted={muted}
        onMute={onMute}
      />

      {!busy && <Checklist mount={mount} streamKey={key} />}

      {isValidMount(mount) ? (
        <Share
          mount={mount}
          listenUrl={listenUrl}
          listeners={connection === 'open' && status ? status.listeners : null}
        />
      ) : null}

      <Health progress={progress} plannedTransport={plannedTransport} serverBytes={serverBytesIn} />
    </main>
  );
}
