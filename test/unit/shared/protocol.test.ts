import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ErrorCode, StatusMessage } from '../../../src/shared/protocol.js';
import {
  DEFAULT_MOUNT,
  ERROR_STATUS,
  isValidMount,
  parseErrorBody,
  parseServerMessage,
  paths,
  RESERVED_NAMES,
} from '../../../src/shared/protocol.js';

const STATUS: StatusMessage = {
  type: 'status',
  mount: 'live',
  state: 'live',
  listeners: 3,
  startedAt: '2024-05-01T10:00:00.000Z',
  title: 'Morning show',
  bytesIn: 12_345,
};

/** Every ErrorCode, spelled out: the compiler fails this file when a code is added or removed. */
const ALL_CODES: Record<ErrorCode, true> = {
  AUTH_BAD_KEY: true,
  AUTH_BAD_SESSION: true,
  AUTH_BAD_TOKEN: true,
  AUTH_RATE_LIMITED: true,
  ORIGIN_NOT_ALLOWED: true,
  MOUNT_INVALID: true,
  MOUNT_IN_USE: true,
  MOUNT_LIMIT: true,
  LISTEN_OFFLINE: true,
  LISTEN_FULL: true,
  LISTEN_FORMAT_UNAVAILABLE: true,
  STATUS_FULL: true,
  STATUS_ADDRESS_LIMIT: true,
  INGEST_UNSUPPORTED_TYPE: true,
  INGEST_CHUNK_TOO_LARGE: true,
  INGEST_SEQUENCE_GAP: true,
  INGEST_BAD_SEQUENCE: true,
  INGEST_IDLE_TIMEOUT: true,
  WEBM_CORRUPT: true,
  WEBM_INIT_TOO_LARGE: true,
  WEBM_ELEMENT_TOO_LARGE: true,
  OGG_CORRUPT: true,
  OGG_PAGE_TOO_LARGE: true,
  MPEG_CORRUPT: true,
  BAD_REQUEST: true,
  NOT_FOUND: true,
  RECORDING_IN_PROGRESS: true,
  SERVER_CLOSING: true,
  CLUSTER_UNAVAILABLE: true,
  HLS_TOO_FAR: true,
  HLS_HOLD_TIMEOUT: true,
  HLS_BUSY: true,
  CHANNEL_PRIVATE: true,
  JOIN_REFUSED: true,
  CHANNEL_EXISTS: true,
  ADMIN_CSRF: true,
  RANGE_NOT_SATISFIABLE: true,
  CHANNEL_ACCESS_CHANGED: true,
  INTERNAL: true,
};

describe('protocol', () => {
  describe('parseServerMessage', () => {
    it('accepts a live status message', () => {
      assert.deepEqual(parseServerMessage(JSON.stringify(STATUS)), STATUS);
    });

    it('accepts an offline status message with null start time and title', () => {
      const offline = { ...STATUS, state: 'offline', listeners: 0, startedAt: null, title: null, bytesIn: 0 };
      assert.deepEqual(parseServerMessage(JSON.stringify(offline)), offline);
    });

    it('keeps only the known fields of a status message', () => {
      const parsed = parseServerMessage(JSON.stringify({ ...STATUS, extra: 'ignored' }));
      assert.deepEqual(parsed, STATUS);
    });

    it("keeps a live status's source format when it is one it knows, and drops any other", () => {
      for (const format of ['opus', 'mp3', 'aac'] as const) {
        assert.deepEqual(parseServerMessage(JSON.stringify({ ...STATUS, format })), { ...STATUS, format });
      }
      for (const format of ['flac', 1, null]) {
        assert.deepEqual(parseServerMessage(JSON.stringify({ ...STATUS, format })), STATUS);
      }
    });

    it("keeps the source's delivery interval when it is a positive number", () => {
      const withInterval = { ...STATUS, sourceIntervalMs: 1_000 };
      assert.deepEqual(parseServerMessage(JSON.stringify(withInterval)), withInterval);
      assert.deepEqual(parseServerMessage(JSON.stringify({ ...STATUS, sourceIntervalMs: -5 })), STATUS);
      assert.deepEqual(parseServerMessage(JSON.stringify({ ...STATUS, sourceIntervalMs: '1000' })), STATUS);
    });

    it('accepts an error message', () => {
      const msg = { type: 'error', code: 'MOUNT_INVALID', message: 'No such mount.' };
      assert.deepEqual(parseServerMessage(JSON.stringify(msg)), msg);
    });

    it('rejects text that is not JSON', () => {
      for (const text of ['', 'status', '{', '{"type":"status"', 'undefined', "{'type':'status'}"]) {
        assert.equal(parseServerMessage(text), null, JSON.stringify(text));
      }
    });

    it('rejects JSON that is not an object', () => {
      for (const v of [null, 1, 'status', true, [], [STATUS]]) {
        assert.equal(parseServerMessage(JSON.stringify(v)), null, JSON.stringify(v));
      }
    });

    it('rejects an unknown message type', () => {
      assert.equal(parseServerMessage(JSON.stringify({ ...STATUS, type: 'hello' })), null);
      assert.equal(parseServerMessage(JSON.stringify({ ...STATUS, type: 'STATUS' })), null);
    });

    it('rejects a status message with a field missing', () => {
      for (const key of Object.keys(STATUS).filter((k) => k !== 'type')) {
        const { [key]: _dropped, ...rest } = STATUS as unknown as Record<string, unknown>;
        assert.equal(parseServerMessage(JSON.stringify(rest)), null, `without ${key}`);
      }
    });

    it('rejects a status message with a field of the wrong type', () => {
      const wrong: Array<[keyof StatusMessage, unknown]> = [
        ['mount', 7],
        ['mount', null],
        ['state', 'LIVE'],
        ['state', 'paused'],
        ['state', null],
        ['listeners', '3'],
        ['listeners', null],
        ['startedAt', 1714557600000],
        ['title', 42],
        ['title', false],
        ['bytesIn', '12345'],
      ];
      for (const [key, value] of wrong) {
        const text = JSON.stringify({ ...STATUS, [key]: value });
        assert.equal(parseServerMessage(text), null, `${key}: ${JSON.stringify(value)}`);
      }
    });

    it('rejects a status message nested one level too deep', () => {
      assert.equal(parseServerMessage(JSON.stringify({ status: STATUS })), null);
      assert.equal(parseServerMessage(JSON.stringify({ type: 'status', status: STATUS })), null);
      assert.equal(parseServerMessage(JSON.stringify({ ...STATUS, mount: { name: 'live' } })), null);
      assert.equal(parseServerMessage(JSON.stringify({ ...STATUS, listeners: [3] })), null);
    });

    it('rejects an error message without a string code and message', () => {
      for (const msg of [
        { type: 'error' },
        { type: 'error', code: 'INTERNAL' },
        { type: 'error', message: 'x' },
        { type: 'error', code: 500, message: 'x' },
        { type: 'error', code: 'INTERNAL', message: { text: 'x' } },
        { type: 'error', error: { code: 'INTERNAL', message: 'x' } },
      ]) {
        assert.equal(parseServerMessage(JSON.stringify(msg)), null, JSON.stringify(msg));
      }
    });
  });

  describe('isValidMount', () => {
    it('accepts lower-case names with digits, dashes and underscores', () => {
      for (const name of [DEFAULT_MOUNT, 'a', '0', 'radio-1', 'my_show', 'x'.repeat(64)]) {
        assert.equal(isValidMount(name), true, name);
      }
    });

    it('accepts 64 characters and rejects 65', () => {
      assert.equal(isValidMount('a'.repeat(64)), true);
      assert.equal(isValidMount('a'.repeat(65)), false);
    });

    it('rejects upper case, empty names, a leading dash or underscore and other characters', () => {
      for (const name of [
        'Live',
        'LIVE',
        '',
        '-live',
        '_live',
        'live.webm',
        'a/b',
        'a b',
        'ümlaut',
        'live\n',
      ]) {
        assert.equal(isValidMount(name), false, JSON.stringify(name));
      }
    });

    it('rejects every reserved name', () => {
      for (const name of RESERVED_NAMES) assert.equal(isValidMount(name), false, name);
      for (const name of ['api', 'ws', 'assets', 'broadcast', 'listen', 'admin']) {
        assert.equal(isValidMount(name), false, name);
      }
    });

    it('accepts names that only start like a reserved name', () => {
      assert.equal(isValidMount('api2'), true);
      assert.equal(isValidMount('broadcasts'), true);
    });
  });

  describe('ERROR_STATUS', () => {
    it('has exactly one entry per ErrorCode', () => {
      assert.deepEqual(Object.keys(ERROR_STATUS).sort(), Object.keys(ALL_CODES).sort());
    });

    it('gives every code a 4xx or 5xx status', () => {
      for (const [code, status] of Object.entries(ERROR_STATUS)) {
        assert.ok(Number.isInteger(status) && status >= 400 && status <= 599, `${code} → ${status}`);
      }
    });

    it('maps the codes clients branch on to their statuses', () => {
      assert.equal(ERROR_STATUS.AUTH_BAD_KEY, 401);
      assert.equal(ERROR_STATUS.MOUNT_IN_USE, 409);
      assert.equal(ERROR_STATUS.LISTEN_OFFLINE, 404);
      assert.equal(ERROR_STATUS.INGEST_UNSUPPORTED_TYPE, 415);
      assert.equal(ERROR_STATUS.INTERNAL, 500);
    });
  });

  describe('parseErrorBody', () => {
    it('returns the error of a well-formed body', () => {
      assert.deepEqual(parseErrorBody({ error: { code: 'MOUNT_IN_USE', message: 'Busy.' } }), {
        code: 'MOUNT_IN_USE',
        message: 'Busy.',
      });
    });

    it('keeps a numeric expectedSeq and drops one of another type', () => {
      assert.deepEqual(
        parseErrorBody({ error: { code: 'INGEST_SEQUENCE_GAP', message: 'Gap.', expectedSeq: 4 } }),
        { code: 'INGEST_SEQUENCE_GAP', message: 'Gap.', expectedSeq: 4 },
      );
      assert.deepEqual(
        parseErrorBody({ error: { code: 'INGEST_SEQUENCE_GAP', message: 'Gap.', expectedSeq: '4' } }),
        { code: 'INGEST_SEQUENCE_GAP', message: 'Gap.' },
      );
    });

    it('returns null for anything else', () => {
      for (const v of [
        null,
        undefined,
        'error',
        [],
        {},
        { error: null },
        { error: 'INTERNAL' },
        { error: [] },
        { error: { code: 'INTERNAL' } },
        { error: { message: 'x' } },
        { error: { code: 1, message: 'x' } },
        { code: 'INTERNAL', message: 'x' },
      ]) {
        assert.equal(parseErrorBody(v), null, JSON.stringify(v));
      }
    });
  });

  describe('paths', () => {
    it('builds the mount paths', () => {
      assert.equal(paths.listenWebm('live'), '/live.webm');
      assert.equal(paths.listenPage('live'), '/listen/live');
      assert.equal(paths.ingestSession('live'), '/api/ingest/live/session');
      assert.equal(paths.ingestStream('live'), '/api/ingest/live/stream');
      assert.equal(paths.ingestChunk('live'), '/api/ingest/live/chunk');
    });
  });
});
