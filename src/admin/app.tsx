/** The organiser's dashboard: sign in, channels (state, listeners, keys, join links, kick), recordings, a listener chart. */
import { useCallback, useEffect, useState } from 'preact/hooks';
import type {
  AdminChannel,
  AdminChannelList,
  ChannelCreated,
  ChannelKey,
  ChannelVisibility,
  RecordingList,
} from '../shared/protocol.js';
import { paths } from '../shared/protocol.js';
import { AdminApiError, call } from './api.js';
import { ListenerChart } from './chart.js';

/** How often the channel list (state, listeners) is fetched again. */
const REFRESH_MS = 5_000;

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export function App() {
  const [signedIn, setSignedIn] = useState<boolean | null>(null);
  useEffect(() => {
    call<void>('GET', paths.adminSession).then(
      () => setSignedIn(true),
      () => setSignedIn(false),
    );
  }, []);
  if (signedIn === null) return <p>Loading…</p>;
  if (!signedIn) return <SignIn onDone={() => setSignedIn(true)} />;
  return <Dashboard onSignOut={() => setSignedIn(false)} />;
}

function SignIn({ onDone }: { onDone: () => void }) {
  const [token, setToken] = useState('');
  const [error, setError] = useState('');
  const submit = (e: Event): void => {
    e.preventDefault();
    call<void>('POST', paths.adminSession, { token }).then(onDone, (err: unknown) => setError(message(err)));
  };
  return (
    <main>
      <h1>onair · organiser</h1>
      <form id="sign-in" onSubmit={submit}>
        <label>
          Admin token (printed by the server at its first start, kept in the data directory)
          <input
            id="admin-token"
            type="password"
            autocomplete="current-password"
            value={token}
            onInput={(e) => setToken(e.currentTarget.value)}
          />
        </label>
        <div class="row">
          <button type="submit">Sign in</button>
          {error && (
            <span class="error" role="alert">
              {error}
            </span>
          )}
        </div>
      </form>
    </main>
  );
}

function Dashboard({ onSignOut }: { onSignOut: () => void }) {
  const [list, setList] = useState<AdminChannelList | null>(null);
  const [recordings, setRecordings] = useState<RecordingList['recordings']>([]);
  const [error, setError] = useState('');
  /** A stream key or join link just made: shown once, until dismissed. */
  const [secret, setSecret] = useState<{ label: string; value: string } | null>(null);

  const refresh = useCallback(() => {
    call<AdminChannelList>('GET', paths.adminChannels).then(setList, (err: unknown) => {
      if (err instanceof AdminApiError && err.status === 401) onSignOut();
      else setError(message(err));
    });
    call<RecordingList>('GET', paths.adminRecordings).then(
      (r) => setRecordings(r.recordings),
      () => {},
    );
  }, [onSignOut]);
  useEffect(() => {
    refresh();
    const timer = setInterval(refresh, REFRESH_MS);
    return () => clearInterval(timer);
  }, [refresh]);

  const act = (p: Promise<unknown>): void => {
    setError('');
    p.then(refresh, (err: unknown) => setError(message(err)));
  };
  const signOut = (): void => {
    call<void>('DELETE', paths.adminSession).finally(onSignOut);
  };

  return (
    <main>
      <h1>
        onair · organiser
        <button id="sign-out" type="button" onClick={signOut}>
          Sign out
        </button>
      </h1>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      {secret && (
        <div class="card" id="secret">
          <strong>{secret.label}</strong> (shown once: copy it now)
          <p class="secret" id="secret-value">
            {secret.value}
          </p>
          <button type="button" onClick={() => setSecret(null)}>
            Done
          </button>
        </div>
      )}
      <CreateChannel
        onCreated={(made) => {
          setSecret({ label: `Host key of ${made.channel.name}`, value: made.streamKey });
          refresh();
        }}
        onError={setError}
      />
      <h2>Channels</h2>
      {list?.channels.length === 0 && (
        <p class="muted">
          No channels yet. Mounts that are not channels take the operator key and are public.
        </p>
      )}
      {list?.channels.map((c) => (
        <ChannelCard
          key={c.name}
          channel={c}
          act={act}
          showSecret={(label, value) => setSecret({ label, value })}
        />
      ))}
      {list && <ListenerChart history={list.history} />}
      <h2>Recordings</h2>
      <Recordings recordings={recordings} act={act} />
    </main>
  );
}

function CreateChannel({
  onCreated,
  onError,
}: {
  onCreated: (c: ChannelCreated) => void;
  onError: (m: string) => void;
}) {
  const [name, setName] = useState('');
  const [title, setTitle] = useState('');
  const [visibility, setVisibility] = useState<ChannelVisibility>('public');
  const [record, setRecord] = useState(true);
  const submit = (e: Event): void => {
    e.preventDefault();
    call<ChannelCreated>('POST', paths.adminChannels, { name, title, visibility, record }).then(
      (made) => {
        setName('');
        setTitle('');
        onCreated(made);
      },
      (err: unknown) => onError(message(err)),
    );
  };
  return (
    <form id="create" onSubmit={submit}>
      <strong>New channel</strong>
      <div class="row">
        <label>
          Name (in its link)
          <input
            id="new-name"
            required
            pattern="[a-z0-9][a-z0-9_\-]{0,63}"
            value={name}
            onInput={(e) => setName(e.currentTarget.value)}
          />
        </label>
        <label>
          Title
          <input
            id="new-title"
            maxLength={200}
            value={title}
            onInput={(e) => setTitle(e.currentTarget.value)}
          />
        </label>
        <label>
          Who may listen
          <select
            id="new-visibility"
            value={visibility}
            onChange={(e) => setVisibility(e.currentTarget.value as ChannelVisibility)}
          >
            <option value="public">anyone with the link</option>
            <option value="private">private: join link or code</option>
          </select>
        </label>
        <label>
          <span>
            <input type="checkbox" checked={record} onChange={(e) => setRecord(e.currentTarget.checked)} />{' '}
            record
          </span>
        </label>
        <button id="create-channel" type="submit">
          Create
        </button>
      </div>
    </form>
  );
}

interface CardProps {
  channel: AdminChannel;
  act: (p: Promise<unknown>) => void;
  showSecret: (label: string, value: string) => void;
}

function ChannelCard({ channel: c, act, showSecret }: CardProps) {
  const joinUrl = c.joinPath ? `${location.origin}${c.joinPath}` : null;
  const rotateKey = (): void =>
    act(
      call<ChannelKey>('POST', paths.adminRotateKey(c.name)).then((k) =>
        showSecret(`New host key of ${c.name}`, k.streamKey),
      ),
    );
  return (
    <section class="card channel" data-channel={c.name}>
      <header>
        <strong>
          {c.title || c.name} <span class="muted">/{c.name}</span>
        </strong>
        <span class={`badge ${c.live ? 'live' : ''}`}>{c.live ? 'LIVE' : 'OFFLINE'}</span>
      </header>
      <p class="muted">
        {c.visibility === 'private' ? 'Private' : 'Public'} · {c.listeners} listening now
        {c.live &&
          c.source &&
          ` · source ${c.source.transport}${c.source.address ? ` from ${c.source.address}` : ''}`}
        {c.nowTitle && ` · “${c.nowTitle}”`}
      </p>
      <p>
        Listener link:{' '}
        <a href={paths.listenPage(c.name)}>{`${location.origin}${paths.listenPage(c.name)}`}</a>
      </p>
      {joinUrl && (
        <p>
          Join link: <span class="secret join-link">{joinUrl}</span>
          <br />
          Join code: <span class="secret join-code">{c.joinCode}</span>
        </p>
      )}
      <div class="row">
        <button type="button" class="rotate-key" onClick={rotateKey}>
          New host key
        </button>
        {c.visibility === 'private' && (
          <button type="button" onClick={() => act(call('POST', paths.adminRotateJoin(c.name)))}>
            New join link and code
          </button>
        )}
        <button
          type="button"
          onClick={() =>
            act(
              call('PATCH', paths.adminChannel(c.name), {
                visibility: c.visibility === 'private' ? 'public' : 'private',
              }),
            )
          }
        >
          Make {c.visibility === 'private' ? 'public' : 'private'}
        </button>
        {c.live && (
          <button type="button" class="kick" onClick={() => act(call('POST', paths.adminKick(c.name)))}>
            Kick source
          </button>
        )}
        <button
          type="button"
          onClick={() => {
            if (confirm(`Delete channel ${c.name}? Its key stops working.`))
              act(call('DELETE', paths.adminChannel(c.name)));
          }}
        >
          Delete
        </button>
      </div>
    </section>
  );
}

function Recordings({
  recordings,
  act,
}: {
  recordings: RecordingList['recordings'];
  act: (p: Promise<unknown>) => void;
}) {
  if (recordings.length === 0) return <p class="muted">No recordings.</p>;
  return (
    <table>
      <thead>
        <tr>
          <th>channel</th>
          <th>started</th>
          <th>size</th>
          <th>play</th>
          <th />
        </tr>
      </thead>
      <tbody>
        {recordings.map((r) => {
          const url = paths.adminRecording(r.mount, r.name);
          return (
            <tr key={`${r.mount}/${r.name}`}>
              <td>{r.mount}</td>
              <td>{new Date(r.startedAt).toLocaleString()}</td>
              <td>{(r.bytes / 1e6).toFixed(1)} MB</td>
              <td>
                {/* biome-ignore lint/a11y/useMediaCaption: recorded live speech; no caption track exists for it */}
                <audio controls preload="none" src={url} />
              </td>
              <td>
                <a href={url} download>
                  Download
                </a>{' '}
                {!r.live && (
                  <button type="button" onClick={() => act(call('DELETE', url))}>
                    Delete
                  </button>
                )}
              </td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}
