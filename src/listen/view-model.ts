/** What the page says and which buttons it shows, derived from status, autoplay and player state. */
import type { StatusErrorMessage, StatusMessage } from '../shared/protocol.js';
import type { StatusConnection } from '../web/status-client.js';
import type { PlayerView } from './use-player.js';

/** Text of `#status` while offline; the e2e tests match it exactly. */
export const OFFLINE_TEXT = 'OFFLINE';
/** Text of `#status` while live; the e2e tests match it exactly. */
export const LIVE_TEXT = 'The stream is started';

export interface PageInput {
  mountValid: boolean;
  status: StatusMessage | null;
  connection: StatusConnection;
  statusError: StatusErrorMessage | null;
  autoplayChecked: boolean;
  armed: boolean;
  stopped: boolean;
  player: PlayerView;
}

export type Badge = 'offline' | 'live' | 'unknown';

export interface PageView {
  badge: Badge;
  statusText: string;
  /** Secondary line under the badge (`#note`); empty when there is nothing to add. */
  note: string;
  /** The big "Tap to listen" button (`#tap`). */
  showTap: boolean;
  /** Stop/Play toggle (`#toggle`), or none. */
  toggle: 'stop' | 'play' | null;
  /** "Try again" after the player gave up. */
  showRetry: boolean;
}

export function describePage(p: PageInput): PageView {
  const view: PageView = {
    badge: 'unknown',
    statusText: '',
    note: '',
    showTap: false,
    toggle: null,
    showRetry: false,
  };
  if (!p.mountValid) return { ...view, statusText: 'No such stream', note: 'Check the link you were given.' };
  if (p.statusError) return { ...view, statusText: 'No such stream', note: p.statusError.message };
  if (!p.status) return { ...view, statusText: 'Connecting…' };
  const lost = p.connection === 'open' ? '' : ' Lost the server; reconnecting…';

  if (p.status.state === 'offline') {
    view.badge = 'offline';
    view.statusText = OFFLINE_TEXT;
    if (p.stopped) {
      view.note = 'Stopped. Press Play to listen when the host is live.';
      view.toggle = 'play';
    } else if (p.armed) {
      view.note = 'Waiting for the host. It starts playing by itself.';
    } else if (p.autoplayChecked) {
      view.note = 'Tap once now, and it starts playing by itself when the host goes live.';
      view.showTap = true;
    }
    view.note = (view.note + lost).trim();
    return view;
  }

  view.badge = 'live';
  view.statusText = LIVE_TEXT;
  if (!p.armed) {
    view.note = p.autoplayChecked ? 'Your browser needs a tap before it plays sound.' : '';
    view.showTap = p.autoplayChecked;
  } else if (p.stopped) {
    view.note = 'Stopped.';
    view.toggle = 'play';
  } else {
    view.toggle = 'stop';
    const pl = p.player;
    switch (pl.phase) {
      case 'idle':
      case 'connecting':
        view.note = 'Connecting to the stream…';
        break;
      case 'playing':
        view.note = 'Playing live.';
        break;
      case 'stalled':
        // Never "Playing live." while nothing is heard.
        view.note = pl.reason === 'reconnecting' ? 'Reconnecting…' : 'Catching up…';
        break;
      case 'paused':
        view.note = pl.reason === 'blocked' ? 'Your browser needs a tap before it plays sound.' : 'Paused.';
        view.showTap = true;
        view.toggle = null;
        break;
      case 'retrying':
        view.note = pl.error ? 'Reconnecting…' : 'Connecting to the stream…';
        break;
      case 'failed':
        view.note = `Can't play the stream: ${pl.error.message}.`;
        view.showRetry = true;
        view.toggle = null;
        break;
    }
  }
  view.note = (view.note + lost).trim();
  return view;
}
