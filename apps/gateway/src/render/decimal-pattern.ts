/**
 * A PCRE pattern, anchored, matching the decimal numbers (digits only, leading zeros allowed)
 * greater than `limit`: how a map compares a number with a fixed one, since nginx has no
 * arithmetic. One pass over the digits, no backtracking into them.
 *
 * A number above `limit` either has more significant digits, or as many and is larger at the
 * first digit where the two differ: for `limit` 8192, `[1-9]\d{4,}` or `9\d{3}`, `8[2-9]\d{2}`,
 * `819[3-9]`.
 */
export function decimalAbovePattern(limit: number): string {
  if (!Number.isSafeInteger(limit) || limit < 0) throw new RangeError(`decimalAbovePattern: ${limit} is not a whole number of at least 0`);
  const digits = String(limit);
  const longer = `[1-9]\\d{${digits.length},}`;
  const sameLength = [...digits].flatMap((digit, index) => {
    const rest = digits.length - index - 1;
    if (digit === '9') return [];
    const larger = Number(digit) + 1 === 9 ? '9' : `[${Number(digit) + 1}-9]`;
    return [`${digits.slice(0, index)}${larger}${rest > 0 ? `\\d{${rest}}` : ''}`];
  });
  return `^0*(?:${[longer, ...sameLength].join('|')})$`;
}
