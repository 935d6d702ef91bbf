/**
 * A failure the person running the system can act on (a port taken, nginx missing, a build not
 * done). Its message is one line that says what to do; `npm run local` prints just that.
 */
export class LocalRunError extends Error {
  override name = 'LocalRunError';
}
