/** The listener link as a QR code: small beside the link, and full screen for a projector. */

import { useEffect, useRef, useState } from 'preact/hooks';
import QRCode from 'qrcode';

/** An SVG data URL of `text` as a QR code (medium error correction), or null while it is being made. */
function useQrDataUrl(text: string): string | null {
  const [url, setUrl] = useState<string | null>(null);
  useEffect(() => {
    let alive = true;
    QRCode.toString(text, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 }).then(
      (svg) => {
        if (alive) setUrl(`data:image/svg+xml;charset=utf-8,${encodeURIComponent(svg)}`);
      },
      () => {
        if (alive) setUrl(null);
      },
    );
    return () => {
      alive = false;
    };
  }, [text]);
  return url;
}

export function QrCode({ text }: { text: string }) {
  const src = useQrDataUrl(text);
  const dialog = useRef<HTMLDialogElement>(null);
  if (!src) return null;
  return (
    <div class="qr">
      <img
        id="qr"
        class="qr__img"
        src={src}
        alt={`QR code for ${text}`}
        width={160}
        height={160}
        data-text={text}
      />
      <button id="qr-full" type="button" class="secondary" onClick={() => dialog.current?.showModal()}>
        Show QR code full screen
      </button>
      <dialog id="qr-dialog" ref={dialog} class="qr__dialog" aria-label="QR code to listen">
        <img class="qr__big" src={src} alt={`QR code for ${text}`} />
        <p class="qr__text">{text}</p>
        <form method="dialog">
          <button type="submit" class="secondary">
            Close
          </button>
        </form>
      </dialog>
    </div>
  );
}
