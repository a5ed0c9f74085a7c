/**
 * From a source's bytes to every rendition of its mount, remuxing Opus without transcoding:
 * - WebM source: splitter → WebM rendition as is; its Opus packets → Ogg rendition.
 * - Ogg source: Opus packets → Ogg rendition (re-paged) and WebM rendition (new Clusters).
 * Each output chunk is made once here and shared by every listener of that rendition.
 */
import { isKitError, KitError } from '../errors.js';
import type { Mount } from '../hub/mount.js';
import type { Logger } from '../log.js';
import { OggOpusDemuxer } from '../ogg/demuxer.js';
import { OggOpusMuxer } from '../ogg/muxer.js';
import type { OpusHeader, OpusPacket } from '../ogg/opus-packet.js';
import { packetStreamHeader, publishPackets } from '../packets/packet-stream.js';
import { WebmOpusDemuxer } from '../webm/opus-demuxer.js';
import { WebmOpusMuxer } from '../webm/opus-muxer.js';
import { WebmSplitter } from '../webm/splitter.js';

export interface IngestPipeline {
  /** Takes the next source bytes; throws KitError on bytes it cannot read (the broadcast then ends). */
  push(bytes: Uint8Array): void;
}

export interface PipelineLimits {
  maxInitBytes: number;
  maxElementBytes: number;
}

/** Vendor string of the Ogg comment header we write. */
const VENDOR = 'onair';

/** WebM in: relayed byte for byte to WebM listeners; its packets re-paged for Ogg listeners. */
export class WebmPipeline implements IngestPipeline {
  private readonly splitter: WebmSplitter;
  private readonly mount: Mount;
  private readonly log: Logger;
  private demuxer: WebmOpusDemuxer | null = new WebmOpusDemuxer();
  private readonly ogg = new OggOpusMuxer();

  constructor(mount: Mount, limits: PipelineLimits, log: Logger) {
    this.mount = mount;
    this.log = log;
    this.splitter = new WebmSplitter({
      maxInitBytes: limits.maxInitBytes,
      maxElementBytes: limits.maxElementBytes,
    });
  }

  push(bytes: Uint8Array): void {
    // The packets this push completes go to the low-latency output together, once it is read.
    const packets: OpusPacket[] = [];
    for (const chunk of this.splitter.push(bytes)) {
      if (chunk.kind === 'init') {
        publishPackets(this.mount, packets.splice(0));
        this.mount.begin(chunk.bytes, null);
        this.derive(() => {
          const header = this.demuxer?.pushInit(chunk.bytes);
          if (header) {
            this.mount.setInit('ogg', this.ogg.header(header, { vendor: VENDOR, comments: [] }));
            this.mount.setInit('packets', packetStreamHeader(header));
          }
        });
      } else {
        this.mount.publish(chunk);
        this.derive(() => {
          const more = this.demuxer?.pushMedia(chunk.bytes) ?? [];
          if (more.length === 0) return;
          for (const p of more) packets.push(p);
          this.mount.publish({ bytes: this.ogg.packets(more), syncPoint: true }, 'ogg');
        });
      }
    }
    publishPackets(this.mount, packets);
  }

  /**
   * Runs one step of the Ogg derivation. The WebM the splitter accepted is what WebM listeners get;
   * should the Ogg side fail on it, only the Ogg output stops (logged once), never the broadcast.
   */
  private derive(step: () => void): void {
    if (!this.demuxer) return;
    try {
      step();
    } catch (err) {
      this.demuxer = null;
      this.log.warn(
        {
          mount: this.mount.name,
          code: isKitError(err) ? err.code : 'INTERNAL',
          error: (err as Error).message,
        },
        'ogg output stopped: cannot read Opus packets from this WebM',
      );
    }
  }
}

/** Ogg in: packets re-paged for Ogg listeners and put in new Clusters for WebM (MSE) listeners. */
export class OggPipeline implements IngestPipeline {
  private readonly demuxer = new OggOpusDemuxer();
  private readonly mount: Mount;
  private readonly ogg = new OggOpusMuxer();
  private webm: WebmOpusMuxer | null = null;
  /** The current link's ID header, until its comment header completes the link's headers. */
  private header: OpusHeader | null = null;
  private pending: OpusPacket[] = [];

  constructor(mount: Mount) {
    this.mount = mount;
  }

  push(bytes: Uint8Array): void {
    for (const out of this.demuxer.push(bytes)) {
      switch (out.kind) {
        case 'header':
          this.flush();
          // A chained link (new metadata, encoder restart): WebM cannot change its Tracks mid-stream,
          // so the broadcast goes on only if the audio format is the same.
          if (this.webm && this.header && out.header.channels !== this.header.channels) {
            throw new KitError('OGG_CORRUPT', 'A chained Ogg link changed the channel count mid-broadcast.');
          }
          this.header = out.header;
          break;
        case 'tags': {
          const header = this.header;
          if (!header) break;
          const title = titleFrom(out.comments);
          if (!this.webm) {
            this.webm = new WebmOpusMuxer();
            this.mount.begin(this.webm.init(header), title);
          } else if (title !== null) {
            this.mount.setTitle(title);
          }
          this.mount.setInit('ogg', this.ogg.header(header, { vendor: out.vendor, comments: out.comments }));
          this.mount.setInit('packets', packetStreamHeader(header));
          break;
        }
        case 'packet':
          this.pending.push(out.packet);
          break;
        case 'page':
          break;
      }
    }
    // What this push completed goes out now, in one chunk per output: whole pages, no added latency.
    this.flush();
  }

  private flush(): void {
    if (this.pending.length === 0 || !this.webm) return;
    const packets = this.pending;
    this.pending = [];
    publishPackets(this.mount, packets);
    this.mount.publish({ bytes: this.ogg.packets(packets), syncPoint: true }, 'ogg');
    for (const chunk of this.webm.packets(packets)) this.mount.publish(chunk, 'webm');
  }
}

/** `TITLE=…` (and `ARTIST=…`) from Vorbis comments, as Icecast shows them: "Artist - Title". */
function titleFrom(comments: readonly string[]): string | null {
  const get = (key: string): string | undefined => {
    const c = comments.find((x) => x.slice(0, key.length + 1).toUpperCase() === `${key}=`);
    return c?.slice(key.length + 1);
  };
  const title = get('TITLE');
  const artist = get('ARTIST');
  if (title && artist) return `${artist} - ${title}`;
  return title ?? null;
}
