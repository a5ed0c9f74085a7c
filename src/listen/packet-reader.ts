/**
 * Incremental parser of the low-latency packet stream (PACKETS in protocol.ts): header, then
 * framed Opus packets, and status frames when the stream was asked for with `?status=1`.
 */
import type { StatusMessage } from '../shared/protocol.js';
import { PACKETS, parseServerMessage } from '../shared/protocol.js';
import { PlayerError } from './player-error.js';

export interface PacketStreamHeader {
  channels: number;
  preSkip: number;
}

export interface OpusFrame {
  /** 48 kHz samples from the start of the broadcast (wraps at 2^32). */
  pts: number;
  samples: number;
  data: Uint8Array;
}

/** Bytes held while a frame is incomplete: one frame at most, plus what came with it. */
const MAX_HELD_BYTES = 4 * PACKETS.maxPacketBytes;

export class PacketReader {
  header: PacketStreamHeader | null = null;
  #held: Uint8Array = new Uint8Array(0);
  readonly #onStatus: (status: StatusMessage) => void;
  readonly #text = new TextDecoder();

  /** `onStatus` gets each status frame's message, in stream order (malformed ones are skipped). */
  constructor(onStatus: (status: StatusMessage) => void = () => {}) {
    this.#onStatus = onStatus;
  }

  /** Takes the next bytes of the response; returns the whole frames they complete, in order. */
  push(bytes: Uint8Array): OpusFrame[] {
    let buf = bytes;
    if (this.#held.byteLength > 0) {
      buf = new Uint8Array(this.#held.byteLength + bytes.byteLength);
      buf.set(this.#held);
      buf.set(bytes, this.#held.byteLength);
    }
    const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    let at = 0;
    if (!this.header) {
      if (buf.byteLength < PACKETS.headerBytes) {
        this.#held = buf.slice();
        return [];
      }
      const magic = String.fromCharCode(...buf.subarray(0, 4));
      if (magic !== PACKETS.magic)
        throw new PlayerError('MEDIA', `not a packet stream (${JSON.stringify(magic)})`);
      this.header = { channels: view.getUint8(4), preSkip: view.getUint16(6) };
      at = PACKETS.headerBytes;
    }
    const out: OpusFrame[] = [];
    const fh = PACKETS.frameHeaderBytes;
    while (buf.byteLength - at >= fh) {
      const n = view.getUint16(at);
      if (n === 0 || n > PACKETS.maxPacketBytes) throw new PlayerError('MEDIA', `bad packet length ${n}`);
      if (buf.byteLength - at < fh + n) break;
      const samples = view.getUint16(at + 6);
      if (samples === 0) {
        // A status frame: no Opus packet has 0 samples.
        const msg = parseServerMessage(this.#text.decode(buf.subarray(at + fh, at + fh + n)));
        if (msg?.type === 'status') this.#onStatus(msg);
      } else {
        out.push({ pts: view.getUint32(at + 2), samples, data: buf.slice(at + fh, at + fh + n) });
      }
      at += fh + n;
    }
    this.#held = buf.slice(at);
    if (this.#held.byteLength > MAX_HELD_BYTES)
      throw new PlayerError('MEDIA', 'packet stream frame too large');
    return out;
  }
}
