/**
 * Channel changes reach the connections already open, on every node (the store hands each node
 * every change, `ChannelStore.onChange`):
 * - a channel made private, or its join secret rotated: every listener stream of the mount
 *   (`.webm/.ogg/.pkt/.mp3/.aac`, status-carrying `.pkt` included) is ended and every status socket
 *   closed with CHANNEL_ACCESS_CHANGED; the broadcast and the recorder go on. Listeners reconnect and
 *   the one access check lets back in those whose join cookie is still good. HLS needs nothing: every
 *   playlist, segment and part request is checked anew.
 * - its host key rotated (or the channel removed): a source that came in with the channel's old key
 *   is ended on the node that holds it; one that came in with the operator's key stays.
 */
import { ApiError } from '../errors.js';
import type { Hub } from '../hub/hub.js';
import type { IngestSessions } from '../ingest/session.js';
import type { Logger } from '../log.js';
import type { ChannelRecord } from './channel.js';
import type { ChannelStore } from './store.js';

/** Where the open connections are. */
export interface OpenConnections {
  hub: Hub;
  sessions: IngestSessions;
  /** The status sockets (closes those of a mount; returns how many). */
  status: { closeMount(mount: string, err: ApiError): number };
  log: Logger;
}

/** True when listeners let in under `before` must be checked again under `after`. */
export function revokesListeners(
  before: ChannelRecord | undefined,
  after: ChannelRecord | undefined,
): boolean {
  if (after?.visibility !== 'private') return false;
  return before?.visibility !== 'private' || before.joinGeneration !== after.joinGeneration;
}

/** True when a source that came in with `before`'s channel key must go. */
export function revokesChannelKey(
  before: ChannelRecord | undefined,
  after: ChannelRecord | undefined,
): boolean {
  return before !== undefined && before.keyHash !== after?.keyHash;
}

/** Makes every change of `store` reach the open connections `open` names. */
export function enforceChannelChanges(store: ChannelStore, open: OpenConnections): void {
  store.onChange((name, before, after) => {
    if (revokesListeners(before, after)) {
      const err = new ApiError(
        'CHANNEL_ACCESS_CHANGED',
        `Channel "${name}" changed who may listen: reconnect (a join cookie that is still good lets you in).`,
      );
      const streams = open.hub.find(name)?.endListeners('revoked') ?? 0;
      const sockets = open.status.closeMount(name, err);
      if (streams + sockets > 0) {
        open.log.info({ channel: name, streams, sockets }, 'channel access changed: listeners cut');
      }
    }
    if (revokesChannelKey(before, after) && open.sessions.endChannelKeySource(name)) {
      open.log.info({ channel: name }, 'channel key revoked: its source ended');
    }
  });
}
