/**
 * useMicPreview(): the microphone choice (kept in localStorage) and the test microphone opened before
 * going live, for the level meter. A test microphone that is replaced, released or unmounted is closed.
 */
import { useEffect, useState } from 'preact/hooks';
import { openMicrophone, stopTracks } from './recorder.js';

/** localStorage key of the chosen microphone. */
const MIC_STORAGE_KEY = 'onair.mic';

function storedMic(): string {
  try {
    return localStorage.getItem(MIC_STORAGE_KEY) ?? '';
  } catch {
    return '';
  }
}

export interface MicPreview {
  /** The chosen microphone; '' for the browser's default. */
  deviceId: string;
  /** The test microphone, or null. */
  preview: MediaStream | null;
  /** Opens the test microphone, or closes it when open. */
  toggle(): Promise<void>;
  /** Chooses a microphone (remembered); an open test microphone moves to it. */
  choose(deviceId: string): void;
  /** Closes the test microphone (the broadcast's own takes over). */
  release(): void;
}

/** `onError` gets a microphone that could not be opened. */
export function useMicPreview(onError: (err: unknown) => void): MicPreview {
  const [deviceId, setDeviceId] = useState(storedMic);
  const [preview, setPreview] = useState<MediaStream | null>(null);

  useEffect(
    () => () => {
      if (preview) stopTracks(preview);
    },
    [preview],
  );

  const open = (id: string): void => {
    void openMicrophone(new AbortController().signal, id || undefined).then(setPreview, (err: unknown) => {
      setPreview(null);
      onError(err);
    });
  };

  return {
    deviceId,
    preview,
    toggle: async () => {
      if (preview) {
        setPreview(null);
        return;
      }
      try {
        setPreview(await openMicrophone(new AbortController().signal, deviceId || undefined));
      } catch (err) {
        onError(err);
      }
    },
    choose: (id) => {
      setDeviceId(id);
      try {
        localStorage.setItem(MIC_STORAGE_KEY, id);
      } catch {
        // Private mode: the choice lasts for this page only.
      }
      if (preview) {
        stopTracks(preview);
        open(id);
      }
    },
    release: () => setPreview(null),
  };
}
