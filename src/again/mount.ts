/** Which mount the listen-again page is for: `/listen-again/<mount>`. */
import { decodeMount } from '../listen/mount.js';

/** The mount named by `pathname`, or null when none (or no valid one) is named. */
export function mountFromAgainPath(pathname: string): string | null {
  const m = /^\/listen-again\/([^/]+)\/?$/.exec(pathname);
  return m?.[1] ? decodeMount(m[1]) : null;
}
