import * as pulumi from '@pulumi/pulumi';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fullKey, optionalSecret, optionalString, setCommand } from '../config/stack-config.js';

/*
 * The kubeconfig's gke-gcloud-auth-plugin must reach the cluster as the identity the Google
 * provider created it as: that identity is the cluster's administrator, any other may be refused
 * or see less. The plugin runs with the application-default credentials (ADC); the provider also
 * takes credentials from the stack's `gcp:` keys, which the plugin never sees. What can be passed
 * is passed; what cannot stops the program before the first resource, with the command that makes
 * ADC carry it instead.
 */

/** A variable of the plugin's environment, as a kubeconfig's exec section holds it. */
export interface PluginEnvironmentVariable {
  name: string;
  value: string;
}

/**
 * `gcp:credentials` as a key file for ADC (`GOOGLE_APPLICATION_CREDENTIALS`): the provider takes
 * a path or the key's JSON itself, the plugin only a path.
 */
function credentialsFile(gcpConfig: pulumi.Config): PluginEnvironmentVariable[] {
  const key = fullKey(gcpConfig, 'credentials');
  const value = optionalSecret(gcpConfig, 'credentials')?.trim();
  if (value === undefined) return [];
  if (value.startsWith('{')) {
    // The value is a key: it must stay out of the message.
    throw new pulumi.RunError(
      `${key} holds a service account key itself, which gke-gcloud-auth-plugin cannot take (it reads a key only from a file), ` +
        `so the kubeconfig would reach the cluster as another identity. Save the key to a file outside the repository and set its path: ` +
        `${setCommand(gcpConfig, 'credentials', '/path/to/key.json')}`,
    );
  }
  const file = path.resolve(value);
  if (!fs.existsSync(file)) {
    throw new pulumi.RunError(
      `${key} names ${file}, which does not exist. Set the path of the key file: ${setCommand(gcpConfig, 'credentials', '/path/to/key.json')}`,
    );
  }
  return [{ name: 'GOOGLE_APPLICATION_CREDENTIALS', value: file }];
}

/**
 * Impersonation and a fixed access token: the provider uses them, the plugin has no way to, so
 * the kubeconfig would act as the identity behind ADC instead.
 */
function refuseWhatThePluginCannotUse(gcpConfig: pulumi.Config): void {
  const account = optionalString(gcpConfig, 'impersonateServiceAccount');
  if (account !== undefined || optionalString(gcpConfig, 'impersonateServiceAccountDelegates') !== undefined) {
    throw new pulumi.RunError(
      `${fullKey(gcpConfig, 'impersonateServiceAccount')} is used by the Google provider but not by gke-gcloud-auth-plugin, ` +
        'so the kubeconfig would reach the cluster as the identity behind your application-default credentials instead. ' +
        `Make those credentials impersonate the account: gcloud auth application-default login --impersonate-service-account=${account ?? '<account>'} ` +
        `and remove the key: pulumi config rm ${fullKey(gcpConfig, 'impersonateServiceAccount')}`,
    );
  }
  if (optionalSecret(gcpConfig, 'accessToken') !== undefined) {
    throw new pulumi.RunError(
      `${fullKey(gcpConfig, 'accessToken')} is used by the Google provider but not by gke-gcloud-auth-plugin, which signs in with ` +
        'application-default credentials. Sign those in as the same identity (gcloud auth application-default login, or ' +
        `GOOGLE_APPLICATION_CREDENTIALS) and remove the key: pulumi config rm ${fullKey(gcpConfig, 'accessToken')}`,
    );
  }
}

/** The plugin's environment for the stack's `gcp:` credentials; fails first on any it cannot use. */
export function readPluginEnvironment(gcpConfig: pulumi.Config): PluginEnvironmentVariable[] {
  refuseWhatThePluginCannotUse(gcpConfig);
  return credentialsFile(gcpConfig);
}
