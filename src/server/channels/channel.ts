/**
 * A channel: a mount with settings of its own (issue 16). What is stored per channel, how a
 * `ChannelInput` is checked, and the channel's secrets: its stream key (kept only as a SHA-256 hash),
 * its join secret (the HMAC key of its join links and cookies) and its short join code.
 */
import { createHash, randomBytes, randomInt, timingSafeEqual } from 'node:crypto';
import type { ChannelInput, ChannelSettings } from '../../shared/protocol.js';
import { isValidMount, MAX_DESCRIPTION_CHARS, MAX_TITLE_CHARS } from '../../shared/protocol.js';
import { ApiError } from '../errors.js';

/** Longest retention a channel may ask for (ten years). */
export const MAX_RETENTION_DAYS = 3_650;
/** Join code alphabet: no 0/o, 1/l/i, so a code read out in a classroom is typed right. */
const CODE_ALPHABET = '23456789abcdefghjkmnpqrstuvwxyz';
/** 8 characters of 31: about 40 bits. With the failed-key limiter (10 wrong per address per window) unguessable. */
export const JOIN_CODE_LENGTH = 8;

/** One channel as stored (file or Redis). `keyHash` and `joinSecret` never leave the server. */
export interface ChannelRecord extends ChannelSettings {
  /** SHA-256 (hex) of the stream key. */
  keyHash: string;
  /** HMAC key of join links and cookies (base64url, 32 bytes); replaced on rotation. */
  joinSecret: string;
  /** Bumped on each rotation of the join secret; signed into every token. */
  joinGeneration: number;
  joinCode: string;
}

/**
 * A new stream key: 24 random bytes (192 bits) as 32 URL-safe characters. Such a key needs no slow
 * hash: nobody can search 2^192 keys, so SHA-256 of it is as safe as scrypt and costs nothing per check.
 */
export function newStreamKey(): string {
  return randomBytes(24).toString('base64url');
}

export function hashKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/** True when `key` hashes to `keyHash` (compared in constant time). */
export function keyMatches(key: string, keyHash: string): boolean {
  const given = createHash('sha256').update(key, 'utf8').digest();
  const expected = Buffer.from(keyHash, 'hex');
  return expected.length === given.length && timingSafeEqual(given, expected);
}

export function newJoinSecret(): string {
  return randomBytes(32).toString('base64url');
}

export function newJoinCode(): string {
  let code = '';
  for (let i = 0; i < JOIN_CODE_LENGTH; i++) code += CODE_ALPHABET[randomInt(CODE_ALPHABET.length)];
  return code;
}

/** A join code as typed: case and spaces or dashes between groups do not matter. */
export function normaliseJoinCode(code: string): string {
  return code.toLowerCase().replace(/[\s-]/g, '');
}

function bad(message: string): ApiError {
  return new ApiError('BAD_REQUEST', message);
}

/** The settings of `input` checked (BAD_REQUEST naming the field); `creating` requires a name. */
export function checkInput(input: unknown, creating: boolean): ChannelInput {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw bad('Send a JSON object with the channel’s settings.');
  }
  const v = input as Record<string, unknown>;
  const out: ChannelInput = {};
  if (creating) {
    if (typeof v.name !== 'string' || !isValidMount(v.name)) {
      throw new ApiError(
        'MOUNT_INVALID',
        'name: 1–64 lower-case letters, digits, "-" or "_", starting with a letter or digit, not a reserved path.',
      );
    }
    out.name = v.name;
  }
  if (v.title !== undefined) {
    if (typeof v.title !== 'string' || v.title.length > MAX_TITLE_CHARS) {
      throw bad(`title: a string of at most ${MAX_TITLE_CHARS} characters.`);
    }
    out.title = v.title.trim();
  }
  if (v.description !== undefined) {
    if (typeof v.description !== 'string' || v.description.length > MAX_DESCRIPTION_CHARS) {
      throw bad(`description: a string of at most ${MAX_DESCRIPTION_CHARS} characters.`);
    }
    out.description = v.description.trim();
  }
  if (v.visibility !== undefined) {
    if (v.visibility !== 'public' && v.visibility !== 'private')
      throw bad('visibility: "public" or "private".');
    out.visibility = v.visibility;
  }
  for (const flag of ['record', 'listenAgain'] as const) {
    if (v[flag] === undefined) continue;
    if (typeof v[flag] !== 'boolean') throw bad(`${flag}: true or false.`);
    out[flag] = v[flag];
  }
  if (v.retentionDays !== undefined) {
    const d = v.retentionDays;
    if (typeof d !== 'number' || !Number.isInteger(d) || d < 0 || d > MAX_RETENTION_DAYS) {
      throw bad(`retentionDays: a whole number of days, 0 to ${MAX_RETENTION_DAYS}.`);
    }
    out.retentionDays = d;
  }
  return out;
}

/** A new channel from checked input, with fresh secrets; returns the record and its stream key. */
export function newChannel(input: ChannelInput & { name: string }): {
  record: ChannelRecord;
  streamKey: string;
} {
  const streamKey = newStreamKey();
  return {
    streamKey,
    record: {
      name: input.name,
      title: input.title ?? '',
      description: input.description ?? '',
      visibility: input.visibility ?? 'public',
      record: input.record ?? true,
      retentionDays: input.retentionDays ?? 0,
      listenAgain: input.listenAgain ?? false,
      createdAt: new Date().toISOString(),
      keyHash: hashKey(streamKey),
      joinSecret: newJoinSecret(),
      joinGeneration: 1,
      joinCode: newJoinCode(),
    },
  };
}

/** True when `v` has every field of a ChannelRecord (what a stored document must hold). */
export function isChannelRecord(v: unknown): v is ChannelRecord {
  if (typeof v !== 'object' || v === null) return false;
  const r = v as Record<string, unknown>;
  return (
    typeof r.name === 'string' &&
    isValidMount(r.name) &&
    typeof r.title === 'string' &&
    typeof r.description === 'string' &&
    (r.visibility === 'public' || r.visibility === 'private') &&
    typeof r.record === 'boolean' &&
    typeof r.retentionDays === 'number' &&
    typeof r.listenAgain === 'boolean' &&
    typeof r.createdAt === 'string' &&
    typeof r.keyHash === 'string' &&
    typeof r.joinSecret === 'string' &&
    typeof r.joinGeneration === 'number' &&
    typeof r.joinCode === 'string'
  );
}
