import type { Book } from './books-api';
import { useBooks } from './use-books';

/** ISBN-10 as printed: ids are numbers, so a leading zero has to be put back. */
function formatIsbn(id: number): string {
  return String(id).padStart(10, '0');
}

function BookList({ books }: { books: Book[] }) {
  if (books.length === 0) return <p className="empty">No books yet.</p>;
  return (
    <ul aria-label="Books" className="books">
      {books.map((book) => (
        <li key={book.id}>
          <span className="title">{book.title}</span> <span className="isbn">ISBN {formatIsbn(book.id)}</span>
        </li>
      ))}
    </ul>
  );
}

function LoadError({ reason, onRetry }: { reason: string; onRetry: () => void }) {
  return (
    <div role="alert" className="notice">
      <p className="notice-title">Sorry, the books could not be loaded.</p>
      <p className="notice-detail">{reason} Please try again in a moment.</p>
      <button type="button" onClick={onRetry}>
        Retry
      </button>
    </div>
  );
}

export function App() {
  const { state, retry } = useBooks();
  return (
    <main className="page">
      <h1>Books</h1>
      {state.status === 'loading' && (
        <p role="status" className="loading">
          Loading books…
        </p>
      )}
      {state.status === 'failed' && <LoadError reason={state.reason} onRetry={retry} />}
      {state.status === 'loaded' && <BookList books={state.books} />}
    </main>
  );
}
