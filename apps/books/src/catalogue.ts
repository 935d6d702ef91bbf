/** A book as the API returns it; `id` is the book's ISBN-10 as a number. */
export interface Book {
  readonly id: number;
  readonly title: string;
}

/** The catalogue: the tutorial's two books first, then a few more real ones. */
export const BOOKS: readonly Book[] = Object.freeze([
  { id: 1788395549, title: 'Learning Node.js Development' },
  { id: 1788620216, title: 'Hands-On Microservices with Node.js' },
  { id: 1839214112, title: 'Node.js Design Patterns, Third Edition' },
  { id: 1491950358, title: 'Building Microservices' },
  { id: 1449373321, title: 'Designing Data-Intensive Applications' },
  { id: 1593279507, title: 'Eloquent JavaScript, Third Edition' },
].map((book) => Object.freeze(book)));

const BOOKS_BY_ID = new Map(BOOKS.map((book) => [book.id, book]));

export function findBook(id: number): Book | undefined {
  return BOOKS_BY_ID.get(id);
}
