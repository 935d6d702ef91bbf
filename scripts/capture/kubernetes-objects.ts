/**
 * The Kubernetes objects a stack's `pulumi up` would apply, captured by running the real program
 * under Pulumi's mocks (program-run.ts) with the stack's config: never a second copy of the
 * manifests. Outputs and secrets are resolved to plain values, as the cluster receives them.
 */
import { autoName, runProgram, type PropertyBag, type RegisteredResource } from './program-run.js';
import { revealSecrets } from './kubernetes-schemas.js';
import type { StackConfig } from './stack-config.js';

/** One object as `kubectl apply` takes it. */
export interface KubernetesObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [field: string]: unknown;
}

export interface CapturedStack {
  stack: string;
  /** In the order the program registered them. */
  objects: KubernetesObject[];
  /** The registrations they came from, for the schema check. */
  resources: RegisteredResource[];
  /**
   * Each Deployment's name → the Deployments `pulumi up` rolls out before it is created or
   * updated: those it depends on, directly or through the objects in between.
   */
  rolloutOrder: RolloutOrder;
}

export type RolloutOrder = Record<string, string[]>;

/** `kubernetes:apps/v1:Deployment` → `apps/v1`, `Deployment`; the core group has no prefix. */
export function apiVersionAndKind(type: string): { apiVersion: string; kind: string } {
  const [, groupVersion = '', kind = ''] = type.split(':');
  const apiVersion = groupVersion.startsWith('core/') ? groupVersion.slice('core/'.length) : groupVersion;
  return { apiVersion, kind };
}

function toObject(resource: RegisteredResource): KubernetesObject {
  const body = revealSecrets(resource.inputs) as PropertyBag;
  // An object registered without a name gets the one the (mocked) provider chose, which is
  // what the objects referring to it were given.
  const name: string = body.metadata?.name ?? resource.state.metadata?.name ?? autoName(resource.name);
  return { ...apiVersionAndKind(resource.type), ...body, metadata: { ...body.metadata, name } };
}

const isDeployment = (resource: RegisteredResource) => resource.type === 'kubernetes:apps/v1:Deployment';

function rolloutOrderOf(resources: readonly RegisteredResource[], objects: readonly KubernetesObject[]): RolloutOrder {
  const byUrn = new Map(resources.map((resource, index) => [resource.urn, { resource, name: objects[index]!.metadata.name }]));
  const order: RolloutOrder = {};
  resources.forEach((deployment, index) => {
    if (!isDeployment(deployment)) return;
    const first = new Set<string>();
    const seen = new Set<string>();
    const next = [...deployment.dependencies];
    for (let urn = next.pop(); urn !== undefined; urn = next.pop()) {
      const found = byUrn.get(urn);
      if (!found || seen.has(urn)) continue;
      seen.add(urn);
      // A Deployment waited for waits for its own dependencies: the walk stops there.
      if (isDeployment(found.resource)) first.add(found.name);
      else next.push(...found.resource.dependencies);
    }
    order[objects[index]!.metadata.name] = [...first].sort();
  });
  return order;
}

/** Runs the program with the stack's config; rejects with the program's own error (a config mistake names its key). */
export async function captureStack(config: StackConfig): Promise<CapturedStack> {
  const run = await runProgram({
    config: config.values,
    secretKeys: config.secretKeys,
    stack: config.stack,
    // What Docker Desktop's load balancer reports; the objects do not depend on it.
    loadBalancerIngress: { hostname: 'localhost' },
  });
  const resources = run.kubernetesObjects();
  const objects = resources.map(toObject);
  return { stack: config.stack, objects, resources, rolloutOrder: rolloutOrderOf(resources, objects) };
}
