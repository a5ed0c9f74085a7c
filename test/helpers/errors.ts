/** Assertions on the server's coded errors. */
import assert from 'node:assert/strict';
import { KitError } from '../../src/server/errors.js';

/** Asserts that `fn` throws a KitError with `code` (and a message matching `message`); returns it. */
export function assertKitError(fn: () => unknown, code: string, message?: RegExp): KitError {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  assert.ok(caught instanceof KitError, `expected a KitError ${code}, got ${String(caught)}`);
  assert.equal(caught.code, code, caught.message);
  if (message) assert.match(caught.message, message);
  return caught;
}
