/**
 * The cluster's Lua scripts: each runs atomically in Redis, so a node only ever extends or
 * releases its own claim, and an entry and the meta hash that points at it change together.
 */
import type { Redis } from 'ioredis';
import type { Field, Relayed } from './entries.js';
import { claimKey, EVENTS_CHANNEL, MOUNTS_KEY, metaKey, streamKey } from './keys.js';

/** Takes the claim when nobody holds it (or this node already does). 1: taken, 0: held by another. */
const CLAIM = `
local v = redis.call('GET', KEYS[1])
if v == false or v == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
return 0`;

/** Extends this node's claim (and its stream and meta). 1: extended, 0: gone, -1: another node's. */
const REFRESH = `
local v = redis.call('GET', KEYS[1])
if v == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  redis.call('PEXPIRE', KEYS[2], ARGV[3])
  redis.call('PEXPIRE', KEYS[3], ARGV[3])
  return 1
end
if v == false then return 0 end
return -1`;

/** Deletes the claim if it is this node's. */
const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0`;

/**
 * Appends an entry to the mount's stream (capped at about ARGV[1] entries) and updates the meta
 * hash as ARGV[2] says: 'begin' (new meta, mount listed and announced), 'sync:<container>' (newest
 * sync point), 'set' (fields), 'unset' (delete fields), 'end' (meta gone, mount unlisted), '' (none).
 * ARGV: maxlen, mode, mount, node, ttlMs, n, n meta fields/names…, then the entry's field/values.
 */
const PUBLISH = `
local n = tonumber(ARGV[6])
local meta = {}
for i = 7, 6 + n do meta[#meta + 1] = ARGV[i] end
local entry = {}
for i = 7 + n, #ARGV do entry[#entry + 1] = ARGV[i] end
local mode = ARGV[2]
local id = redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[1], '*', unpack(entry))
if mode == 'begin' then
  redis.call('DEL', KEYS[2])
  redis.call('HSET', KEYS[2], 'beginid', id, 'node', ARGV[4], unpack(meta))
  redis.call('PEXPIRE', KEYS[2], ARGV[5])
  redis.call('PEXPIRE', KEYS[1], ARGV[5])
  redis.call('SADD', KEYS[3], ARGV[3])
  redis.call('PUBLISH', '${EVENTS_CHANNEL}', 'begin ' .. ARGV[3])
elseif mode == 'end' then
  redis.call('DEL', KEYS[2])
  redis.call('SREM', KEYS[3], ARGV[3])
elseif mode == 'set' then
  if n > 0 then redis.call('HSET', KEYS[2], unpack(meta)) end
elseif mode == 'unset' then
  if n > 0 then redis.call('HDEL', KEYS[2], unpack(meta)) end
elseif mode ~= '' then
  redis.call('HSET', KEYS[2], mode, id)
end
return id`;

/** Drops a mount from the set of live mounts when nobody holds its claim any more. */
const PRUNE = `
if redis.call('EXISTS', KEYS[1]) == 0 then
  redis.call('SREM', KEYS[2], ARGV[1])
  return 1
end
return 0`;

export type PublishMode = 'begin' | 'end' | 'set' | 'unset' | `sync:${Relayed}` | '';

export interface Scripts {
  claim(mount: string, node: string, ttlMs: number): Promise<boolean>;
  refresh(mount: string, node: string, ttlMs: number, metaTtlMs: number): Promise<'ok' | 'gone' | 'taken'>;
  release(mount: string, node: string): Promise<void>;
  publish(
    mount: string,
    node: string,
    options: { maxLen: number; mode: PublishMode; ttlMs: number; meta?: Field[] },
    entry: Field[],
  ): Promise<string>;
  prune(mount: string): Promise<void>;
}

type Eval = (...args: Array<string | number | Buffer>) => Promise<unknown>;

/** Registers the scripts on `client` (sent by EVALSHA, loaded on first use). */
export function scripts(client: Redis): Scripts {
  const define = (name: string, numberOfKeys: number, lua: string): Eval => {
    client.defineCommand(name, { numberOfKeys, lua });
    const fn = (client as unknown as Record<string, Eval>)[name];
    if (!fn) throw new Error(`ioredis did not define ${name}`);
    return fn.bind(client);
  };
  const claim = define('onairClaim', 1, CLAIM);
  const refresh = define('onairRefresh', 3, REFRESH);
  const release = define('onairRelease', 1, RELEASE);
  const publish = define('onairPublish', 3, PUBLISH);
  const prune = define('onairPrune', 2, PRUNE);
  return {
    claim: async (mount, node, ttlMs) => (await claim(claimKey(mount), node, ttlMs)) === 1,
    refresh: async (mount, node, ttlMs, metaTtlMs) => {
      const r = await refresh(claimKey(mount), metaKey(mount), streamKey(mount), node, ttlMs, metaTtlMs);
      return r === 1 ? 'ok' : r === 0 ? 'gone' : 'taken';
    },
    release: async (mount, node) => {
      await release(claimKey(mount), node);
    },
    publish: async (mount, node, o, entry) => {
      const meta = o.meta ?? [];
      const id = await publish(
        streamKey(mount),
        metaKey(mount),
        MOUNTS_KEY,
        o.maxLen,
        o.mode,
        mount,
        node,
        o.ttlMs,
        meta.length,
        ...meta,
        ...entry,
      );
      return String(id);
    },
    prune: async (mount) => {
      await prune(claimKey(mount), MOUNTS_KEY, mount);
    },
  };
}
