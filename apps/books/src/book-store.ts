import type { Pool, QueryResultRow } from 'pg';
import type { Book } from './book';
import { isUnavailable } from './database';
import type { Caller } from './identity';
import type { PageRequest } from './paging';

/** The database cannot be reached now: the client gets a 503 and may retry. */
export class DatabaseUnavailableError extends Error {
  override name = 'DatabaseUnavailableError';
}

export interface BookPage {
  books: Book[];
  /** Whether books follow the last one of this page. */
  more: boolean;
}

const COLUMNS = 'id, title, created_by AS "createdBy", created_at AS "createdAt", updated_by AS "updatedBy", updated_at AS "updatedAt"';

/**
 * The books table. Every statement is one atomic statement (no transaction spans a round
 * trip): two creates of one id give one row and one conflict, two updates of one book leave one
 * whole title. Statements are named, so each connection parses and plans them once.
 */
export class BookStore {
  constructor(private readonly pool: Pool) {}

  /** `limit` books after `after` in id order, and whether more follow. */
  async list({ limit, after }: PageRequest): Promise<BookPage> {
    const rows = await this.query<Book>('books-list', `SELECT ${COLUMNS} FROM books WHERE id > $1 ORDER BY id LIMIT $2`, [
      after ?? 0,
      limit + 1,
    ]);
    return { books: rows.slice(0, limit), more: rows.length > limit };
  }

  async find(id: number): Promise<Book | undefined> {
    const [book] = await this.query<Book>('books-find', `SELECT ${COLUMNS} FROM books WHERE id = $1`, [id]);
    return book;
  }

  /** The new book, or undefined when a book with this id exists. */
  async create(book: { id: number; title: string }, caller: Caller): Promise<Book | undefined> {
    const [created] = await this.query<Book>(
      'books-create',
      `INSERT INTO books (id, title, created_by, updated_by) VALUES ($1, $2, $3, $3) ON CONFLICT (id) DO NOTHING RETURNING ${COLUMNS}`,
      [book.id, book.title, caller.subject],
    );
    return created;
  }

  /** The book with its new title, or undefined when there is no such book. */
  async replaceTitle(id: number, title: string, caller: Caller): Promise<Book | undefined> {
    const [updated] = await this.query<Book>(
      'books-replace-title',
      `UPDATE books SET title = $2, updated_by = $3, updated_at = now() WHERE id = $1 RETURNING ${COLUMNS}`,
      [id, title, caller.subject],
    );
    return updated;
  }

  /** Whether a book was removed (false: there was none). */
  async remove(id: number): Promise<boolean> {
    const rows = await this.query('books-remove', 'DELETE FROM books WHERE id = $1 RETURNING id', [id]);
    return rows.length > 0;
  }

  private async query<Row extends QueryResultRow>(name: string, text: string, values: unknown[]): Promise<Row[]> {
    try {
      return (await this.pool.query<Row>({ name, text, values })).rows;
    } catch (error) {
      if (isUnavailable(error)) throw new DatabaseUnavailableError((error as Error).message, { cause: error });
      throw error;
    }
  }
}
