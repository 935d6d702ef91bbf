import { STATUS_CODES } from 'node:http';

/**
 * The one shape of every error body the API sends, the gateway's own error bodies too:
 * `{ "error": "not_found", "message": "...", "requestId": "..." }`.
 */
export interface ErrorBody {
  /** Machine-readable: the status code's reason phrase in snake case (`not_found`, `method_not_allowed`). */
  error: string;
  /** Human-readable explanation. */
  message: string;
  /** The X-Request-Id the request came with (or the one generated for it), as in the logs. */
  requestId: string;
}

export function errorBody(statusCode: number, message: string, requestId: string): ErrorBody {
  const reason = STATUS_CODES[statusCode] ?? 'Error';
  return { error: reason.toLowerCase().replace(/[^a-z0-9]+/g, '_'), message, requestId };
}
