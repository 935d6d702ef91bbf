import * as pulumi from '@pulumi/pulumi';

/**
 * Kubeconfigs whose credentials come from an exec plugin (`aws eks get-token`,
 * `gke-gcloud-auth-plugin`): they hold no secret of their own and never expire, because the plugin
 * fetches a short-lived token with the operator's cloud login on each use.
 */

/** The `exec` section of a kubeconfig user (client.authentication.k8s.io/v1beta1). */
export interface ExecCredentialPlugin {
  command: string;
  args?: string[];
  env?: { name: string; value: string }[];
  /** Printed by kubectl and the Kubernetes provider when `command` is not on the PATH. */
  installHint: string;
  /** GKE's plugin reads the cluster's endpoint from the kubeconfig it is called for. */
  provideClusterInfo?: boolean;
}

export interface ExecKubeconfigArgs {
  /** Name of the cluster, context and user entries. */
  name: string;
  /** API server URL, `https://...`. */
  server: string;
  /** The cluster's CA certificate, base64-encoded PEM (as EKS and GKE return it). */
  certificateAuthorityData: string;
  exec: ExecCredentialPlugin;
}

/** A complete kubeconfig with one cluster, user and context; JSON, which every YAML reader accepts. */
function execKubeconfig({ name, server, certificateAuthorityData, exec }: ExecKubeconfigArgs): string {
  return JSON.stringify(
    {
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name, cluster: { server, 'certificate-authority-data': certificateAuthorityData } }],
      users: [
        {
          name,
          user: {
            exec: {
              apiVersion: 'client.authentication.k8s.io/v1beta1',
              command: exec.command,
              args: exec.args ?? [],
              env: exec.env ?? null,
              installHint: exec.installHint,
              provideClusterInfo: exec.provideClusterInfo ?? false,
              interactiveMode: 'Never',
            },
          },
        },
      ],
      contexts: [{ name, context: { cluster: name, user: name } }],
      'current-context': name,
    },
    null,
    2,
  );
}

export type ExecKubeconfigInputs = { [K in keyof ExecKubeconfigArgs]: pulumi.Input<ExecKubeconfigArgs[K]> };

/** The kubeconfig from a new cluster's outputs (name, endpoint, CA), as a secret like on every cloud. */
export function execKubeconfigSecret(args: ExecKubeconfigInputs): pulumi.Output<string> {
  return pulumi.secret(pulumi.output(args).apply((resolved) => execKubeconfig(resolved)));
}
