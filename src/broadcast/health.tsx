/** Upload health panel: transport, bytes sent, chunks acknowledged, what the server received. */
import type { Transport } from '../shared/protocol.js';
import { formatBytes } from './format.js';
import { TRANSPORT_LABEL } from './transport.js';
import type { UploadProgress } from './upload.js';

export interface HealthProps {
  /** Latest upload progress, or null before the first broadcast. */
  progress: UploadProgress | null;
  /** Transport the next broadcast would use, shown before any progress exists. */
  plannedTransport: Transport;
  /** Server's bytesIn for this broadcast, from the status socket. */
  serverBytes: number | null;
}

export function Health({ progress, plannedTransport, serverBytes }: HealthProps) {
  const transport = progress?.transport ?? plannedTransport;
  const chunks = transport === 'chunks' ? (progress?.chunksAcked ?? 0) : (progress?.chunksSent ?? 0);
  const bytesSent = progress?.bytesSent ?? 0;
  let note = '';
  if (progress?.retrying)
    note = 'Reconnecting… The audio is kept and goes out as soon as the server is reached.';
  else if (progress?.fellBack)
    note = 'The streaming upload failed, so the page switched to per-chunk upload.';
  return (
    <section id="health" class="health" aria-label="Upload health">
      <h2>Upload</h2>
      <dl>
        <dt>Transport</dt>
        <dd id="transport">{TRANSPORT_LABEL[transport]}</dd>
        <dt>Bytes sent</dt>
        <dd id="bytes-sent" data-bytes={bytesSent}>
          {formatBytes(bytesSent)}
        </dd>
        <dt>{transport === 'chunks' ? 'Chunks acknowledged' : 'Chunks sent'}</dt>
        <dd id="chunks-acked">{chunks}</dd>
        <dt>Server received</dt>
        <dd id="server-bytes" data-bytes={serverBytes ?? 0}>
          {serverBytes === null ? '—' : formatBytes(serverBytes)}
        </dd>
        <dt>Waiting to send</dt>
        <dd id="queued-bytes">{formatBytes(progress?.queuedBytes ?? 0)}</dd>
      </dl>
      <p id="upload-note" class="note" aria-live="polite">
        {note}
      </p>
    </section>
  );
}
