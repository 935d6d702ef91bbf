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

async function request(signal: AbortSignal): Promise<Response> {
  try {
    // Relative to the page's origin: the gateway routes /books to the API.
    return await fetch('/books', {
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

/** GET /books; rejects with BooksUnavailableError unless it is a 2xx JSON list of books. */
export async function fetchBooks(signal: AbortSignal): Promise<Book[]> {
  const response = await request(signal);
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
