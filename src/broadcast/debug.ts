/** Hooks for measurement tools: the latency bench attaches an AnalyserNode to the live microphone stream. */

export interface OnairDebug {
  /** The microphone stream being recorded, set once the microphone is granted. */
  micStream: MediaStream;
}

declare global {
  interface Window {
    onairDebug?: OnairDebug;
  }
}

export function exposeMicStream(stream: MediaStream): void {
  window.onairDebug = { micStream: stream };
}
