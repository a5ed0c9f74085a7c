/**
 * The broadcaster page's state machine, pure: one state, typed actions, one reducer (used by
 * `useBroadcast()`). Phases: ready → starting → live → stopping → stopped; a start that is refused
 * or a broadcast that breaks goes to error; Go live starts again from stopped or error.
 */
import type { BroadcastError } from './errors.js';
import type { UploadProgress } from './upload.js';

export type Phase = 'ready' | 'starting' | 'live' | 'stopping' | 'stopped' | 'error';

/** Text of `#state` for each phase. */
export const STATE_TEXT: Readonly<Record<Phase, string>> = {
  ready: 'Ready',
  starting: 'Starting…',
  live: 'Live',
  stopping: 'Stopping…',
  stopped: 'Stopped',
  error: 'Error',
};

export interface BroadcastState {
  phase: Phase;
  /** What the page shows in `#error`; cleared by Go live and by another mount. */
  error: BroadcastError | null;
  progress: UploadProgress | null;
  /** When the broadcast went live / ended (page clock, ms), for the elapsed time. */
  liveSince: number | null;
  liveUntil: number | null;
  /** The server's bytesIn for this broadcast; kept after Stop so the final count stays on screen. */
  serverBytesIn: number | null;
  /** The microphone being broadcast. */
  liveMic: MediaStream | null;
  muted: boolean;
}

export type BroadcastAction =
  // Go live was pressed.
  | { type: 'start' }
  // The broadcast is live with this microphone.
  | { type: 'live'; mic: MediaStream; atMs: number }
  // The start was refused (pre-flight, key, microphone, server) before going live.
  | { type: 'start-failed'; error: BroadcastError }
  // The start was cancelled (Stop while starting, page teardown).
  | { type: 'cancelled' }
  // The broadcast broke while live; it has already been torn down.
  | { type: 'failed'; error: BroadcastError; atMs: number }
  // Stop was pressed while live.
  | { type: 'stopping'; atMs: number }
  // The stop finished (the last audio sent, the session ended).
  | { type: 'stopped' }
  | { type: 'progress'; progress: UploadProgress }
  | { type: 'server-bytes'; bytesIn: number }
  | { type: 'muted'; muted: boolean }
  // The pre-flight check says this page cannot broadcast (bad mount, plain http, browser).
  | { type: 'blocked'; error: BroadcastError }
  // An error beside the broadcast (the microphone test) is shown; the phase stays.
  | { type: 'error'; error: BroadcastError }
  // Another mount was chosen: ready again, no error.
  | { type: 'mount' };

export const INITIAL_STATE: BroadcastState = {
  phase: 'ready',
  error: null,
  progress: null,
  liveSince: null,
  liveUntil: null,
  serverBytesIn: null,
  liveMic: null,
  muted: false,
};

/** A broadcast is under way: the mount, the key and Go live are locked. */
export function isBusy(phase: Phase): boolean {
  return phase === 'starting' || phase === 'live' || phase === 'stopping';
}

/** An action that does not fit the phase (a late callback of a finished start) leaves the state as it is. */
export function broadcastReducer(state: BroadcastState, action: BroadcastAction): BroadcastState {
  switch (action.type) {
    case 'start':
      if (isBusy(state.phase)) return state;
      return {
        ...state,
        phase: 'starting',
        error: null,
        progress: null,
        serverBytesIn: null,
        liveSince: null,
        liveUntil: null,
      };
    case 'live':
      if (state.phase !== 'starting') return state;
      return { ...state, phase: 'live', liveMic: action.mic, muted: false, liveSince: action.atMs };
    case 'start-failed':
      if (state.phase !== 'starting') return state;
      return { ...state, phase: 'error', error: action.error };
    case 'cancelled':
      if (state.phase !== 'starting') return state;
      return { ...state, phase: 'stopped' };
    case 'failed':
      if (state.phase !== 'starting' && state.phase !== 'live') return state;
      return {
        ...state,
        phase: 'error',
        error: action.error,
        liveMic: null,
        muted: false,
        liveUntil: action.atMs,
      };
    case 'stopping':
      if (state.phase !== 'live') return state;
      return { ...state, phase: 'stopping', liveUntil: action.atMs };
    case 'stopped':
      if (state.phase !== 'stopping') return state;
      return { ...state, phase: 'stopped', liveMic: null, muted: false };
    case 'progress':
      return { ...state, progress: action.progress };
    case 'server-bytes':
      return { ...state, serverBytesIn: action.bytesIn };
    case 'muted':
      return state.liveMic ? { ...state, muted: action.muted } : state;
    case 'blocked':
      if (isBusy(state.phase)) return state;
      return { ...state, phase: 'error', error: action.error };
    case 'error':
      return { ...state, error: action.error };
    case 'mount':
      if (isBusy(state.phase)) return state;
      return { ...state, phase: 'ready', error: null };
  }
}
