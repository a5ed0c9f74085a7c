/**
 * A mount's one writer: whatever the source (an upload on this node, or another node's broadcast
 * relayed through Redis), its bytes reach the mount's renditions through a pipeline here, remuxing
 * Opus without transcoding:
 * - WebM source: splitter → WebM rendition as is; its Opus packets → Ogg and packets renditions.
 * - Ogg source: Opus packets → Ogg rendition (re-paged), WebM rendition (new Clusters), packets.
 * - Relay: WebM chunks as the owner split them → WebM rendition, Opus packets → packets rendition;
 *   the Ogg rendition comes relayed as the owner made it.
 * - MP3 or AAC (ADTS) source: whole frames → the `mpeg` rendition as they came (no Opus outputs);
 *   relayed, the owner's chunks of frames go through the same splitter (so the frames info is kept).
 * Each output chunk is made once here and shared by every listener of that rendition. The pipeline
 * also gives the mount what it knows of its source: the info, the origin, the bytes taken.
 */
import { ApiError, isApiError } from '../errors.js';
import type { Mount } from '../hub/mount.js';
import type { Container, FrameFormat, MediaChunk, MountOrigin, StreamInfo } from '../hub/types.js';
import type { Logger } from '../log.js';
import { FrameSplitter } from '../mpeg/frames.js';
import { OggOpusDemuxer } from '../ogg/demuxer.js';
import { OggOpusMuxer } from '../ogg/muxer.js';
import type { OpusHeader, OpusPacket } from '../opus/opus-packet.js';
import { packetsHeader, publishPackets } from '../packets/frames.js';
import { WebmOpusDemuxer, webmTitleTags } from '../webm/opus-demuxer.js';
import { WebmOpusMuxer } from '../webm/opus-muxer.js';
import { WebmSplitter } from '../webm/splitter.js';

export interface IngestPipeline {
  /** Takes the next source bytes; throws ApiError on bytes it cannot read (the broadcast then ends). */
  push(bytes: Uint8Array): void;
}

export interface PipelineLimits {
  maxInitBytes: number;
  maxElementBytes: number;
}

export interface PipelineOptions {
  log: Logger;
  /** What the source says about the stream; the mount gets it when it goes live. */
  info?: StreamInfo;
}

/** Vendor string of the Ogg comment header we write. */
const VENDOR = 'onair';

/**
 * WebM in: relayed byte for byte to WebM listeners; its packets framed for the packets output and
 * (unless the Ogg output comes relayed) re-paged for Ogg listeners.
 */
export class WebmPipeline implements IngestPipeline {
  private readonly splitter: WebmSplitter | null;
  private readonly mount: Mount;
  private readonly log: Logger;
  private readonly info: StreamInfo;
  private readonly origin: MountOrigin;
  private demuxer: WebmOpusDemuxer | null = new WebmOpusDemuxer();
  /** Null when the Ogg output is not made here (a relay gets it as the owner made it). */
  private readonly ogg: OggOpusMuxer | null;
  /** The demuxer is fed from the first Cluster start on (a relay's history may begin mid-Cluster). */
  private synced = false;
  private bytesIn = 0;

  /** A local WebM source: its bytes come through {@link push}. */
  constructor(mount: Mount, options: PipelineOptions & { limits: PipelineLimits });
  /** A relayed WebM broadcast: {@link begin}, then {@link media} per chunk; the Ogg output is relayed too. */
  constructor(mount: Mount, options: PipelineOptions & { relay: true });
  constructor(mount: Mount, options: PipelineOptions & { limits?: PipelineLimits; relay?: true }) {
    this.mount = mount;
    this.log = options.log;
    this.info = options.info ?? {};
    this.origin = options.relay ? 'relay' : 'local';
    this.ogg = options.relay ? null : new OggOpusMuxer();
    this.splitter = options.limits
      ? new WebmSplitter({
          maxInitBytes: options.limits.maxInitBytes,
          maxElementBytes: options.limits.maxElementBytes,
        })
      : null;
  }

  push(bytes: Uint8Array): void {
    if (!this.splitter) throw new Error('a relay pipeline takes chunks, not bytes');
    // What the broadcaster may resume from: every byte taken, including any the splitter holds back.
    this.bytesIn += bytes.byteLength;
    this.mount.bytesIn = this.bytesIn;
    // The packets this push completes go to the packets output together, once it is read.
    const packets: OpusPacket[] = [];
    for (const chunk of this.splitter.push(bytes)) {
      if (chunk.kind === 'init') {
        publishPackets(this.mount, packets.splice(0));
        this.begin(chunk.bytes, null);
      } else {
        this.cluster(chunk, packets);
      }
    }
    publishPackets(this.mount, packets);
  }

  /** Takes the mount LIVE with `init` (a relay gives the owner's title and start time). */
  begin(init: Uint8Array, title: string | null, startedAt?: Date): void {
    // A local source's own title (ffmpeg's `-metadata title=… -metadata artist=…`); a relay gives the owner's.
    const own = title === null && this.origin === 'local' ? titleFrom(webmTitleTags(init)) : null;
    this.mount.begin({ init, title: title ?? own, info: this.info, startedAt, origin: this.origin });
    this.derive(() => {
      const header = this.demuxer?.pushInit(init);
      if (!header) return;
      if (this.ogg) this.mount.setInit('ogg', this.ogg.header(header, { vendor: VENDOR, comments: [] }));
      this.mount.setInit('packets', packetsHeader(header));
    });
  }

  /** A relay's init bytes of `container` (the owner's Ogg header pages). */
  setInit(container: Container, init: Uint8Array): void {
    this.mount.setInit(container, init);
  }

  /**
   * A relayed chunk of `container`, with the owner's count of bytes taken: WebM chunks also feed
   * the packets output (its packets are framed as each chunk completes them).
   */
  media(container: Container, chunk: MediaChunk, bytesIn: number): void {
    this.mount.bytesIn = bytesIn;
    if (container === 'ogg') {
      this.mount.publish(chunk, 'ogg');
      return;
    }
    const packets: OpusPacket[] = [];
    this.cluster(chunk, packets);
    publishPackets(this.mount, packets);
  }

  /** One WebM chunk: to WebM listeners as is; the Opus packets it completes are added to `packets`. */
  private cluster(chunk: MediaChunk, packets: OpusPacket[]): void {
    this.mount.publish(chunk);
    if (!this.synced && !chunk.syncPoint) return;
    this.synced = true;
    this.derive(() => {
      const more = this.demuxer?.pushMedia(chunk.bytes) ?? [];
      if (more.length === 0) return;
      for (const p of more) packets.push(p);
      if (this.ogg) this.mount.publish({ bytes: this.ogg.packets(more), syncPoint: true }, 'ogg');
    });
  }

  /**
   * Runs one step of the Opus derivation. The WebM the splitter accepted is what WebM listeners get;
   * should the Opus side fail on it, only the outputs made from its packets stop (logged once),
   * never the broadcast.
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
          origin: this.origin,
          code: isApiError(err) ? err.code : 'INTERNAL',
          err,
        },
        'packets and ogg outputs stopped: cannot read Opus packets from this WebM',
      );
    }
  }
}

/**
 * Ogg in: packets re-paged for Ogg listeners and put in new Clusters for WebM (MSE) listeners.
 *
 * A chained stream (Liquidsoap starts a new logical stream at every track: EOS, then BOS with a new serial,
 * OpusHead, OpusTags) is the same broadcast: the outputs go on as one stream with the first link's
 * header, and the new link's TITLE/ARTIST become the mount's title. That is sound whenever both links
 * use channel mapping family 0 (mono or stereo, any input rate): an Opus decoder decodes mono and stereo
 * packets into whichever layout its header named, and decodes at 48 kHz whatever the input rate was. A
 * link with another layout (a multichannel mapping, or a change into or out of one) cannot be carried
 * on in the same WebM track or Ogg stream: the source ends with OGG_CORRUPT naming it, so no listener
 * ever gets a stream its decoder cannot follow.
 */
export class OggPipeline implements IngestPipeline {
  private readonly demuxer = new OggOpusDemuxer();
  private readonly mount: Mount;
  private readonly ogg = new OggOpusMuxer();
  private webm: WebmOpusMuxer | null = null;
  /** The first link's ID header: the one every output was started with. */
  private header: OpusHeader | null = null;
  private pending: OpusPacket[] = [];
  private readonly info: StreamInfo;
  private readonly log: Logger | null;
  private bytesIn = 0;

  constructor(mount: Mount, options: { info?: StreamInfo; log?: Logger } = {}) {
    this.mount = mount;
    this.info = options.info ?? {};
    this.log = options.log ?? null;
  }

  /** Logical streams the source has sent so far (1 until it chains), and the empty packets skipped. */
  get stats(): { links: number; emptyPackets: number } {
    return { links: this.demuxer.links, emptyPackets: this.demuxer.emptyPackets };
  }

  push(bytes: Uint8Array): void {
    this.bytesIn += bytes.byteLength;
    this.mount.bytesIn = this.bytesIn;
    for (const out of this.demuxer.push(bytes)) {
      switch (out.kind) {
        case 'header':
          this.flush();
          if (this.header === null) this.header = out.header;
          else if (!sameLayout(this.header, out.header)) {
            throw new ApiError(
              'OGG_CORRUPT',
              `A chained Ogg link changed the channel layout mid-broadcast (mapping family ${this.header.mappingFamily}, ` +
                `${this.header.channels} channels → family ${out.header.mappingFamily}, ${out.header.channels} channels); ` +
                'start a new broadcast for it.',
            );
          }
          break;
        case 'tags': {
          const header = this.header;
          if (!header) break;
          const title = titleFrom(out.comments);
          if (!this.webm) {
            this.webm = new WebmOpusMuxer();
            this.mount.begin({ init: this.webm.init(header), title, info: this.info, origin: 'local' });
            this.mount.setInit(
              'ogg',
              this.ogg.header(header, { vendor: out.vendor, comments: out.comments }),
            );
            this.mount.setInit('packets', packetsHeader(header));
            break;
          }
          // A chained link: same broadcast, outputs go on; only the title follows the track.
          if (title !== null) this.mount.setTitle(title);
          this.log?.debug(
            { mount: this.mount.name, ...this.stats, title },
            'chained Ogg link: the outputs go on',
          );
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

/**
 * True when packets of a link with header `next` decode correctly under header `first`: both mono or
 * stereo (mapping family 0), or the very same multichannel layout.
 */
export function sameLayout(first: OpusHeader, next: OpusHeader): boolean {
  if (first.mappingFamily === 0 && next.mappingFamily === 0) return true;
  if (first.mappingFamily !== next.mappingFamily || first.channels !== next.channels) return false;
  // Stream count, coupled count and mapping table follow the 19 fixed bytes.
  const a = first.raw.subarray(19);
  const b = next.raw.subarray(19);
  return a.length === b.length && a.every((v, i) => v === b[i]);
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

/** Content type of each frame format, as listeners get it when the source named none of its own. */
export const FRAME_CONTENT_TYPES: Readonly<Record<FrameFormat, string>> = {
  mp3: 'audio/mpeg',
  aac: 'audio/aac',
};

/**
 * MP3 or AAC (ADTS) in: passthrough, never transcoded. The splitter cuts the bytes into whole frames
 * (ID3 tags and garbage between frames skipped); the frames one push completes go out as one chunk,
 * a sync point, so a late joiner starts on a frame boundary at the live edge. The mount goes LIVE on
 * the first whole frame; its info gets what the frame headers say (channels, sample rate) and the
 * mean bit rate so far. Relayed (another node's MP3/AAC broadcast through Redis), the mount goes LIVE
 * at {@link begin} with the owner's info, and each chunk of frames comes through {@link media}.
 */
export class MpegPipeline implements IngestPipeline {
  private readonly mount: Mount;
  private readonly splitter: FrameSplitter;
  private readonly info: StreamInfo;
  private readonly log: Logger | null;
  private frames: NonNullable<StreamInfo['frames']> | null = null;
  private bytesIn = 0;
  private frameBytes = 0;
  /** Seconds of audio in the frames taken (for the mean bit rate). */
  private seconds = 0;
  /** A change of channels or rate was logged (once per broadcast: a source may flip every frame). */
  private changeLogged = false;
  private readonly relay: boolean;

  constructor(mount: Mount, options: { format: FrameFormat; info?: StreamInfo; log?: Logger; relay?: true }) {
    this.mount = mount;
    this.splitter = new FrameSplitter(options.format);
    const { frames, ...info } = options.info ?? {};
    this.info = { ...info, sourceType: info.sourceType ?? FRAME_CONTENT_TYPES[options.format] };
    this.log = options.log ?? null;
    this.relay = options.relay === true;
    // A relay starts from the owner's frames info (a copy: this pipeline updates it as frames come).
    if (this.relay && frames) this.frames = { ...frames };
  }

  push(bytes: Uint8Array): void {
    if (this.relay) throw new Error('a relay pipeline takes chunks, not bytes');
    this.bytesIn += bytes.byteLength;
    this.mount.bytesIn = this.bytesIn;
    this.take(bytes);
  }

  /** A relay's start: LIVE at once with the owner's title, start time and info. */
  begin(title: string | null, startedAt: Date): void {
    this.mount.begin({
      init: new Uint8Array(0),
      output: 'mpeg',
      title,
      info: this.frames ? { ...this.info, frames: this.frames } : this.info,
      startedAt,
      origin: 'relay',
    });
  }

  /** A relayed chunk of whole frames, with the owner's count of bytes taken. */
  media(chunk: MediaChunk, bytesIn: number): void {
    this.mount.bytesIn = bytesIn;
    this.take(chunk.bytes);
  }

  /** Cuts `bytes` into frames, keeps the frames info, publishes what they complete as one chunk. */
  private take(bytes: Uint8Array): void {
    const frames = this.splitter.push(bytes);
    if (frames.length === 0) return;
    let size = 0;
    for (const f of frames) {
      size += f.bytes.byteLength;
      this.seconds += f.header.samples / f.header.sampleRate;
    }
    this.frameBytes += size;
    const last = (frames[frames.length - 1] as (typeof frames)[number]).header;
    const kbps = Math.round((this.frameBytes * 8) / this.seconds / 1000);
    if (!this.frames) {
      this.frames = { channels: last.channels, sampleRate: last.sampleRate, bitrateKbps: kbps };
      if (this.relay) {
        // LIVE already (begin), but the owner sent no frames info: this node's own measure.
        this.mount.info = { ...this.mount.info, frames: this.frames };
      } else {
        this.mount.begin({
          init: new Uint8Array(0),
          output: 'mpeg',
          title: null,
          info: { ...this.info, frames: this.frames },
          origin: 'local',
        });
      }
    } else {
      const changed = this.frames.channels !== last.channels || this.frames.sampleRate !== last.sampleRate;
      if (changed && !this.changeLogged) {
        this.changeLogged = true;
        this.log?.info(
          { mount: this.mount.name, channels: last.channels, sampleRate: last.sampleRate },
          'the source changed its channels or sample rate; passed through as it is',
        );
      }
      this.frames.channels = last.channels;
      this.frames.sampleRate = last.sampleRate;
      this.frames.bitrateKbps = kbps;
    }
    const chunk =
      frames.length === 1
        ? (frames[0] as (typeof frames)[number]).bytes
        : Buffer.concat(
            frames.map((f) => f.bytes),
            size,
          );
    this.mount.publish({ bytes: chunk, syncPoint: true }, 'mpeg');
  }
}
