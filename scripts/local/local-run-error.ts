import { UserError } from '../toolkit/user-error.js';

/**
 * A failure the person running the system can act on (a port taken, nginx missing, a build not
 * done): the toolkit's UserError, under the name the local run's modules know it by.
 */
export class LocalRunError extends UserError {
  override name = 'LocalRunError';
}

export { failureMessage } from '../toolkit/user-error.js';
