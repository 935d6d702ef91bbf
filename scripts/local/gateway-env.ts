import { readFileSync } from 'node:fs';
import {
  gatewayPolicyDefaults,
  gatewayPolicySettings,
  asUserError,
  readGatewayPolicy,
  secretPolicySettings,
  type GatewayPolicyRender,
  type GatewaySecretsInput,
  type SettingSource,
} from '../../apps/gateway/src/index.js';
import { gatewayPortVariable } from '../toolkit/gateway-port.js';
import { LocalRunError } from './local-run-error.js';
import type { GatewayOptions } from './local-system.js';

/*
 * The gateway's security and limit settings for `npm run local`, from environment variables
 * named after the stack config keys (`rateLimitPerSecond` is GATEWAY_RATE_LIMIT_PER_SECOND),
 * read and checked by readGatewayPolicy, which also reads the stack's config, so a developer gets
 * the gateway the cluster gets and the same messages, naming the variable instead of the key.
 * The cluster-only keys (Service ports, replicas) have no variable.
 */

/**
 * The secrets, which may also be read from the file that `<VARIABLE>_FILE` names (keys stay out
 * of shell history); one trailing newline (`\n` or `\r\n`) of the file is not part of the value.
 */
const fileSettings: ReadonlySet<string> = new Set(secretPolicySettings);

/** The variable that is read apart from these: the gateway's port (toolkit/gateway-port.ts). */
const portVariable = gatewayPortVariable;

/** `rateLimitPerSecond` → `GATEWAY_RATE_LIMIT_PER_SECOND`. */
export function gatewayVariable(key: string): string {
  return `GATEWAY_${key.replace(/[A-Z]/g, (letter) => `_${letter}`).toUpperCase()}`;
}

function fileVariable(key: string): string | undefined {
  return fileSettings.has(key) ? `${gatewayVariable(key)}_FILE` : undefined;
}

/** Every variable the local run reads. */
function knownVariables(): string[] {
  const settingVariables = gatewayPolicySettings.flatMap((key) => {
    const file = fileVariable(key);
    return file === undefined ? [gatewayVariable(key)] : [gatewayVariable(key), file];
  });
  return [portVariable, ...settingVariables];
}

/** The lines of `--help` that list the variables, each with the stack config key it stands for. */
export function variablesUsage(): string[] {
  const rows: Array<[string, string]> = [
    [portVariable, "the gateway's port (default 8080)"],
    ...gatewayPolicySettings.map((key): [string, string] => {
      const file = fileVariable(key);
      return [file === undefined ? gatewayVariable(key) : `${gatewayVariable(key)}, ${file}`, `stack config key ${key}`];
    }),
  ];
  const width = Math.max(...rows.map(([names]) => names.length));
  return rows.map(([names, meaning]) => `  ${names.padEnd(width)}  ${meaning}`);
}

/** The settings as environment variables; an empty variable counts as unset, as a blank config key does. */
export function environmentSource(env: NodeJS.ProcessEnv): SettingSource {
  const fileOf = (key: string): { variable: string; path: string } | undefined => {
    const variable = fileVariable(key);
    const path = variable === undefined ? undefined : env[variable];
    return variable !== undefined && path ? { variable, path } : undefined;
  };
  return {
    get(key) {
      const variable = gatewayVariable(key);
      const file = fileOf(key);
      if (file === undefined) return env[variable];
      if (env[variable]) throw new LocalRunError(`set ${variable} or ${file.variable}, not both`);
      try {
        // `echo "$SECRET" > file` adds a newline that is no part of the secret: one is dropped.
        return readFileSync(file.path, 'utf8').replace(/\r?\n$/, '');
      } catch (error) {
        const reason = (error as NodeJS.ErrnoException).code ?? String(error);
        throw new LocalRunError(`${file.variable} names ${file.path}, which cannot be read (${reason})`);
      }
    },
    // A value read from a file is named by the variable that named the file.
    nameOf: (key) => fileOf(key)?.variable ?? gatewayVariable(key),
  };
}

/** What `npm run local` gives the gateway, read from its environment. */
export interface LocalGatewaySettings {
  gateway: GatewayOptions;
  gatewaySecrets: GatewaySecretsInput;
  /** One line naming the settings that differ from the defaults; never a secret. */
  summary: string;
}

/**
 * Reads and checks the gateway settings from `env`; a mistake (a misspelt GATEWAY_ variable
 * too, which would otherwise be ignored in silence) throws a one-line LocalRunError naming the
 * variable.
 */
export function gatewaySettingsFromEnv(env: NodeJS.ProcessEnv): LocalGatewaySettings {
  const known = knownVariables();
  const unknown = Object.keys(env).filter((name) => name.startsWith('GATEWAY_') && !known.includes(name));
  if (unknown.length > 0) {
    throw new LocalRunError(`${unknown.join(', ')}: not a gateway setting; the variables are ${known.join(', ')}`);
  }
  // A setting's mistake is the user's: one line naming the variable, as the stack names the key.
  const policy = asUserError(
    () => readGatewayPolicy(environmentSource(env)),
    (message) => new LocalRunError(message),
  );
  const apiKeyClients = Object.keys(policy.secrets.apiKeys ?? {}).length;
  return {
    gateway: policy.render,
    gatewaySecrets: policy.secrets,
    summary: describeSettings(policy.render, apiKeyClients),
  };
}

/** The settings that are not the defaults, in a few words each. */
function describeSettings(render: GatewayPolicyRender, apiKeyClients: number): string {
  const { jwt, apiKeys } = render.auth;
  const { requestsPerSecond, burst, connectionsPerClient } = render.rateLimit;
  const described = [
    jwt && `JWT ${(jwt.algorithms ?? []).join('/')} (issuer ${jwt.issuer}, audience ${jwt.audience})`,
    apiKeys && `API keys (${apiKeyClients} client${apiKeyClients === 1 ? '' : 's'})`,
    (requestsPerSecond !== gatewayPolicyDefaults.rateLimitPerSecond || burst !== gatewayPolicyDefaults.rateLimitBurst) &&
      `rate limit ${requestsPerSecond}/s burst ${burst}`,
    connectionsPerClient !== gatewayPolicyDefaults.connectionsPerClient && `${connectionsPerClient} connections per client`,
    render.corsOrigins.length > 0 && `CORS for ${render.corsOrigins.join(' ')}`,
    render.clientMaxBodySize.nginx !== gatewayPolicyDefaults.maxBodySize && `bodies up to ${render.clientMaxBodySize.nginx}`,
    render.tls && 'HTTPS with HSTS',
    render.forwardCredentials && 'credentials forwarded to the backends',
  ].filter((part): part is string => typeof part === 'string');
  if (described.length === 0) {
    return 'Gateway settings: the defaults (no JWT key or API key, so writes on /books get 401; see GATEWAY_* in the README)';
  }
  return `Gateway settings: ${described.join(', ')}`;
}
