/** useLevel(): the microphone's input level (0..1 on a -60..0 dBFS scale), measured every 100 ms. */
import { useEffect, useState } from 'preact/hooks';

/** How often the level is read. */
export const LEVEL_INTERVAL_MS = 100;
/** The bottom of the meter. */
const FLOOR_DB = -60;

/** Peak level of `samples` mapped to 0..1 over FLOOR_DB..0 dBFS. */
export function levelOf(samples: Float32Array): number {
  let peak = 0;
  for (const v of samples) peak = Math.max(peak, Math.abs(v));
  if (peak <= 0) return 0;
  const db = 20 * Math.log10(peak);
  return Math.min(1, Math.max(0, (db - FLOOR_DB) / -FLOOR_DB));
}

export function useLevel(stream: MediaStream | null): number {
  const [level, setLevel] = useState(0);
  useEffect(() => {
    if (!stream || stream.getAudioTracks().length === 0) {
      setLevel(0);
      return;
    }
    const ctx = new AudioContext();
    const analyser = ctx.createAnalyser();
    analyser.fftSize = 2048;
    ctx.createMediaStreamSource(stream).connect(analyser);
    const buf = new Float32Array(analyser.fftSize);
    const timer = setInterval(() => {
      // A suspended context (no gesture yet) reads zeros; resuming is allowed once the mic is granted.
      if (ctx.state === 'suspended') void ctx.resume();
      analyser.getFloatTimeDomainData(buf);
      setLevel(levelOf(buf));
    }, LEVEL_INTERVAL_MS);
    return () => {
      clearInterval(timer);
      void ctx.close();
      setLevel(0);
    };
  }, [stream]);
  return level;
}
