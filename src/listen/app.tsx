/** App: wires the status socket, autoplay and the player to the page. */
import { useContext, useEffect, useMemo, useRef, useState } from 'preact/hooks';
import type { StatusMessage } from '../shared/protocol.js';
import { paths } from '../shared/protocol.js';
import { useStatus } from '../web/use-status.js';
import { unlockAudio } from './autoplay.js';
import { Brand } from './brand.js';
import { Controls } from './controls.js';
import { Details } from './details.js';
import { JoinRecheck } from './join-prompt.js';
import { mountFromPath } from './mount.js';
import { NowPlaying } from './now-playing.js';
import { useAutoplay } from './use-autoplay.js';
import { useListenAgain } from './use-listen-again.js';
import { useMediaSession } from './use-media-session.js';
import { usePlayer } from './use-player.js';
import { describePage } from './view-model.js';

export function App() {
  const mount = useMemo(() => mountFromPath(location.pathname), []);
  const audioRef = useRef<HTMLAudioElement>(null);
  // The packets rung's stream carries the status while it plays; the status socket closes meanwhile.
  const [inBand, setInBand] = useState<StatusMessage | null>(null);
  const { status, connection, error: statusError } = useStatus(mount, undefined, inBand);
  const autoplay = useAutoplay();
  const [stopped, setStopped] = useState(false);
  const [retryToken, setRetryToken] = useState(0);

  const live = status?.state === 'live';
  const pastBroadcasts = useListenAgain(mount, status?.state === 'offline', live);
  // A new broadcast (startedAt) or a "Try again" (retryToken) starts a fresh player.
  const sessionKey = `${status?.startedAt ?? ''}#${retryToken}`;
  const player = usePlayer(
    audioRef,
    mount,
    live && autoplay.armed && !stopped,
    sessionKey,
    setInBand,
    status?.format,
    status?.sourceIntervalMs ?? null,
  );
  // The server cut this page for a change of who may listen, or refuses its stream: ask the gate.
  const recheckJoin = useContext(JoinRecheck);
  const refused =
    statusError?.code === 'CHANNEL_ACCESS_CHANGED' ||
    ((player.phase === 'retrying' || player.phase === 'failed') && player.error?.code === 'PRIVATE');
  useEffect(() => {
    if (refused) recheckJoin();
  }, [refused, recheckJoin]);
  const view = describePage({
    mountValid: mount !== null,
    status,
    connection,
    statusError,
    autoplayChecked: autoplay.checked,
    armed: autoplay.armed,
    stopped,
    player,
  });

  // Runs inside the click: play() on the element now is what lets it play by itself later.
  const listen = (): void => {
    if (audioRef.current) unlockAudio(audioRef.current);
    autoplay.arm();
    setStopped(false);
  };
  const stop = (): void => setStopped(true);
  const retry = (): void => {
    listen();
    setRetryToken((t) => t + 1);
  };
  useMediaSession({
    active: live && autoplay.armed,
    title: status?.title ?? `Live on ${mount ?? ''}`,
    station: `onair · ${mount ?? ''}`,
    onPlay: listen,
    onStop: stop,
  });

  return (
    <main class="card">
      <Brand mount={mount} />
      <p id="status" role="status" aria-live="polite" class={`badge badge--${view.badge}`}>
        {view.statusText}
      </p>
      <p id="note" class="note">
        {view.note}
      </p>
      {view.showTap && (
        <button id="tap" type="button" class="tap" onClick={listen}>
          Tap to listen
        </button>
      )}
      {view.showRetry && (
        <button id="retry" type="button" class="tap" onClick={retry}>
          Try again
        </button>
      )}
      {live && status && <NowPlaying status={status} />}
      {mount && pastBroadcasts > 0 && (
        <p class="note">
          <a id="again" href={paths.listenAgainPage(mount)} target="_top">
            Listen again: {pastBroadcasts === 1 ? '1 past broadcast' : `${pastBroadcasts} past broadcasts`}
          </a>
        </p>
      )}
      <Controls
        audioRef={audioRef}
        toggle={view.toggle}
        showVolume={live && autoplay.armed}
        onStop={stop}
        onPlay={listen}
      />
      <Details
        audioRef={audioRef}
        live={live}
        format={status?.format}
        sourceIntervalMs={status?.sourceIntervalMs}
      />
      {/* biome-ignore lint/a11y/useMediaCaption: live speech; no caption track exists for it */}
      <audio id="player" ref={audioRef} preload="none" />
    </main>
  );
}
