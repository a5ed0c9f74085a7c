/**
 * Private channels: while the listener page starts, it asks the server whether this channel is
 * private and whether this browser has joined it (`GET /api/join/<mount>`). If not, the join-code
 * prompt replaces the player (whose stream and status socket the server refuses with 403 meanwhile);
 * a right code sets the channel's cookie (HttpOnly, so the page never sees it) and the player starts.
 * The page does not wait for the answer: a public channel's listener starts at once.
 *
 * When the organiser makes the channel private or rotates its join secret, the server cuts the
 * page's stream and status socket (CHANNEL_ACCESS_CHANGED); the page then asks again
 * (`JoinRecheck`): a browser whose cookie is still good plays on, any other gets the prompt.
 */
import type { ComponentChildren } from 'preact';
import { createContext } from 'preact';
import { useCallback, useEffect, useState } from 'preact/hooks';
import type { JoinState } from '../shared/protocol.js';
import { MAX_JOIN_CODE_CHARS, parseErrorBody, paths } from '../shared/protocol.js';
import { Brand } from './brand.js';
import { mountFromPath } from './mount.js';

/** The join check and the code POST give up after this long (the page then shows the player). */
const REQUEST_TIMEOUT_MS = 5_000;

type Gate = 'open' | 'closed';

/** Asks the gate around the player to check again whether this browser may listen. */
export const JoinRecheck = createContext<() => void>(() => {});

/** The code field: large enough to type on a phone (listen.css has no input styles of its own). */
const CODE_STYLE = {
  display: 'block',
  width: '100%',
  boxSizing: 'border-box',
  margin: '0.5rem 0 1rem',
  padding: '0.6rem',
  fontSize: '1.4rem',
  letterSpacing: '0.15em',
  textAlign: 'center',
} as const;

export function JoinGate({ children }: { children: ComponentChildren }) {
  const [mount] = useState(() => mountFromPath(location.pathname));
  const [gate, setGate] = useState<Gate>('open');
  const [round, setRound] = useState(0);
  const recheck = useCallback(() => setRound((r) => r + 1), []);
  useEffect(() => {
    void round;
    if (!mount) return;
    fetch(paths.join(mount), { signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) })
      .then((res) => (res.ok ? (res.json() as Promise<JoinState>) : null))
      .then(
        (s) => {
          if (s?.private && !s.joined) setGate('closed');
        },
        // No answer: the player goes on and finds out for itself (a 403 is then its error).
        () => {},
      );
  }, [mount, round]);
  if (gate === 'closed' && mount) return <JoinPrompt mount={mount} onJoined={() => setGate('open')} />;
  return <JoinRecheck.Provider value={recheck}>{children}</JoinRecheck.Provider>;
}

function JoinPrompt({ mount, onJoined }: { mount: string; onJoined: () => void }) {
  const [code, setCode] = useState('');
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event): Promise<void> => {
    e.preventDefault();
    setBusy(true);
    setError('');
    try {
      const res = await fetch(paths.join(mount), {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ code }),
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
      if (res.ok) {
        onJoined();
        return;
      }
      const err = parseErrorBody(await res.json().catch(() => null));
      setError(
        err?.code === 'AUTH_RATE_LIMITED'
          ? err.message
          : 'That code is not right. Check it with your organiser.',
      );
    } catch {
      setError('The server did not answer; try again.');
    } finally {
      setBusy(false);
    }
  };
  return (
    <main class="card">
      <Brand mount={mount} />
      <p id="status" role="status" class="badge badge--offline">
        PRIVATE
      </p>
      <form id="join" class="join" onSubmit={(e) => void submit(e)}>
        <label for="join-code">This channel is private. Type the join code you were given:</label>
        <input
          id="join-code"
          autocomplete="off"
          autocapitalize="off"
          inputMode="text"
          maxLength={MAX_JOIN_CODE_CHARS}
          value={code}
          onInput={(e) => setCode(e.currentTarget.value)}
          style={CODE_STYLE}
        />
        <button id="join-submit" type="submit" class="tap" disabled={busy || code.trim() === ''}>
          Join
        </button>
        {error && (
          <p id="join-error" class="note" role="alert">
            {error}
          </p>
        )}
      </form>
    </main>
  );
}
