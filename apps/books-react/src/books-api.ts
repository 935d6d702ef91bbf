/** A book as the books API returns it: `id` is its ISBN-10 as a number. */
export interface Book {
  id: number;
  title: string;
}

/** Why the books could not be loaded, in words a reader of the page understands. */
export class BooksUnavailableError extends Error {
  override name = 'BooksUnavailableError';
}

/** Past this, a hanging gateway is reported as an error instead of loading forever. */
const TIMEOUT_MS = 10_000;

function isBook(value: unknown): value is Book {
  if (typeof value !== 'object' || value === null) return false;
  const { id, title } = value as Record<string, unknown>;
  return typeof id === 'number' && Number.isInteger(id) && typeof title === 'string';
}

/**
 * Pages followed at most: 1,000 pages of the API's 50 books. A Link header that never ends is a
 * fault, reported rather than followed forever.
 */
const MAX_PAGES = 1000;

async function request(path: string, signal: AbortSignal): Promise<Response> {
  try {
    // Relative to the page's origin: the gateway routes /books to the API.
    return await fetch(path, {
      headers: { Accept: 'application/json' },
      signal: AbortSignal.any([signal, AbortSignal.timeout(TIMEOUT_MS)]),
    });
  } catch (error) {
    if (signal.aborted) throw error;
    throw new BooksUnavailableError(
      error instanceof DOMException && error.name === 'TimeoutError'
        ? 'The server took too long to answer.'
        : 'The server could not be reached.',
    );
  }
}

/**
 * The next page the API names in its Link header (`</books?limit=50&cursor=...>; rel="next"`),
 * only ever a path of the API on this origin; undefined on the last page.
 */
function nextPage(response: Response): string | undefined {
  const link = /<(\/books\?[^>]*)>\s*;\s*rel="?next"?/i.exec(response.headers.get('link') ?? '');
  return link?.[1];
}

/**
 * Every book: GET /books and each next page its Link header names; rejects with
 * BooksUnavailableError unless each answer is a 2xx JSON list of books.
 */
export async function fetchBooks(signal: AbortSignal): Promise<Book[]> {
  const books: Book[] = [];
  let path: string | undefined = '/books';
  for (let pages = 0; path !== undefined; pages++) {
    if (pages === MAX_PAGES) throw new BooksUnavailableError(`The server named more than ${MAX_PAGES} pages of books.`);
    const response = await request(path, signal);
    books.push(...(await readPage(response, signal)));
    path = nextPage(response);
  }
  return books;
}

/** One page's books; rejects with BooksUnavailableError unless it is a 2xx JSON list of books. */
async function readPage(response: Response, signal: AbortSignal): Promise<Book[]> {
  if (!response.ok) {
    throw new BooksUnavailableError(`The server answered ${response.status} ${response.statusText}`.trim() + '.');
  }
  if (!/^application\/([\w.-]+\+)?json\b/i.test(response.headers.get('content-type') ?? '')) {
    throw new BooksUnavailableError('The server did not answer with book data.');
  }
  let data: unknown;
  try {
    data = await response.json();
  } catch (error) {
    if (signal.aborted) throw error;
    throw new BooksUnavailableError('The book data could not be read.');
  }
  if (!Array.isArray(data) || !data.every(isBook)) {
    throw new BooksUnavailableError('The book data was not in the expected form.');
  }
  return data;
}
