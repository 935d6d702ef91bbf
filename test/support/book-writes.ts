/** Books to write in tests: valid ISBN-10 ids, a new one on each call, and who the API says wrote them. */
import assert from 'node:assert/strict';
import { randomInt } from 'node:crypto';

export function isIsbn10(id: number): boolean {
  const digits = String(id);
  const sum = [...digits].reduce((total, digit, i) => total + (10 - i) * Number(digit), 0);
  return digits.length === 10 && sum % 11 === 0;
}

/** The `n`-th ISBN-10 made of digits from `prefix` on: no leading zero, no `X` check digit. */
export function isbn10(n: number, prefix = 300_000_000): number {
  for (let body = prefix + n * 11; ; body++) {
    const digits = String(body);
    const sum = [...digits].reduce((total, digit, i) => total + (10 - i) * Number(digit), 0);
    const check = (11 - (sum % 11)) % 11;
    if (check < 10) return Number(`${digits}${check}`);
  }
}

/** Ids this process has not written yet, far from those the books suites pick by hand. */
const firstId = 800_000_000 + randomInt(0, 90_000_000);
let written = 0;

/** A JSON body for POST /books of a book no other call made. */
export function newBookBody(title = 'Written in a test'): string {
  return JSON.stringify({ id: isbn10(written++, firstId), title });
}

/** The API created the book and recorded `subject` (the JWT's sub, the API key's client) as its author. */
export function assertCreatedBy(response: { status: number; body: string }, subject: string, what: string): void {
  assert.equal(response.status, 201, `${what}: ${response.body}`);
  const book = JSON.parse(response.body) as { createdBy: string; updatedBy: string };
  assert.deepEqual([book.createdBy, book.updatedBy], [subject, subject], what);
}
