/** Checks made before asking for the microphone: mount name, secure context, recorder support. */
import type { ServerInfo } from '../shared/protocol.js';
import { isValidMount, paths } from '../shared/protocol.js';
import { BroadcastError } from './errors.js';
import { checkRecorderSupport } from './recorder.js';
import { fetchServerInfo } from './session.js';

/** Error for a `?mount=` the server would refuse, or null. */
export function checkMount(mount: string): BroadcastError | null {
  if (isValidMount(mount)) return null;
  return new BroadcastError(
    'MOUNT_INVALID',
    `"${mount}" cannot be used as a broadcast name. Use lower-case letters, digits, - and _ (at most 64), for example ${location.origin}${paths.broadcastPage}?mount=music.`,
  );
}

/** The "open the HTTPS address" message, as precise as the server's /api/info allows. */
export function insecureContextError(info: ServerInfo | null): BroadcastError {
  const host = location.hostname;
  let message: string;
  if (info?.httpsPort) {
    message =
      `The microphone only works over HTTPS. Open https://${host}:${info.httpsPort}${paths.broadcastPage}${location.search} ` +
      '(if the browser warns that the connection is not private, choose Advanced, then Proceed).';
  } else if (info) {
    message =
      'The microphone only works over HTTPS, and HTTPS is switched off on this onair server. ' +
      `Switch it on, or open http://localhost:${info.httpPort}${paths.broadcastPage} on the computer running onair.`;
  } else {
    message = 'The microphone only works over HTTPS. Open this page with an https:// address.';
  }
  return new BroadcastError('INSECURE_CONTEXT', message);
}

/** Null when this page can record, else the error to show. */
export async function preflight(mount: string, signal: AbortSignal): Promise<BroadcastError | null> {
  const badMount = checkMount(mount);
  if (badMount) return badMount;
  if (!window.isSecureContext) return insecureContextError(await fetchServerInfo(signal));
  return checkRecorderSupport();
}
