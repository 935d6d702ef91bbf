import { asUserError, gatewayPorts, settingReaders } from '../../apps/gateway/src/index.js';
import { UserError } from './user-error.js';

/** The variable that sets the port `npm run local` and `npm run rehearse` publish the gateway on. */
export const gatewayPortVariable = 'GATEWAY_PORT';

/**
 * The port GATEWAY_PORT names, 8080 when it is unset or empty; checked with the one port rule of
 * the gateway's settings (the stack's Service ports' too), a mistake a UserError naming the variable.
 */
export function gatewayPortFromEnv(env: NodeJS.ProcessEnv): number {
  const source = { get: () => env[gatewayPortVariable], nameOf: () => gatewayPortVariable };
  return (
    asUserError(
      () => settingReaders.readPort(source, gatewayPortVariable),
      (message) => new UserError(message),
    ) ?? gatewayPorts.public
  );
}
