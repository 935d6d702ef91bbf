/**
 * A failure the person running the system can act on (a port taken, nginx missing, a build not
 * done). Its message is one line that says what to do; `npm run local` prints just that.
 */
export class LocalRunError extends Error {
  override name = 'LocalRunError';
}

/** What to print for a failure: a LocalRunError's one line, anything else with its stack (a bug). */
export function failureMessage(error: unknown): string {
  if (error instanceof LocalRunError) return error.message;
  return error instanceof Error ? (error.stack ?? error.message) : String(error);
}
