/**
 * A failure the person running a command can act on (a port taken, a package missing, a bad
 * option). Its message is one line that says what to do; every command prints just that line and
 * exits 1, where any other error is a bug and is printed with its stack.
 */
export class UserError extends Error {
  override name = 'UserError';
}

/** What to print for a failure: a UserError's one line, anything else with its stack (a bug). */
export function failureMessage(error: unknown): string {
  if (error instanceof UserError) return error.message;
  return error instanceof Error ? (error.stack ?? error.message) : String(error);
}
