import { useCallback, useEffect, useState } from 'react';
import { BooksUnavailableError, fetchBooks, type Book } from './books-api';

export type BooksState = { status: 'loading' } | { status: 'loaded'; books: Book[] } | { status: 'failed'; reason: string };

/** The book list, fetched on mount and again on `retry()`; an unmount cancels the request. */
export function useBooks(): { state: BooksState; retry: () => void } {
  const [state, setState] = useState<BooksState>({ status: 'loading' });
  const [attempt, setAttempt] = useState(0);

  useEffect(() => {
    const controller = new AbortController();
    fetchBooks(controller.signal).then(
      (books) => {
        if (!controller.signal.aborted) setState({ status: 'loaded', books });
      },
      (error: unknown) => {
        if (controller.signal.aborted) return;
        const reason = error instanceof BooksUnavailableError ? error.message : 'Something went wrong.';
        setState({ status: 'failed', reason });
      },
    );
    return () => controller.abort();
  }, [attempt]);

  const retry = useCallback(() => {
    setState({ status: 'loading' });
    setAttempt((previous) => previous + 1);
  }, []);

  return { state, retry };
}
