import type * as k8s from '@pulumi/kubernetes';
import { createHash } from 'node:crypto';
import { clusterPlatform, headlessServiceUpstream, renderGateway, type GatewayPolicyRender } from '../apps/gateway/src/index.js';
import { workloadLabels } from './labels.js';
import { gatewayCpuLimit, gatewayTimeouts, nginxWorkerProcesses, workloads } from './workloads.js';

/** Pod annotation carrying the configuration's checksum: a new configuration rolls the pods. */
export const configChecksumAnnotation = 'books-gateway/config-checksum';

/**
 * The gateway's nginx files in a cluster: the backends are the namespace's headless Services,
 * the security and limits those of the stack.
 */
export function renderClusterGateway(namespace: string, policy: GatewayPolicyRender): Record<string, string> {
  const { books, 'books-react': booksReact, gateway } = workloads;
  return renderGateway({
    listenPort: gateway.port,
    statusPort: gateway.otherPorts?.status,
    books: headlessServiceUpstream(books.name, namespace, books.port),
    booksReact: headlessServiceUpstream(booksReact.name, namespace, booksReact.port),
    platform: { ...clusterPlatform, workerProcesses: nginxWorkerProcesses(gatewayCpuLimit) },
    timeouts: gatewayTimeouts,
    ...policy,
  }).files;
}

/** SHA-256 of the files, independent of the order they were rendered in. */
export function configChecksum(files: Record<string, string>): string {
  const hash = createHash('sha256');
  for (const name of Object.keys(files).sort()) hash.update(`${name}\0${files[name]}\0`);
  return hash.digest('hex');
}

/**
 * The ConfigMap holding the rendered files, named after their checksum and immutable: a new
 * configuration is a new ConfigMap, created before the Deployment rolls; Pulumi deletes the old
 * one only after the Deployment's update, which it waits out until the rollout completes, so old
 * pods keep their files throughout. Then it is gone: `kubectl rollout undo` would start pods
 * referring to a missing ConfigMap. Roll back by deploying the previous configuration with
 * `pulumi up`, which recreates it.
 */
export function gatewayConfigMapArgs(namespace: string, files: Record<string, string>): k8s.core.v1.ConfigMapArgs {
  const gateway = workloads.gateway;
  return {
    metadata: {
      name: `gateway-config-${configChecksum(files).slice(0, 10)}`,
      namespace,
      labels: workloadLabels(gateway.name, gateway.component, namespace),
    },
    immutable: true,
    data: files,
  };
}
