/**
 * Recording: every broadcast is written to `<data>/recordings/<mount>/<start>.webm` as it arrives
 * (the WebM rendition: init segment, then each chunk); an MP3/AAC broadcast to `<start>.mp3` or
 * `.aac` (its frames as they came: {@link recordingFormat}). Writes are synchronous, so every chunk the
 * hub has published is in the file (the OS page cache) the moment it is relayed: a `kill -9` loses
 * nothing before the last Cluster. Retention removes the oldest finished recordings beyond a total
 * byte budget or an age.
 *
 * When a broadcast ends its recording is finalised (`finalise.ts`): a seekable copy is written beside it
 * (`<start>.webm.finalising`), fsynced, and renamed over the crash-safe file, so one whole file is there
 * at every moment. At start-up every recording that is not finalised (a crash mid-broadcast or
 * mid-finalisation) is finalised. A sidecar `<start>.json` keeps the titles the broadcast had.
 */
import fs from 'node:fs';
import path from 'node:path';
import { isValidMount } from '../../shared/protocol.js';
import type { Hub } from '../hub/hub.js';
import type { Mount } from '../hub/mount.js';
import type { Output, Sink } from '../hub/types.js';
import type { Logger } from '../log.js';
import { frameFormatOf } from '../mpeg/frames.js';
import { finaliseRecording, probeRecording } from './finalise.js';

/** How often retention runs besides at start-up and after each broadcast. */
const PRUNE_INTERVAL_MS = 60 * 60 * 1000;
const DAY_MS = 24 * 60 * 60 * 1000;
/** `2026-11-26T10-45-12Z.webm`, or `…Z-2.webm` for a second broadcast within the same second (or `.mp3`, `.aac`). */
const FILE_NAME = /^\d{4}-\d\d-\d\dT\d\d-\d\d-\d\dZ(?:-\d{1,4})?\.(?:webm|mp3|aac)$/;

/** What a recording of a mount is: the rendition recorded and the file extension. */
export interface RecordingFormat {
  output: Output;
  ext: 'webm' | 'mp3' | 'aac';
}

/** WebM for an Opus broadcast; the source's own frames for an MP3/AAC one. */
export function recordingFormat(mount: Mount): RecordingFormat {
  const frames = frameFormatOf(mount.info.sourceType);
  return frames ? { output: 'mpeg', ext: frames } : { output: 'webm', ext: 'webm' };
}

/** The finalised copy being written, renamed over the recording once complete. */
const FINALISING_SUFFIX = '.finalising';
/** Title changes kept in a recording's sidecar; later ones are not recorded. */
const MAX_SIDECAR_TITLES = 100;

/** A recording's sidecar (`<start>.json`): the titles it had, from when (ms after its start). */
export interface RecordingSidecar {
  titles: { atMs: number; title: string | null }[];
}

export interface RecordingInfo {
  mount: string;
  /** File name within the mount's directory. */
  name: string;
  bytes: number;
  /** When the broadcast started (ISO 8601). */
  startedAt: string;
  /** Still being written. */
  live: boolean;
  /** Finalised: seekable, with its duration and cues (false while live or being finalised). */
  finalised: boolean;
  /** Its length, once finalised (ms); else null. */
  durationMs: number | null;
}

export interface RecorderOptions {
  hub: Hub;
  /** `<data>/recordings`. */
  dir: string;
  /** Finished recordings are removed, oldest first, while they take more than this. 0: no cap. */
  maxBytes: number;
  /** Finished recordings older than this many days are removed. 0: no age limit. */
  maxAgeDays: number;
  /** Channels (issue 16): false for a mount whose channel has recording off. */
  records?: (mount: string) => boolean;
  /** Channels (issue 16): a mount's own retention in days (0: `maxAgeDays`). */
  retentionDaysOf?: (mount: string) => number;
  log: Logger;
}

/** One recording being written: a tap on the mount's WebM rendition. */
class Recording implements Sink {
  readonly file: string;
  bytes = 0;
  readonly startedAt = Date.now();
  readonly sidecar: RecordingSidecar;
  private fd: number | null;
  private readonly log: Logger;

  constructor(file: string, fd: number, title: string | null, log: Logger) {
    this.file = file;
    this.fd = fd;
    this.log = log;
    this.sidecar = { titles: [{ atMs: 0, title }] };
    writeSidecar(file, this.sidecar, log);
  }

  /** Notes a new title in the sidecar. */
  retitle(title: string | null): void {
    const titles = this.sidecar.titles;
    if (titles.length >= MAX_SIDECAR_TITLES || titles[titles.length - 1]?.title === title) return;
    titles.push({ atMs: Date.now() - this.startedAt, title });
    writeSidecar(this.file, this.sidecar, this.log);
  }

  write(bytes: Uint8Array): boolean {
    if (this.fd === null) return true;
    try {
      let done = 0;
      while (done < bytes.byteLength) done += fs.writeSync(this.fd, bytes, done);
      this.bytes += done;
    } catch (err) {
      // Disk full or gone: the broadcast goes on without its recording.
      this.log.error({ err, file: this.file }, 'recording failed; the broadcast goes on unrecorded');
      this.close();
    }
    return true;
  }

  end(): void {}

  /** Flushes to disk and closes the file. */
  close(): void {
    if (this.fd === null) return;
    const fd = this.fd;
    this.fd = null;
    try {
      fs.fsyncSync(fd);
    } catch {
      // Some file systems cannot fsync; the data is written all the same.
    }
    fs.closeSync(fd);
  }
}

export class Recorder {
  private readonly hub: Hub;
  private readonly dir: string;
  private readonly maxBytes: number;
  private readonly maxAgeMs: number;
  private readonly records: (mount: string) => boolean;
  private readonly retentionDaysOf: (mount: string) => number;
  private readonly log: Logger;
  private readonly active = new Map<string, { rec: Recording; output: Output }>();
  /** Recordings waiting for, or in, finalisation (files). */
  private readonly pending = new Set<string>();
  /** Finalisations run one at a time, in this chain. */
  private chain: Promise<void> = Promise.resolve();
  private readonly abort = new AbortController();
  private closed = false;
  private readonly unsubscribe: () => void;
  private readonly timer: NodeJS.Timeout;

  constructor(options: RecorderOptions) {
    this.hub = options.hub;
    this.dir = options.dir;
    this.maxBytes = options.maxBytes;
    this.maxAgeMs = options.maxAgeDays * DAY_MS;
    this.records = options.records ?? (() => true);
    this.retentionDaysOf = options.retentionDaysOf ?? (() => 0);
    this.log = options.log;
    fs.mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    this.unsubscribe = this.hub.onChange((snapshot, kind) => {
      if (kind === 'title') this.active.get(snapshot.mount)?.rec.retitle(snapshot.title);
      if (kind !== 'state') return;
      if (snapshot.state === 'live') {
        // The node that takes the broadcast records it; nodes relaying it from Redis do not.
        const local = this.hub.find(snapshot.mount)?.origin === 'local';
        if (local && this.records(snapshot.mount)) this.start(snapshot.mount);
      } else this.stop(snapshot.mount);
    });
    this.timer = setInterval(() => this.prune(), PRUNE_INTERVAL_MS);
    this.timer.unref();
    this.prune();
    this.recover();
  }

  /** Every recording on disk (of `only`, when given), newest first. */
  list(only?: string): RecordingInfo[] {
    const live = new Set([...this.active.values()].map((a) => a.rec.file));
    const out: RecordingInfo[] = [];
    for (const mount of only === undefined ? safeReaddir(this.dir) : [only]) {
      if (!isValidMount(mount)) continue;
      for (const name of safeReaddir(path.join(this.dir, mount))) {
        if (!FILE_NAME.test(name)) continue;
        const file = path.join(this.dir, mount, name);
        const stat = safeStat(file);
        if (!stat?.isFile()) continue;
        const busy = live.has(file) || this.pending.has(file);
        const head = busy ? null : probeRecording(file);
        out.push({
          mount,
          name,
          bytes: stat.size,
          startedAt: startOf(name),
          live: live.has(file),
          finalised: head?.finalised ?? false,
          durationMs: head?.finalised ? head.durationMs : null,
        });
      }
    }
    return out.sort((a, b) => b.startedAt.localeCompare(a.startedAt) || b.name.localeCompare(a.name));
  }

  /** The file of recording `name` of `mount`, or null when there is none (or the names are not ours). */
  file(mount: string, name: string): string | null {
    if (!isValidMount(mount) || !FILE_NAME.test(name)) return null;
    const file = path.join(this.dir, mount, name);
    return safeStat(file)?.isFile() ? file : null;
  }

  /** The file of a finalised recording of `mount` (seekable), or null. */
  finalisedFile(mount: string, name: string): string | null {
    const file = this.file(mount, name);
    if (!file || this.pending.has(file) || this.active.get(mount)?.rec.file === file) return null;
    return probeRecording(file).finalised ? file : null;
  }

  /** The titles a recording had (from its sidecar), or null when it has none. */
  sidecar(mount: string, name: string): RecordingSidecar | null {
    const file = this.file(mount, name);
    return file ? readSidecar(file) : null;
  }

  /** Resolves once every finalisation queued so far has run. */
  idle(): Promise<void> {
    return this.chain;
  }

  /**
   * Removes a finished recording (and its sidecar); 'live' while it is still being written or
   * finalised.
   */
  remove(mount: string, name: string): 'removed' | 'missing' | 'live' {
    const file = this.file(mount, name);
    if (!file) return 'missing';
    if (this.active.get(mount)?.rec.file === file || this.pending.has(file)) return 'live';
    removeRecording(file);
    this.log.info({ mount, name }, 'recording removed');
    return 'removed';
  }

  /**
   * Stops recording and stops finalising: a finalisation under way is abandoned (its temporary file
   * removed) and done at the next start-up, so shutdown does not wait for a long recording.
   */
  async close(): Promise<void> {
    if (this.closed) return this.chain;
    this.closed = true;
    this.unsubscribe();
    clearInterval(this.timer);
    for (const mount of [...this.active.keys()]) this.stop(mount);
    this.abort.abort();
    return this.chain;
  }

  private start(mountName: string): void {
    const mount = this.hub.find(mountName);
    if (!mount || this.active.has(mountName)) return;
    try {
      const dir = path.join(this.dir, mountName);
      fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
      const stamp = new Date()
        .toISOString()
        .replace(/\.\d+Z$/, 'Z')
        .replaceAll(':', '-');
      const { output, ext } = recordingFormat(mount);
      let name = `${stamp}.${ext}`;
      for (let i = 2; fs.existsSync(path.join(dir, name)); i++) name = `${stamp}-${i}.${ext}`;
      const file = path.join(dir, name);
      const fd = fs.openSync(file, 'wx', 0o600);
      const rec = new Recording(file, fd, mount.title, this.log);
      this.active.set(mountName, { rec, output });
      mount.addTap(rec, output);
      this.log.info({ mount: mountName, file }, 'recording started');
    } catch (err) {
      this.log.error({ err, mount: mountName }, 'cannot record this broadcast; it goes on unrecorded');
    }
  }

  private stop(mountName: string): void {
    const { rec, output } = this.active.get(mountName) ?? {};
    if (!rec) return;
    this.active.delete(mountName);
    this.hub.find(mountName)?.removeTap(rec, output);
    rec.close();
    this.log.info({ mount: mountName, file: rec.file, bytes: rec.bytes }, 'recording finished');
    this.finalise(rec.file);
    this.prune();
  }

  /** Finalises every recording left crash-safe (by a crash, or a shutdown mid-finalisation). */
  private recover(): void {
    for (const mount of safeReaddir(this.dir)) {
      if (!isValidMount(mount)) continue;
      const dir = path.join(this.dir, mount);
      for (const name of safeReaddir(dir)) {
        // A copy left half-written: its recording is still whole beside it.
        if (name.endsWith(FINALISING_SUFFIX)) fs.rmSync(path.join(dir, name), { force: true });
      }
    }
    for (const r of this.list()) {
      if (!r.live && !r.finalised) this.finalise(path.join(this.dir, r.mount, r.name));
    }
  }

  /** Queues the finalisation of `file`: a seekable copy is written, fsynced and renamed over it. */
  private finalise(file: string): void {
    // Only WebM recordings are finalised (an MP3 or AAC recording is served as it was written).
    if (this.closed || this.pending.has(file) || !file.endsWith('.webm')) return;
    this.pending.add(file);
    const tmp = `${file}${FINALISING_SUFFIX}`;
    this.chain = this.chain.then(async () => {
      const started = Date.now();
      try {
        this.abort.signal.throwIfAborted();
        const title = readSidecar(file)?.titles.find((t) => t.title !== null)?.title ?? null;
        const result = await finaliseRecording(file, tmp, { title, signal: this.abort.signal });
        fs.renameSync(tmp, file);
        syncDir(path.dirname(file));
        this.log.info(
          { file, ...result, ms: Date.now() - started },
          result.stoppedAt === null ? 'recording finalised' : 'recording finalised up to where it was cut',
        );
      } catch (err) {
        fs.rmSync(tmp, { force: true });
        if (!this.abort.signal.aborted) {
          this.log.warn({ err, file }, 'recording cannot be finalised; it is kept as it was written');
        }
      } finally {
        this.pending.delete(file);
      }
      // The finalised file is a little larger: the byte budget is checked again.
      if (!this.closed) this.prune();
    });
  }

  /** Removes finished recordings past the age limit, then the oldest past the byte budget. */
  private prune(): void {
    const all = this.list();
    const finished = all.filter((r) => !r.live).reverse(); // oldest first
    const now = Date.now();
    let total = all.reduce((n, r) => n + r.bytes, 0);
    for (const r of finished) {
      const own = this.retentionDaysOf(r.mount) * DAY_MS;
      const maxAgeMs = own > 0 ? own : this.maxAgeMs;
      const tooOld = maxAgeMs > 0 && now - Date.parse(r.startedAt) > maxAgeMs;
      const overBudget = this.maxBytes > 0 && total > this.maxBytes;
      if (!tooOld && !overBudget) continue;
      const file = path.join(this.dir, r.mount, r.name);
      if (this.pending.has(file)) continue;
      removeRecording(file);
      total -= r.bytes;
      this.log.info({ mount: r.mount, name: r.name, reason: tooOld ? 'age' : 'bytes' }, 'recording pruned');
    }
  }
}

/** The sidecar beside recording `file`. */
function sidecarFile(file: string): string {
  return file.replace(/\.[a-z0-9]+$/, '.json');
}

/** Writes a recording's sidecar atomically (a temporary file renamed into place). */
function writeSidecar(file: string, sidecar: RecordingSidecar, log: Logger): void {
  const target = sidecarFile(file);
  try {
    fs.writeFileSync(`${target}.tmp`, JSON.stringify(sidecar), { mode: 0o600 });
    fs.renameSync(`${target}.tmp`, target);
  } catch (err) {
    log.warn({ err, file: target }, 'recording titles not saved');
  }
}

/** A recording's sidecar, or null when it has none or it cannot be read. */
function readSidecar(file: string): RecordingSidecar | null {
  try {
    const v = JSON.parse(fs.readFileSync(sidecarFile(file), 'utf8')) as unknown;
    const titles = (v as { titles?: unknown }).titles;
    if (!Array.isArray(titles)) return null;
    return {
      titles: titles
        .filter(
          (t): t is { atMs: number; title: string | null } =>
            typeof t?.atMs === 'number' && (t.title === null || typeof t.title === 'string'),
        )
        .slice(0, MAX_SIDECAR_TITLES),
    };
  } catch {
    return null;
  }
}

function removeRecording(file: string): void {
  fs.rmSync(file, { force: true });
  fs.rmSync(sidecarFile(file), { force: true });
}

/** Makes a rename in `dir` durable; some file systems cannot fsync a directory, which is fine. */
function syncDir(dir: string): void {
  let fd: number | null = null;
  try {
    fd = fs.openSync(dir, 'r');
    fs.fsyncSync(fd);
  } catch {
    // The rename itself is atomic; only its durability is in question.
  } finally {
    if (fd !== null) fs.closeSync(fd);
  }
}

/** ISO time of a recording's start, from its file name. */
function startOf(name: string): string {
  const m = /^(\d{4}-\d\d-\d\d)T(\d\d)-(\d\d)-(\d\d)Z/.exec(name);
  return m ? `${m[1]}T${m[2]}:${m[3]}:${m[4]}Z` : '';
}

function safeReaddir(dir: string): string[] {
  try {
    return fs.readdirSync(dir);
  } catch {
    return [];
  }
}

function safeStat(file: string): fs.Stats | null {
  try {
    return fs.statSync(file);
  } catch {
    return null;
  }
}
