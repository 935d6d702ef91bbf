/**
 * The Kubernetes objects a stack's `pulumi up` would apply, captured by running the real program
 * under Pulumi's mocks (program-run.ts) with the stack's config: never a second copy of the
 * manifests. Outputs and secrets are resolved to plain values, as the cluster receives them.
 */
import * as pulumi from '@pulumi/pulumi';
import { UserError } from '../toolkit/user-error.js';
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
  /** The references of the images `pulumi up` builds (the others, PostgreSQL's, are pulled as they are). */
  builtImages: string[];
}

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

/** Runs the program with the stack's config; rejects with the program's own error (a config mistake names its key). */
export async function captureStack(config: StackConfig): Promise<CapturedStack> {
  const run = await runProgram({
    config: config.values,
    secretKeys: config.secretKeys,
    stack: config.stack,
    // What Docker Desktop's load balancer reports; the objects do not depend on it.
    loadBalancerIngress: { hostname: 'localhost' },
  }).catch((error: unknown) => {
    // A config mistake: the program's own message, which names the key, is all there is to say.
    throw pulumi.RunError.isInstance(error) ? new UserError(error.message) : error;
  });
  const resources = run.kubernetesObjects();
  const objects = resources.map(toObject);
  return { stack: config.stack, objects, resources, builtImages: Object.values(run.outputs.images as Record<string, string>) };
}
