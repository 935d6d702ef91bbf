import * as pulumi from '@pulumi/pulumi';
import * as path from 'node:path';
import { fullKey, optionalSecret, optionalString } from '../config/stack-config.js';

/**
 * Whom the AWS provider authenticates as, from the stack's `aws:` keys: the identity that creates
 * the cluster, and so its only administrator. The kubeconfig's `aws eks get-token` must sign its
 * tokens as that same identity, or every Kubernetes call is Unauthorized. What the CLI can be told
 * is passed on; what it cannot stops the program before the first resource, naming the key.
 */
export interface AwsIdentity {
  /** `aws:profile`: the CLI profile, passed on as `AWS_PROFILE`. */
  profile?: string;
  /** `aws:accessKey`, `aws:secretKey`, `aws:token`: keys set in the stack, passed on as their environment variables. */
  keys?: { accessKey: string; secretKey: pulumi.Input<string>; sessionToken?: pulumi.Input<string> };
  /** The last role of `aws:assumeRoles`, which the provider ends up as: get-token assumes it too (`--role-arn`). */
  roleArn?: string;
  /**
   * `aws:assumeRoleWithWebIdentity` (CI with OIDC federation): the role and the token file, passed
   * on as `AWS_ROLE_ARN`, `AWS_WEB_IDENTITY_TOKEN_FILE` and `AWS_ROLE_SESSION_NAME`.
   */
  webIdentity?: { roleArn: string; tokenFile: string; sessionName?: string };
  /** `aws:sharedCredentialsFiles`' one file, passed on as `AWS_SHARED_CREDENTIALS_FILE`. */
  credentialsFile?: string;
  /** `aws:sharedConfigFiles`' one file, passed on as `AWS_CONFIG_FILE`. */
  configFile?: string;
}

export const awsCliInstallHint = 'The aws CLI (v2) signs the tokens for this cluster: https://aws.amazon.com/cli/';

type EnvironmentVariable = { name: string; value: pulumi.Input<string> };

/** The environment that makes the CLI sign in as `identity`. */
function getTokenEnvironment(identity: AwsIdentity): EnvironmentVariable[] {
  const env: EnvironmentVariable[] = [];
  const set = (name: string, value: pulumi.Input<string> | undefined) => {
    if (value !== undefined) env.push({ name, value });
  };
  set('AWS_PROFILE', identity.profile);
  set('AWS_SHARED_CREDENTIALS_FILE', identity.credentialsFile);
  set('AWS_CONFIG_FILE', identity.configFile);
  set('AWS_ACCESS_KEY_ID', identity.keys?.accessKey);
  set('AWS_SECRET_ACCESS_KEY', identity.keys?.secretKey);
  set('AWS_SESSION_TOKEN', identity.keys?.sessionToken);
  set('AWS_ROLE_ARN', identity.webIdentity?.roleArn);
  set('AWS_WEB_IDENTITY_TOKEN_FILE', identity.webIdentity?.tokenFile);
  set('AWS_ROLE_SESSION_NAME', identity.webIdentity?.sessionName);
  return env;
}

/** The `aws eks get-token` call of the kubeconfig: its arguments and environment, as the provider authenticates. */
export function getTokenExec(clusterName: string, region: string, identity: AwsIdentity) {
  const env = getTokenEnvironment(identity);
  return {
    command: 'aws',
    args: [
      'eks',
      'get-token',
      '--cluster-name',
      clusterName,
      '--region',
      region,
      '--output',
      'json',
      ...(identity.roleArn ? ['--role-arn', identity.roleArn] : []),
    ],
    env: env.length ? env : undefined,
    installHint: awsCliInstallHint,
  };
}

/** One entry of `aws:assumeRoles`, as far as the kubeconfig can follow it. */
interface AssumeRoleConfig {
  roleArn?: string;
  externalId?: string;
}

/**
 * `aws:assumeRoleWithWebIdentity`, as far as the CLI can follow it. Its session policies and
 * duration are left out: they narrow the session's AWS rights, not which role it is, and EKS
 * admits the role.
 */
interface WebIdentityConfig {
  roleArn?: string;
  webIdentityToken?: string;
  webIdentityTokenFile?: string;
  sessionName?: string;
}

function readWebIdentity(awsConfig: pulumi.Config): AwsIdentity['webIdentity'] {
  const config = awsConfig.getObject<WebIdentityConfig>('assumeRoleWithWebIdentity');
  if (config === undefined) return undefined;
  const key = fullKey(awsConfig, 'assumeRoleWithWebIdentity');
  if (config.webIdentityToken !== undefined) {
    throw new pulumi.RunError(
      `${key} gives the web identity token itself, which the kubeconfig's aws eks get-token cannot take (it reads the token from a file, ` +
        `AWS_WEB_IDENTITY_TOKEN_FILE). Write the token to a file and set its path instead: pulumi config set --path ${key}.webIdentityTokenFile /path/to/token`,
    );
  }
  if (!config.roleArn || !config.webIdentityTokenFile) {
    const missing = config.roleArn ? 'webIdentityTokenFile' : 'roleArn';
    throw new pulumi.RunError(`${key} needs ${missing}: pulumi config set --path ${key}.${missing} ...`);
  }
  return { roleArn: config.roleArn, tokenFile: path.resolve(config.webIdentityTokenFile), sessionName: config.sessionName };
}

/** The one file of `aws:sharedCredentialsFiles` or `aws:sharedConfigFiles`: the CLI reads one of each. */
function readOneFile(awsConfig: pulumi.Config, key: string, variable: string): string | undefined {
  const files = awsConfig.getObject<string[]>(key) ?? [];
  if (files.length > 1) {
    throw new pulumi.RunError(
      `${fullKey(awsConfig, key)} lists ${files.length} files, and the kubeconfig's aws eks get-token reads one (${variable}): ` +
        `keep the one that holds the deploying identity: pulumi config set --path '${fullKey(awsConfig, key)}[0]' /path/to/file`,
    );
  }
  return files[0];
}

/** The identity the AWS provider authenticates as, from the stack's `aws:` keys (see AwsIdentity). */
export function readAwsIdentity(awsConfig: pulumi.Config): AwsIdentity {
  const accessKey = optionalString(awsConfig, 'accessKey');
  const secretKey = optionalSecret(awsConfig, 'secretKey');
  if ((accessKey === undefined) !== (secretKey === undefined)) {
    const missing = accessKey === undefined ? 'accessKey' : 'secretKey';
    throw new pulumi.RunError(`Missing config ${fullKey(awsConfig, missing)}: aws:accessKey and aws:secretKey go together`);
  }
  const sessionToken = optionalSecret(awsConfig, 'token');
  const roles = awsConfig.getObject<AssumeRoleConfig[]>('assumeRoles') ?? [];
  const lastRole = roles.at(-1);
  if (lastRole?.externalId) {
    throw new pulumi.RunError(
      `${fullKey(awsConfig, 'assumeRoles')} asks for an external ID, which the kubeconfig's aws eks get-token cannot pass: ` +
        'the cluster would be created by a role its kubeconfig cannot act as. Use a role without one, or an aws:profile that assumes it',
    );
  }
  return {
    profile: optionalString(awsConfig, 'profile'),
    keys:
      accessKey && secretKey
        ? {
            accessKey,
            secretKey: pulumi.secret(secretKey),
            sessionToken: sessionToken === undefined ? undefined : pulumi.secret(sessionToken),
          }
        : undefined,
    roleArn: lastRole?.roleArn,
    webIdentity: readWebIdentity(awsConfig),
    credentialsFile: readOneFile(awsConfig, 'sharedCredentialsFiles', 'AWS_SHARED_CREDENTIALS_FILE'),
    configFile: readOneFile(awsConfig, 'sharedConfigFiles', 'AWS_CONFIG_FILE'),
  };
}
