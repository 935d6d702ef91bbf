import type { Checked } from './book-input';
import { parseIsbn10 } from './isbn';

/** GET /books pages: `limit` books (default 50, at most 200) after the cursor, in id order. */
export const DEFAULT_LIMIT = 50;
export const MAX_LIMIT = 200;

export interface PageRequest {
  limit: number;
  /** The last id of the previous page; undefined for the first. */
  after?: number;
}

/**
 * The cursor names the last book of a page, opaquely (base64url of its id), so that clients
 * follow the Link header rather than build cursors, and the encoding may change later.
 */
export function encodeCursor(lastId: number): string {
  return Buffer.from(String(lastId)).toString('base64url');
}

function decodeCursor(cursor: string): number | undefined {
  if (!/^[A-Za-z0-9_-]{1,32}$/.test(cursor)) return undefined;
  return parseIsbn10(Buffer.from(cursor, 'base64url').toString('latin1'));
}

/** `limit` and `cursor` from the query string, each problem naming its parameter. */
export function checkPageRequest(query: Record<string, string | string[] | undefined>): Checked<PageRequest> {
  const problems: string[] = [];
  const limitText = query['limit'];
  let limit = DEFAULT_LIMIT;
  if (limitText !== undefined) {
    limit = Number(limitText);
    if (typeof limitText !== 'string' || !/^\d{1,3}$/.test(limitText) || limit < 1 || limit > MAX_LIMIT) {
      problems.push(`limit must be a whole number from 1 to ${MAX_LIMIT}`);
    }
  }
  const cursorText = query['cursor'];
  let after: number | undefined;
  if (cursorText !== undefined) {
    after = typeof cursorText === 'string' ? decodeCursor(cursorText) : undefined;
    if (after === undefined) problems.push('cursor is not one this API gave: follow the Link header of the previous page');
  }
  return problems.length > 0 ? { ok: false, problems } : { ok: true, value: { limit, after } };
}

/** The Link header naming the next page, relative to the API's root as the client reached it. */
export function nextPageLink(limit: number, lastId: number): string {
  return `</books?limit=${limit}&cursor=${encodeCursor(lastId)}>; rel="next"`;
}
