/** Which mount this page listens to: `/listen/<mount>` or `/embed/<mount>` names one, every other path means the default. */
import { DEFAULT_MOUNT, isValidMount } from '../shared/protocol.js';

/** The mount named by `pathname`, DEFAULT_MOUNT when none is named, or null when the name is not valid. */
export function mountFromPath(pathname: string): string | null {
  const m = /^\/(?:listen|embed)\/([^/]+)\/?$/.exec(pathname);
  if (!m?.[1]) return DEFAULT_MOUNT;
  let name: string;
  try {
    name = decodeURIComponent(m[1]);
  } catch {
    return null;
  }
  return isValidMount(name) ? name : null;
}
