/**
 * A setting that is not valid: its message names the setting as the user sets it (the stack
 * config key `books-gateway:rateLimitBurst`, the variable `GATEWAY_RATE_LIMIT_BURST`, the
 * argument `rateLimitBurst`) and what is valid, on one line, and never quotes a secret. A plain
 * Error, so that reading settings needs no Pulumi: the stack config turns it into a
 * `pulumi.RunError`, the local run prints it as its one-line user error.
 */
export class GatewaySettingsError extends Error {
  override name = 'GatewaySettingsError';

  /** `setting` is the name the message starts with (or names first), as the user knows it. */
  constructor(
    readonly setting: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The check's result; its GatewaySettingsError, if any, thrown again as the caller's own kind of
 * user error (the stack's RunError, a command's UserError) with the same one-line message.
 */
export function asUserError<T>(check: () => T, userError: (message: string) => Error): T {
  try {
    return check();
  } catch (error) {
    if (error instanceof GatewaySettingsError) throw userError(error.message);
    throw error;
  }
}
