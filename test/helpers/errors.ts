/** Assertions on the server's coded errors. */
import assert from 'node:assert/strict';
import { ApiError } from '../../src/server/errors.js';
import type { ErrorCode } from '../../src/shared/protocol.js';
import { ERROR_STATUS } from '../../src/shared/protocol.js';

/** Asserts that `fn` throws a ApiError with `code` (and a message matching `message`); returns it. */
export function assertApiError(fn: () => unknown, code: string, message?: RegExp): ApiError {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  assert.ok(caught instanceof ApiError, `expected a ApiError ${code}, got ${String(caught)}`);
  assert.equal(caught.code, code, caught.message);
  if (message) assert.match(caught.message, message);
  return caught;
}

/** Asserts `res` is the error answer for `code`: its HTTP status from the table and a JSON body naming it. */
export async function assertErrorResponse(res: Response, code: ErrorCode): Promise<string> {
  const text = await res.text();
  assert.equal(res.status, ERROR_STATUS[code], `status for ${code}; body: ${text}`);
  const body = JSON.parse(text) as { error?: { code?: string; message?: string } };
  assert.equal(body.error?.code, code);
  assert.ok(body.error?.message, 'the answer says what went wrong');
  return body.error.message;
}
