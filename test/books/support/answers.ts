/** What the books API's answers look like, and the ids and identities the tests write with. */
import assert from 'node:assert/strict';
import type { HttpResponse } from './http-client';

export { isIsbn10, isbn10 } from '../../support/book-writes';

export const JSON_TYPE = 'application/json; charset=utf-8';

/** The API's one error shape (assertError checks a response has it). */
export interface ErrorBody {
  error: string;
  message: string;
  requestId: string;
}

/** A JSON error in the API's one shape: its status, its code, a message, the request id. */
export function assertError(response: HttpResponse, status: number, error: string): void {
  assert.equal(response.status, status, response.body);
  assert.equal(response.headers['content-type'], JSON_TYPE);
  const body: unknown = JSON.parse(response.body);
  assert.deepEqual(Object.keys(body as object).sort(), ['error', 'message', 'requestId']);
  const { error: code, message, requestId } = body as Record<string, unknown>;
  assert.equal(code, error);
  assert.ok(typeof message === 'string' && message.length > 0, 'a human-readable message');
  assert.ok(typeof requestId === 'string' && requestId.length > 0, 'the request id');
}

/** The headers the gateway adds to a write it authenticated. */
export function identity(subject: string, method: 'jwt' | 'api-key' = 'jwt'): Record<string, string> {
  return { 'x-auth-subject': subject, 'x-auth-method': method };
}
