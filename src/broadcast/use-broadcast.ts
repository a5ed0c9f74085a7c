/**
 * useBroadcast(): one broadcast from Go live to Stop, over the pure state machine in
 * `broadcast-state.ts`. Runs the pre-flight check for the mount, starts and stops `goLive`, mutes,
 * sends the title, takes the server's byte count from the status socket, and keeps the page honest
 * while live (tab title, a warning before closing the tab). Page teardown ends the broadcast at once.
 */
import { useEffect, useMemo, useReducer, useRef } from 'preact/hooks';
import type { StatusMessage } from '../shared/protocol.js';
import { type BroadcastState, broadcastReducer, INITIAL_STATE, isBusy } from './broadcast-state.js';
import { BroadcastError, toBroadcastError } from './errors.js';
import { goLive, type LiveBroadcast } from './live.js';
import { preflight } from './preflight.js';
import { ServerBytes } from './server-bytes.js';
import { sendTitle } from './session.js';

const PAGE_TITLE = 'onair — broadcast';

const NO_KEY_MESSAGE =
  'Enter the stream key first. The onair server prints it when it starts; it is also in the file data/stream-key.';

export interface BroadcastInput {
  mount: string;
  streamKey: string;
  /** Microphone chosen on the page; '' for the default one. */
  deviceId: string;
  /** The title typed so far; sent when the broadcast goes live. */
  title: string;
  /** Called just before the broadcast opens its microphone (the test microphone gives way). */
  yieldMic(): void;
}

export interface Broadcast {
  state: BroadcastState;
  goLive(): Promise<void>;
  /** Stops a live broadcast (the last audio is sent first), or cancels a start. */
  stop(): Promise<void>;
  setMuted(muted: boolean): void;
  /** Sends the title now (while live). */
  sendTitle(title: string): void;
  /** For useStatus: this mount's status messages (the server's byte count while ours is live). */
  onStatus(msg: StatusMessage): void;
  /** Another mount was chosen (only while not busy). */
  mountChanged(): void;
  /** The microphone test failed, or another error beside the broadcast to show. */
  showError(err: unknown): void;
}

/** The broadcast under way: from Go live until it has ended. */
interface Run {
  readonly abort: AbortController;
  live: LiveBroadcast | null;
}

export function useBroadcast(input: BroadcastInput): Broadcast {
  const [state, dispatch] = useReducer(broadcastReducer, INITIAL_STATE);
  const serverBytes = useMemo(() => new ServerBytes(), []);
  const inputRef = useRef(input);
  inputRef.current = input;
  /** Set from Go live until the broadcast ends: only then is the server's bytesIn ours. */
  const runRef = useRef<Run | null>(null);
  const { mount } = input;
  const { phase } = state;

  // Say at once what would stop a broadcast (bad mount, plain http, unsupported browser).
  useEffect(() => {
    const ac = new AbortController();
    void preflight(mount, ac.signal).then((err) => {
      if (err && !ac.signal.aborted) dispatch({ type: 'blocked', error: err });
    });
    return () => ac.abort();
  }, [mount]);

  // Page teardown ends the broadcast at once.
  useEffect(() => () => runRef.current?.abort.abort(), []);

  useEffect(() => {
    document.title = phase === 'live' ? `● LIVE — ${PAGE_TITLE}` : PAGE_TITLE;
    if (!isBusy(phase)) return;
    const warn = (ev: BeforeUnloadEvent): void => {
      ev.preventDefault();
      // Older Chromium shows the prompt only when returnValue is set.
      ev.returnValue = '';
    };
    window.addEventListener('beforeunload', warn);
    return () => window.removeEventListener('beforeunload', warn);
  }, [phase]);

  const start = async (): Promise<void> => {
    if (runRef.current) return;
    const run: Run = { abort: new AbortController(), live: null };
    runRef.current = run;
    const { signal } = run.abort;
    const ended = (): boolean => runRef.current !== run;
    dispatch({ type: 'start' });
    try {
      const { mount, streamKey, deviceId, yieldMic } = inputRef.current;
      const blocked = await preflight(mount, signal);
      if (blocked) throw blocked;
      const key = streamKey.trim();
      if (!key) throw new BroadcastError('BAD_KEY', NO_KEY_MESSAGE);
      yieldMic();
      const live = await goLive(
        { mount, streamKey: key, serverBytes, ...(deviceId ? { deviceId } : {}) },
        {
          onProgress: (progress) => dispatch({ type: 'progress', progress }),
          onFailure: (error) => {
            if (runRef.current === run) runRef.current = null;
            dispatch({ type: 'failed', error, atMs: Date.now() });
          },
        },
        signal,
      );
      // A failure may already have ended it between going live and now.
      if (ended()) return;
      run.live = live;
      dispatch({ type: 'live', mic: live.mic, atMs: Date.now() });
      const { title } = inputRef.current;
      if (title.trim()) void sendTitle(mount, live.session.sessionId, title, signal);
    } catch (err) {
      if (runRef.current === run) runRef.current = null;
      if (signal.aborted) dispatch({ type: 'cancelled' });
      else dispatch({ type: 'start-failed', error: toBroadcastError(err) });
    }
  };

  const stop = async (): Promise<void> => {
    const run = runRef.current;
    if (!run) return;
    const live = run.live;
    if (!live) {
      // Still starting: cancel the start.
      run.abort.abort();
      return;
    }
    run.live = null;
    dispatch({ type: 'stopping', atMs: Date.now() });
    await live.stop();
    runRef.current = null;
    dispatch({ type: 'stopped' });
  };

  return {
    state,
    goLive: start,
    stop,
    setMuted: (muted) => {
      for (const t of state.liveMic?.getAudioTracks() ?? []) t.enabled = !muted;
      dispatch({ type: 'muted', muted });
    },
    sendTitle: (title) => {
      const live = runRef.current?.live;
      if (live) void sendTitle(mount, live.session.sessionId, title, new AbortController().signal);
    },
    onStatus: (msg) => {
      if (!runRef.current || msg.state !== 'live') return;
      serverBytes.update(msg.bytesIn);
      dispatch({ type: 'server-bytes', bytesIn: msg.bytesIn });
    },
    mountChanged: () => dispatch({ type: 'mount' }),
    showError: (err) => dispatch({ type: 'error', error: toBroadcastError(err) }),
  };
}
