/** The listener link to share (LAN address when this page is on the server's own machine), a QR code, the embed snippet and the live listener count. */
import { useState } from 'preact/hooks';
import type { ServerInfo } from '../shared/protocol.js';
import { DEFAULT_MOUNT, paths } from '../shared/protocol.js';
import { QrCode } from './qr.js';

/** How long "Copied" shows after a copy. */
const COPIED_SHOW_MS = 2_000;

function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '[::1]' || host.startsWith('127.');
}

/**
 * The shortest link phones can open: `/` for the default channel, `/listen/<mount>` otherwise, on
 * this page's origin, or on the LAN address when the page was opened as localhost (which a phone
 * cannot reach). Plain HTTP is fine for listening.
 */
export function shareUrl(mount: string, info: ServerInfo | null, loc: Location = location): string {
  const path = mount === DEFAULT_MOUNT ? '/' : paths.listenPage(mount);
  const lan = info?.lanAddresses?.[0];
  if (isLoopbackHost(loc.hostname) && lan && info) return `http://${lan}:${info.httpPort}${path}`;
  return `${loc.origin}${path}`;
}

export interface ShareProps {
  mount: string;
  listenUrl: string;
  /** Listeners now, or null while the status socket is not connected. */
  listeners: number | null;
}

function useCopy(): [string | null, (what: string, text: string) => Promise<void>] {
  const [copied, setCopied] = useState<string | null>(null);
  const copy = async (what: string, text: string): Promise<void> => {
    try {
      await navigator.clipboard.writeText(text);
      setCopied(what);
      setTimeout(() => setCopied(null), COPIED_SHOW_MS);
    } catch {
      // Clipboard refused (insecure context, permission): the text is still there to copy by hand.
    }
  };
  return [copied, copy];
}

export function Share({ mount, listenUrl, listeners }: ShareProps) {
  const [copied, copy] = useCopy();
  const embedUrl = `${new URL(listenUrl).origin}${paths.embedPage(mount)}`;
  const snippet = `<iframe src="${embedUrl}" title="onair: ${mount}" width="360" height="200" allow="autoplay" style="border:0"></iframe>`;
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
      <button id="copy-url" type="button" class="secondary" onClick={() => void copy('url', listenUrl)}>
        {copied === 'url' ? 'Copied' : 'Copy link'}
      </button>
      <QrCode text={listenUrl} />
      <details class="embed">
        <summary>Put the player on your website</summary>
        <textarea id="embed-snippet" readOnly rows={3} value={snippet} aria-label="Embed code" />
        <button id="copy-embed" type="button" class="secondary" onClick={() => void copy('embed', snippet)}>
          {copied === 'embed' ? 'Copied' : 'Copy embed code'}
        </button>
      </details>
    </section>
  );
}
