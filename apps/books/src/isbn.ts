/**
 * Book ids are ISBN-10s written as numbers. Only ISBN-10s made of ten digits (no `X` check
 * digit, no leading zero lost in the number) can be ids, so that is what a valid id looks like.
 */
const TEN_DIGITS = /^[1-9][0-9]{9}$/;

/** An id to show in messages: the tutorial's first book. */
export const EXAMPLE_ID = 1788395549;

/** ISBN-10 check: the digits weighted 10, 9, ..., 1 sum to a multiple of 11. */
function hasValidCheckDigit(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    sum += (10 - i) * Number(digits[i]);
  }
  return sum % 11 === 0;
}

/**
 * What is wrong with `text` as a book id, in words that name `what` (`id`, `the path's id`), or
 * undefined when it is a well-formed ISBN-10 of digits.
 */
export function isbn10Problem(what: string, text: string): string | undefined {
  if (!TEN_DIGITS.test(text)) return `${what} must be an ISBN-10 of ten digits without a leading zero, e.g. ${EXAMPLE_ID}`;
  if (!hasValidCheckDigit(text)) {
    return `${what} ${text} has a wrong check digit: an ISBN-10's digits weighted 10 down to 1 sum to a multiple of 11`;
  }
  return undefined;
}

/** The numeric id for `text` if it is a well-formed ISBN-10 of digits, otherwise `undefined`. */
export function parseIsbn10(text: string): number | undefined {
  return isbn10Problem('id', text) === undefined ? Number(text) : undefined;
}
