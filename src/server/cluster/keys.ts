/**
 * Where the cluster keeps things in Redis, all under `onair:`. Per mount:
 * - `onair:claim:<mount>`: the node broadcasting it (string, expires unless refreshed);
 * - `onair:stream:<mount>`: a Redis Stream of what its pipeline produced (capped; see entries.ts);
 * - `onair:meta:<mount>`: the current broadcast (hash: id, node, init segments, title, newest sync ids);
 * - `onair:listeners:<mount>`: listeners per node (hash `node → "count:ms"`).
 * And `onair:mounts` (set of mounts with a broadcast), `onair:events` (pub/sub: "begin <mount>").
 */
export const PREFIX = 'onair:';
export const MOUNTS_KEY = `${PREFIX}mounts`;
export const EVENTS_CHANNEL = `${PREFIX}events`;

export const claimKey = (mount: string): string => `${PREFIX}claim:${mount}`;
export const streamKey = (mount: string): string => `${PREFIX}stream:${mount}`;
export const metaKey = (mount: string): string => `${PREFIX}meta:${mount}`;
export const listenersKey = (mount: string): string => `${PREFIX}listeners:${mount}`;
