/**
 * Validates the Kubernetes objects a program run registered against the Kubernetes API schemas
 * (the `kubernetes-models` package): a wrong type, a missing required field or an invalid value
 * fails a test instead of a `pulumi up`. Unknown fields pass these schemas; the program's object
 * literals are typed with the Kubernetes SDK's input types so that tsc rejects a misspelt field.
 */
import { UserError } from '../toolkit/user-error.js';
import * as pulumi from '@pulumi/pulumi';
import type { PropertyBag, RegisteredResource } from './program-run.js';

interface Validatable {
  validate(): void;
}

type Models = Record<string, new (data: PropertyBag) => Validatable>;
let models: Promise<Models> | undefined;

/**
 * The schema model per Pulumi type token; a kind the program starts using must be added here.
 * kubernetes-models is an ES module only, so it is loaded with import() (once).
 */
function loadModels(): Promise<Models> {
  models ??= (async () => {
    const [apps, networking, policy, storage, core, monitoring] = await Promise.all([
      import('kubernetes-models/apps/v1'),
      import('kubernetes-models/networking.k8s.io/v1'),
      import('kubernetes-models/policy/v1'),
      import('kubernetes-models/storage.k8s.io/v1'),
      import('kubernetes-models/v1'),
      // The Prometheus Operator's CRD (podMonitor): its models are generated from the CRD's schema.
      import('@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1'),
    ]);
    return {
      'kubernetes:core/v1:Namespace': core.Namespace,
      'kubernetes:core/v1:ConfigMap': core.ConfigMap,
      'kubernetes:core/v1:Secret': core.Secret,
      'kubernetes:core/v1:Service': core.Service,
      'kubernetes:core/v1:PersistentVolumeClaim': core.PersistentVolumeClaim,
      'kubernetes:apps/v1:Deployment': apps.Deployment,
      'kubernetes:apps/v1:StatefulSet': apps.StatefulSet,
      // Its constructor's type requires `provisioner`, which validate() checks like any field.
      'kubernetes:storage.k8s.io/v1:StorageClass': storage.StorageClass as unknown as Models[string],
      'kubernetes:policy/v1:PodDisruptionBudget': policy.PodDisruptionBudget,
      'kubernetes:networking.k8s.io/v1:NetworkPolicy': networking.NetworkPolicy,
      // Its constructor's type requires `spec`, which validate() checks like any field.
      'kubernetes:monitoring.coreos.com/v1:PodMonitor': monitoring.PodMonitor as unknown as Models[string],
    };
  })();
  return models;
}

/** The object as the cluster will receive it: the engine's secret markers replaced by their values. */
export function revealSecrets(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(revealSecrets);
  if (value === null || typeof value !== 'object') return value;
  const bag = value as PropertyBag;
  if (bag[pulumi.runtime.specialSigKey] === pulumi.runtime.specialSecretSig) return revealSecrets(bag.value);
  return Object.fromEntries(Object.entries(bag).map(([key, inner]) => [key, revealSecrets(inner)]));
}

/** Throws, naming the object and the schema's complaint, unless it is a valid Kubernetes object. */
export async function validateKubernetesObject(resource: Pick<RegisteredResource, 'type' | 'name' | 'inputs'>): Promise<void> {
  const Model = (await loadModels())[resource.type];
  if (Model === undefined) throw new Error(`no Kubernetes schema registered for ${resource.type} (${resource.name})`);
  try {
    new Model(revealSecrets(resource.inputs) as PropertyBag).validate();
  } catch (error) {
    throw new UserError(`${resource.type} ${resource.name} is not a valid Kubernetes object: ${(error as Error).message}`);
  }
}
