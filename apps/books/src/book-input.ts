import { isbn10Problem } from './isbn';

/*
 * The bodies of writes, checked field by field: a 400 names every field that is wrong, so a
 * client fixes them all at once rather than one per request.
 */

/** Longest title the API stores (the table's check says the same). */
export const MAX_TITLE_LENGTH = 500;

export type Checked<T> = { ok: true; value: T } | { ok: false; problems: string[] };

/** C0 and C1 control characters: a title is one line of text. */
// eslint-disable-next-line no-control-regex -- matching control characters is this pattern's job.
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

function titleProblem(title: unknown): string | undefined {
  if (title === undefined) return 'title is required';
  if (typeof title !== 'string') return 'title must be a string';
  if (title.trim() === '') return 'title must not be empty';
  if (title.length > MAX_TITLE_LENGTH) return `title must be at most ${MAX_TITLE_LENGTH} characters, got ${title.length}`;
  if (CONTROL.test(title)) return 'title must not contain control characters (line breaks, tabs)';
  return undefined;
}

function idProblem(id: unknown): string | undefined {
  if (id === undefined) return 'id is required';
  if (typeof id !== 'number' || !Number.isInteger(id)) return 'id must be a number, the ISBN-10 written as digits';
  return isbn10Problem('id', String(id));
}

/** The body as an object of known fields; unknown ones are problems too (a misspelt `titel`). */
function fields(body: unknown, known: readonly string[]): Checked<Record<string, unknown>> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return { ok: false, problems: [`the body must be a JSON object with ${known.join(' and ')}`] };
  }
  const unknown = Object.keys(body).filter((key) => !known.includes(key));
  const problems = unknown.map((key) => `${JSON.stringify(key.slice(0, 40))} is not a field of a book (${known.join(', ')})`);
  return problems.length > 0 ? { ok: false, problems } : { ok: true, value: body as Record<string, unknown> };
}

/** POST /books: `{ "id": <ISBN-10>, "title": "..." }`. */
export function checkNewBook(body: unknown): Checked<{ id: number; title: string }> {
  const object = fields(body, ['id', 'title']);
  if (!object.ok) return object;
  const problems = [idProblem(object.value['id']), titleProblem(object.value['title'])].filter((problem) => problem !== undefined);
  if (problems.length > 0) return { ok: false, problems };
  return { ok: true, value: { id: object.value['id'] as number, title: (object.value['title'] as string).trim() } };
}

/** PUT /books/:id: `{ "title": "..." }`, with `id` allowed only if it is the path's. */
export function checkTitleChange(body: unknown, pathId: number): Checked<{ title: string }> {
  const object = fields(body, ['id', 'title']);
  if (!object.ok) return object;
  const id = object.value['id'];
  const problems = [
    id === undefined || id === pathId ? undefined : `id must be the path's id ${pathId} or left out: a book's id cannot change`,
    titleProblem(object.value['title']),
  ].filter((problem) => problem !== undefined);
  if (problems.length > 0) return { ok: false, problems };
  return { ok: true, value: { title: (object.value['title'] as string).trim() } };
}
