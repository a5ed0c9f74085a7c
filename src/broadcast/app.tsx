/**
 * Broadcaster page: channel, stream key, pre-flight checks, microphone (picker, level, mute), title,
 * Go live / Stop, state, elapsed time, upload health, listeners, share link and QR code, errors.
 * The broadcast itself is `useBroadcast()` (a reducer over `broadcast-state.ts`); the test
 * microphone is `useMicPreview()`; this component wires them to the widgets.
 */
import { useEffect, useMemo, useState } from 'preact/hooks';
import type { ServerInfo } from '../shared/protocol.js';
import { DEFAULT_MOUNT, isValidMount, paths } from '../shared/protocol.js';
import { useStatus } from '../web/use-status.js';
import { isBusy, STATE_TEXT } from './broadcast-state.js';
import { Checklist } from './checklist.js';
import { formatElapsed } from './format.js';
import { Health } from './health.js';
import { KeyField } from './key-field.js';
import { Linkified } from './linkified.js';
import { MicPanel } from './mic-panel.js';
import { MountField } from './mount-field.js';
import { fetchServerInfo } from './session.js';
import { Share, shareUrl } from './share.js';
import { TitleField } from './title-field.js';
import { chooseTransport } from './transport.js';
import { useBroadcast } from './use-broadcast.js';
import { useMicrophones } from './use-devices.js';
import { useElapsed } from './use-elapsed.js';
import { useJoinPath } from './use-join-path.js';
import { useLevel } from './use-level.js';
import { useMicPreview } from './use-mic-preview.js';
import { useStoredKey } from './use-stored-key.js';
import { useWakeLock } from './use-wake-lock.js';

function readMount(): string {
  return new URLSearchParams(location.search).get('mount') || DEFAULT_MOUNT;
}

function useServerInfo(): ServerInfo | null {
  const [info, setInfo] = useState<ServerInfo | null>(null);
  useEffect(() => {
    const ac = new AbortController();
    void fetchServerInfo(ac.signal).then((i) => {
      if (!ac.signal.aborted) setInfo(i);
    });
    return () => ac.abort();
  }, []);
  return info;
}

export function App() {
  const [mount, setMount] = useState(readMount);
  const info = useServerInfo();
  const plannedTransport = useMemo(chooseTransport, []);
  const [key, setKey] = useStoredKey();
  const [title, setTitle] = useState('');
  const mic = useMicPreview((err) => broadcast.showError(err));
  const broadcast = useBroadcast({
    mount,
    streamKey: key,
    deviceId: mic.deviceId,
    title,
    yieldMic: mic.release,
  });
  const { phase, error, progress, liveMic, muted } = broadcast.state;
  // A private channel's listeners need its join link: the QR code and share link carry it.
  const joinPath = useJoinPath(mount, key, phase === 'live');
  const listenUrl = joinPath ? `${new URL(shareUrl(mount, info)).origin}${joinPath}` : shareUrl(mount, info);
  const { status, connection } = useStatus(mount, broadcast.onStatus);
  const elapsedMs = useElapsed(broadcast.state.liveSince, broadcast.state.liveUntil);
  const level = useLevel(liveMic ?? mic.preview);
  const mics = useMicrophones(liveMic ?? mic.preview);
  const busy = isBusy(phase);
  const wakeLock = useWakeLock(phase === 'live');

  const onMount = (name: string): void => {
    history.replaceState(null, '', `${paths.broadcastPage}?mount=${encodeURIComponent(name)}`);
    setMount(name);
    broadcast.mountChanged();
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
          void broadcast.goLive();
        }}
      >
        <KeyField value={key} onChange={setKey} disabled={busy} />
        <TitleField
          value={title}
          onChange={setTitle}
          live={phase === 'live'}
          onSend={() => broadcast.sendTitle(title)}
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
            onClick={() => void broadcast.stop()}
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
        deviceId={mic.deviceId}
        onDevice={mic.choose}
        level={liveMic || mic.preview ? level : null}
        live={phase === 'live' || phase === 'starting'}
        testing={mic.preview !== null}
        onTest={() => void mic.toggle()}
        muted={muted}
        onMute={() => broadcast.setMuted(!muted)}
      />

      {!busy && <Checklist mount={mount} streamKey={key} />}

      {isValidMount(mount) ? (
        <Share
          mount={mount}
          listenUrl={listenUrl}
          listeners={connection === 'open' && status ? status.listeners : null}
        />
      ) : null}

      <Health
        progress={progress}
        plannedTransport={plannedTransport}
        serverBytes={broadcast.state.serverBytesIn}
      />
    </main>
  );
}
