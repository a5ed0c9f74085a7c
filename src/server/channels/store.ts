/**
 * Where channels live. Every node keeps all channels in memory (auth and the listener gate read
 * them synchronously, on every request); writes go to one place and every node's copy follows:
 * - alone: one JSON document, `<data>/channels.json` (0600: it holds join secrets), written to a
 *   temporary file and renamed over, so a crash leaves the old or the new document, never half;
 * - with `--redis`: the hash `onair:channels` (field = channel name, value = its JSON), and a message
 *   on `onair:channels` after each change (`put <name>`, `del <name>`, `kick <name>`) that makes every
 *   node re-read that channel at once; a node reloads the whole hash whenever its connection is (re)made.
 *   Each node also keeps its copy in its own `channels.json`, so a node that starts while Redis is
 *   away still knows its private channels and their keys (it fails closed, not open).
 * Every change, made here or on another node, is handed to the `onChange` handlers of every node
 * with the channel before and after it, so connections already open follow it (`enforce.ts`).
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import type { ChannelInput } from '../../shared/protocol.js';
import { closeClient, redisClient } from '../cluster/redis.js';
import { ApiError } from '../errors.js';
import type { Logger } from '../log.js';
import type { ChannelRecord } from './channel.js';
import { hashKey, isChannelRecord, newChannel, newJoinCode, newJoinSecret, newStreamKey } from './channel.js';

export const CHANNELS_FILE = 'channels.json';
export const CHANNELS_KEY = 'onair:channels';
export const CHANNELS_EVENTS = 'onair:channels';
/** How long a clustered node waits for Redis at start before it goes on with its own copy. */
export const STARTUP_LOAD_MS = 3_000;
/** Channels one server keeps at most (each is a few hundred bytes in memory and on every request's path). */
export const MAX_CHANNELS = 1_000;

/** What a change handler gets: the channel's name, and its record before and after (undefined: none). */
export type ChannelChangeHandler = (
  name: string,
  before: ChannelRecord | undefined,
  after: ChannelRecord | undefined,
) => void;

export interface ChannelStoreOptions {
  dataDir: string;
  redisUrl: string | null;
  log: Logger;
}

export class ChannelStore {
  private readonly channels = new Map<string, ChannelRecord>();
  private readonly options: ChannelStoreOptions;
  private readonly log: Logger;
  private readonly kickHandlers: Array<(name: string) => void> = [];
  private readonly changeHandlers: ChannelChangeHandler[] = [];
  private readonly cmd: Redis | null;
  private readonly sub: Redis | null;
  /** File writes, one after another. */
  private writing: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(options: ChannelStoreOptions) {
    this.options = options;
    this.log = options.log;
    if (options.redisUrl) {
      this.cmd = redisClient(options.redisUrl, this.log, { name: 'channels' });
      this.sub = redisClient(options.redisUrl, this.log, { name: 'channels-sub', offlineQueue: true });
      this.cmd.on('ready', () => void this.reloadFromRedis());
      this.sub.on('message', (_c: string, message: string) => void this.onMessage(message));
      this.sub.subscribe(CHANNELS_EVENTS).catch((err: unknown) => {
        this.log.warn({ err }, 'channels: redis subscribe failed');
      });
    } else {
      this.cmd = null;
      this.sub = null;
    }
  }

  /** Loads the channels (the file; with Redis, the hash as soon as the connection is ready). */
  async start(): Promise<void> {
    await this.loadFile();
    const cmd = this.cmd;
    if (!cmd) return;
    if (cmd.status !== 'ready') {
      let timer: NodeJS.Timeout | undefined;
      await new Promise<void>((resolve) => {
        timer = setTimeout(resolve, STARTUP_LOAD_MS);
        cmd.once('ready', () => resolve());
      });
      clearTimeout(timer);
    }
    // The 'ready' handler reloads too; this makes sure the copy is in before the server serves.
    if (cmd.status === 'ready') await this.reloadFromRedis();
  }

  private async loadFile(): Promise<void> {
    let text: string;
    try {
      text = await readFile(this.file(), 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw err;
    }
    const doc = JSON.parse(text) as { channels?: unknown };
    for (const r of Array.isArray(doc.channels) ? doc.channels : []) {
      if (isChannelRecord(r)) this.channels.set(r.name, r);
      else this.log.warn('channels: a malformed entry in channels.json was skipped');
    }
  }

  get(name: string): ChannelRecord | undefined {
    return this.channels.get(name);
  }

  list(): ChannelRecord[] {
    return [...this.channels.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  /** Creates a channel; CHANNEL_EXISTS when the name is taken. Returns it and its stream key (shown once). */
  async create(
    input: ChannelInput & { name: string },
  ): Promise<{ record: ChannelRecord; streamKey: string }> {
    if (this.channels.has(input.name)) throw exists(input.name);
    if (this.channels.size >= MAX_CHANNELS) {
      throw new ApiError('BAD_REQUEST', `This server keeps at most ${MAX_CHANNELS} channels.`);
    }
    const made = newChannel(input);
    if (this.cmd) {
      const set = await this.redis(() =>
        this.must(this.cmd).hsetnx(CHANNELS_KEY, input.name, JSON.stringify(made.record)),
      );
      if (set === 0) throw exists(input.name);
      this.replace(input.name, made.record);
      await this.announce(`put ${input.name}`);
    } else {
      this.replace(input.name, made.record);
      await this.persist();
    }
    this.log.info({ channel: input.name, visibility: made.record.visibility }, 'channel created');
    return made;
  }

  /** Changes the settings `input` names; NOT_FOUND for no such channel. */
  async update(name: string, input: ChannelInput): Promise<ChannelRecord> {
    const { name: _ignored, ...settings } = input;
    return this.change(name, (r) => ({ ...r, ...settings }), 'channel changed');
  }

  /** A new stream key; the old one stops working at once. */
  async rotateKey(name: string): Promise<string> {
    const key = newStreamKey();
    await this.change(name, (r) => ({ ...r, keyHash: hashKey(key) }), 'channel stream key rotated');
    return key;
  }

  /** A new join secret and code: every join link and cookie given so far stops working. */
  rotateJoin(name: string): Promise<ChannelRecord> {
    return this.change(
      name,
      (r) => ({
        ...r,
        joinSecret: newJoinSecret(),
        joinGeneration: r.joinGeneration + 1,
        joinCode: newJoinCode(),
      }),
      'channel join secret rotated',
    );
  }

  async remove(name: string): Promise<void> {
    if (!this.channels.has(name)) throw notFound(name);
    if (this.cmd) {
      await this.redis(() => this.must(this.cmd).hdel(CHANNELS_KEY, name));
      this.replace(name, undefined);
      await this.announce(`del ${name}`);
    } else {
      this.replace(name, undefined);
      await this.persist();
    }
    this.log.info({ channel: name }, 'channel removed');
  }

  /** Asks whichever node holds `name`'s broadcast to end it (this node at once; others through Redis). */
  async kick(name: string): Promise<void> {
    // Here first, so a kick on the node that holds the broadcast works even while Redis is away.
    for (const h of this.kickHandlers) h(name);
    if (this.cmd) await this.announce(`kick ${name}`);
  }

  /** `handler` is called with a mount whose broadcast an organiser kicked. */
  onKick(handler: (name: string) => void): void {
    this.kickHandlers.push(handler);
  }

  /**
   * `handler` is called on every node after a channel changed, was created or removed (here, through
   * Redis, or by a reload from Redis), with the channel before and after; not when nothing changed.
   */
  onChange(handler: ChannelChangeHandler): void {
    this.changeHandlers.push(handler);
  }

  /** Sets (or with `next` undefined, forgets) this node's copy of `name`; tells the change handlers. */
  private replace(name: string, next: ChannelRecord | undefined): void {
    const before = this.channels.get(name);
    if (next) this.channels.set(name, next);
    else this.channels.delete(name);
    if (JSON.stringify(before) === JSON.stringify(next)) return;
    for (const h of this.changeHandlers) {
      try {
        h(name, before, next);
      } catch (err) {
        this.log.error({ err, channel: name }, 'channels: a change handler failed');
      }
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.writing;
    if (this.cmd) closeClient(this.cmd);
    if (this.sub) closeClient(this.sub);
  }

  private async change(
    name: string,
    edit: (r: ChannelRecord) => ChannelRecord,
    logMessage: string,
  ): Promise<ChannelRecord> {
    let current = this.channels.get(name);
    if (this.cmd) {
      // Read the stored one: another node may have changed it a moment ago.
      const raw = await this.redis(() => this.must(this.cmd).hget(CHANNELS_KEY, name));
      current = raw ? parseRecord(raw) : undefined;
    }
    if (!current) throw notFound(name);
    const next = edit(current);
    if (this.cmd) {
      await this.redis(() => this.must(this.cmd).hset(CHANNELS_KEY, name, JSON.stringify(next)));
      this.replace(name, next);
      await this.announce(`put ${name}`);
    } else {
      this.replace(name, next);
      await this.persist();
    }
    this.log.info({ channel: name }, logMessage);
    return next;
  }

  private file(): string {
    return join(this.options.dataDir, CHANNELS_FILE);
  }

  /** Writes the whole document: temporary file, then rename over (atomic on one file system). */
  private persist(): Promise<void> {
    const doc = `${JSON.stringify({ version: 1, channels: this.list() }, null, 2)}\n`;
    const run = async (): Promise<void> => {
      await mkdir(this.options.dataDir, { recursive: true, mode: 0o700 });
      const tmp = `${this.file()}.${process.pid}.tmp`;
      await writeFile(tmp, doc, { mode: 0o600 });
      await rename(tmp, this.file());
    };
    const next = this.writing.then(run, run);
    this.writing = next.catch(() => {});
    return next;
  }

  private async announce(message: string): Promise<void> {
    await this.redis(() => this.must(this.cmd).publish(CHANNELS_EVENTS, message));
  }

  private async onMessage(message: string): Promise<void> {
    const [verb, name] = message.split(' ');
    if (!name) return;
    if (verb === 'kick') {
      for (const h of this.kickHandlers) h(name);
      return;
    }
    if (verb === 'del') {
      this.replace(name, undefined);
      this.keepCopy();
      return;
    }
    try {
      const raw = await this.must(this.cmd).hget(CHANNELS_KEY, name);
      this.replace(name, raw ? parseRecord(raw) : undefined);
      this.keepCopy();
    } catch (err) {
      this.log.warn({ err, channel: name }, 'channels: could not re-read a changed channel');
    }
  }

  /** Clustered: this node's copy of the channels, for a start while Redis is away. */
  private keepCopy(): void {
    if (this.closed) return;
    this.persist().catch((err: unknown) => this.log.warn({ err }, 'channels: could not keep a local copy'));
  }

  private async reloadFromRedis(): Promise<void> {
    try {
      const all = await this.must(this.cmd).hgetall(CHANNELS_KEY);
      const loaded = new Map<string, ChannelRecord>();
      for (const raw of Object.values(all)) {
        const r = parseRecord(raw);
        if (r) loaded.set(r.name, r);
      }
      for (const name of [...this.channels.keys()]) if (!loaded.has(name)) this.replace(name, undefined);
      for (const [name, r] of loaded) this.replace(name, r);
      this.keepCopy();
    } catch (err) {
      this.log.warn({ err }, 'channels: could not load from redis');
    }
  }

  private async redis<T>(command: () => Promise<T>): Promise<T> {
    try {
      return await command();
    } catch (err) {
      throw new ApiError('CLUSTER_UNAVAILABLE', 'Redis is unreachable: channels cannot be changed now.', {
        cause: err,
      });
    }
  }

  private must(client: Redis | null): Redis {
    if (!client) throw new Error('no redis connection');
    return client;
  }
}

function parseRecord(raw: string): ChannelRecord | undefined {
  try {
    const v: unknown = JSON.parse(raw);
    return isChannelRecord(v) ? v : undefined;
  } catch {
    return undefined;
  }
}

function exists(name: string): ApiError {
  return new ApiError('CHANNEL_EXISTS', `A channel named "${name}" exists already.`);
}

function notFound(name: string): ApiError {
  return new ApiError('NOT_FOUND', `No channel named "${name}".`);
}
