/** The listener link to share, a copy button and the live listener count. */
import { useState } from 'preact/hooks';

export interface ShareProps {
  listenUrl: string;
  /** Listeners now, or null while the status socket is not connected. */
  listeners: number | null;
}

/** How long "Copied" shows after a copy. */
const COPIED_SHOW_MS = 2_000;

export function Share({ listenUrl, listeners }: ShareProps) {
  const [copied, setCopied] = useState(false);
  const copy = async (): Promise<void> => {
    try {
      await navigator.clipboard.writeText(listenUrl);
      setCopied(true);
      setTimeout(() => setCopied(false), COPIED_SHOW_MS);
    } catch {
      // Clipboard refused (insecure context, permission): the link is still there to copy by hand.
    }
  };
  return (
    <section class="share" aria-label="Listeners">
      <p class="listeners">
        <span id="listeners" class="count">
          {listeners ?? '—'}
        </span>{' '}
        {listeners === 1 ? 'listener' : 'listeners'}
      </p>
      <p class="link">
        Listeners open{' '}
        <a id="listen-url" href={listenUrl} target="_blank" rel="noopener">
          {listenUrl}
        </a>
      </p>
      <button id="copy-url" type="button" class="secondary" onClick={copy}>
        {copied ? 'Copied' : 'Copy link'}
      </button>
    </section>
  );
}
