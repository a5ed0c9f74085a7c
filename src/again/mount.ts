/** Which mount the listen-again page is for: `/listen-again/<mount>`. */
import { isValidMount } from '../shared/protocol.js';

/** The mount named by `pathname`, or null when none (or no valid one) is named. */
export function mountFromAgainPath(pathname: string): string | null {
  const m = /^\/listen-again\/([^/]+)\/?$/.exec(pathname);
  if (!m?.[1]) return null;
  let name: string;
  try {
    name = decodeURIComponent(m[1]);
  } catch {
    return null;
  }
  return isValidMount(name) ? name : null;
}
