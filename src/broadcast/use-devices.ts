/** useMicrophones(): the audio inputs the browser lists (names appear once the microphone was allowed). */
import { useEffect, useState } from 'preact/hooks';

export interface Microphone {
  deviceId: string;
  label: string;
}

/** `refreshKey` changes re-read the list (after the first permission grant, labels become known). */
export function useMicrophones(refreshKey: unknown): Microphone[] {
  const [mics, setMics] = useState<Microphone[]>([]);
  useEffect(() => {
    const md = navigator.mediaDevices;
    if (!md?.enumerateDevices) return;
    let alive = true;
    const read = (): void => {
      void md.enumerateDevices().then((devices) => {
        if (!alive) return;
        const inputs = devices.filter((d) => d.kind === 'audioinput' && d.deviceId !== '');
        setMics(inputs.map((d, i) => ({ deviceId: d.deviceId, label: d.label || `Microphone ${i + 1}` })));
      });
    };
    read();
    md.addEventListener('devicechange', read);
    return () => {
      alive = false;
      md.removeEventListener('devicechange', read);
    };
  }, [refreshKey]);
  return mics;
}
