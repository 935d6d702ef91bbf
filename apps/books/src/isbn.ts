/**
 * Book ids are ISBN-10s written as numbers. Only ISBN-10s made of ten digits (no `X` check
 * digit, no leading zero lost in the number) can be ids, so that is what a valid id looks like.
 */
const TEN_DIGITS = /^[0-9]{10}$/;

/** ISBN-10 check: the digits weighted 10, 9, ..., 1 sum to a multiple of 11. */
function hasValidCheckDigit(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    sum += (10 - i) * Number(digits[i]);
  }
  return sum % 11 === 0;
}

/** The numeric id for `text` if it is a well-formed ISBN-10 of digits, otherwise `undefined`. */
export function parseIsbn10(text: string): number | undefined {
  return TEN_DIGITS.test(text) && hasValidCheckDigit(text) ? Number(text) : undefined;
}
