/**
 * The hub's contracts: what sources put into a mount and what outputs take out of it. Every folder
 * that talks to the hub imports its types from here (`mount.ts` and `rendition.ts` included).
 */
import type { StreamState } from '../../shared/protocol.js';

/** What sources send. */
export type Container = 'webm' | 'ogg';

/**
 * MP3 or AAC in ADTS: what an MP3/AAC source sends, passed through frame by frame, never transcoded
 * (its mounts have none of the Opus outputs).
 */
export type FrameFormat = 'mp3' | 'aac';

/** What a source may send: an Opus container, or MP3/AAC frames. */
export type SourceFormat = Container | FrameFormat;

/**
 * What listeners get: either container, or the packets output: framed Opus packets for the
 * low-latency player (made by `packets/`, served at `GET /<mount>.pkt`, format `PACKETS` in
 * protocol.ts). Server side this output is called `packets` everywhere.
 */
export type Output = Container | 'packets' | 'mpeg';

/** Where a mount's broadcast comes from: a source on this node, or another node through Redis. */
export type MountOrigin = 'local' | 'relay';

/** A piece of the live byte stream; `syncPoint` marks a piece that begins at a Cluster start. */
export interface MediaChunk {
  bytes: Uint8Array;
  syncPoint: boolean;
  /**
   * With `syncPoint`: where in `bytes` a late joiner starts when that is not the beginning, for a
   * chunk that holds several sync points (the packets output's frames of one push: the newest one).
   */
  joinAt?: number;
}

/** Something that receives a mount's bytes: an HTTP listener, the recorder, a Redis bridge. */
export interface Sink {
  /** Queues bytes; returns false when the sink is over its byte budget and must be dropped. */
  write(bytes: Uint8Array): boolean;
  /**
   * The broadcast ended (`'ended'`), or the sink was dropped (`'slow'`), the server closes
   * (`'shutdown'`) or the channel's access changed while the broadcast goes on (`'revoked'`: the
   * listener reconnects and is checked again).
   */
  end(reason: SinkEndReason): void;
}

export type SinkEndReason = 'ended' | 'slow' | 'shutdown' | 'revoked';

/** What the broadcaster says about the stream (Icecast's ice-* headers). */
export interface StreamInfo {
  name?: string;
  description?: string;
  genre?: string;
  url?: string;
  /** Content type the source sent. */
  sourceType?: string;
  /** Listed in public directories: Icecast's `ice-public` (0 or 1). */
  public?: number;
  /** `ice-bitrate` (or `icy-br`) as sent, in kbit/s. */
  bitrate?: string;
  /** `ice-audio-info` as sent: `key=value` pairs joined by `;` (`ice-samplerate=44100;ice-channels=2`). */
  audioInfo?: string;
  /** MP3/AAC sources: what the frame headers say (channels, sample rate) and the mean bit rate measured. */
  frames?: { channels: number; sampleRate: number; bitrateKbps: number };
}

/** How a broadcast begins: what {@link Mount.begin} takes. */
export interface BeginFields {
  /** The init bytes of `output` (WebM: everything before the first Cluster; MP3/AAC: none). */
  init: Uint8Array;
  /** The output the source's own bytes go to: `webm` (default) or `mpeg` for an MP3/AAC source. */
  output?: Output;
  /** The title the source gave; null keeps one set before the first Cluster. */
  title: string | null;
  info?: StreamInfo;
  /** When the broadcast began (a relay gives the owner's time); now by default. */
  startedAt?: Date;
  origin: MountOrigin;
}

/** What changed: the state (pushed at once), the title (at once), or counters (coalesced). */
export type MountChange = 'state' | 'title' | 'listeners';

/**
 * What a mount's pipeline produced, as it is produced: the Redis bridge forwards it to other nodes.
 * `init` comes for every rendition that gets init bytes (WebM at `Mount.begin`, Ogg later).
 */
export type MediaEvent =
  | { kind: 'init'; container: Output; bytes: Uint8Array }
  | { kind: 'chunk'; container: Output; chunk: MediaChunk };

export interface MountSnapshot {
  mount: string;
  state: StreamState;
  /** Listeners of the whole cluster: this node's plus those other nodes report. */
  listeners: number;
  /** Listeners attached to this node. */
  localListeners: number;
  listenerPeak: number;
  startedAt: Date | null;
  title: string | null;
  info: StreamInfo;
  bytesIn: number;
  /** How often the source delivers audio, ms (null: not known yet, or OFFLINE). */
  sourceIntervalMs: number | null;
  bytesOut: number;
  slowDropped: number;
}
