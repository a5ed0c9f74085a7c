/** Which mount this page listens to: `/listen/<mount>` or `/embed/<mount>` names one, every other path means the default. */
import { DEFAULT_MOUNT, isValidMount } from '../shared/protocol.js';

/** The mount named by `pathname`, DEFAULT_MOUNT when none is named, or null when the name is not valid. */
export function mountFromPath(pathname: string): string | null {
  const m = /^\/(?:listen|embed)\/([^/]+)\/?$/.exec(pathname);
  return m?.[1] ? decodeMount(m[1]) : DEFAULT_MOUNT;
}

/** The mount a path segment names (percent-decoded), or null when it is not a valid mount name. */
export function decodeMount(segment: string): string | null {
  let name: string;
  try {
    name = decodeURIComponent(segment);
  } catch {
    return null;
  }
  return isValidMount(name) ? name : null;
}
