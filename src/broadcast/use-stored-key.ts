/** Hook: the stream key, remembered in localStorage across visits. */
import { useCallback, useState } from 'preact/hooks';

/** localStorage entry holding the key. */
export const STREAM_KEY_STORAGE_KEY = 'onair.streamKey';

function readKey(): string {
  try {
    return localStorage.getItem(STREAM_KEY_STORAGE_KEY) ?? '';
  } catch {
    // Storage blocked (private mode, policy): start empty.
    return '';
  }
}

export function useStoredKey(): [string, (key: string) => void] {
  const [key, setKeyState] = useState(readKey);
  const setKey = useCallback((next: string) => {
    setKeyState(next);
    try {
      if (next) localStorage.setItem(STREAM_KEY_STORAGE_KEY, next);
      else localStorage.removeItem(STREAM_KEY_STORAGE_KEY);
    } catch {
      // Not remembered; the key still works for this visit.
    }
  }, []);
  return [key, setKey];
}
