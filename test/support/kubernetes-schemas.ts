/**
 * Validates the Kubernetes objects a program run registered against the Kubernetes API schemas
 * (the `kubernetes-models` package): a wrong type, a missing required field or an invalid value
 * fails a test instead of a `pulumi up`. Unknown fields pass these schemas; the program's object
 * literals are typed with the Kubernetes SDK's input types so that tsc rejects a misspelt field.
 */
import { Deployment } from 'kubernetes-models/apps/v1';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { ConfigMap, Namespace, Secret, Service } from 'kubernetes-models/v1';
import * as pulumi from '@pulumi/pulumi';
import type { PropertyBag, RegisteredResource } from './program-harness.js';

interface Validatable {
  validate(): void;
}

/** The schema model per Pulumi type token; a kind the program starts using must be added here. */
const models: Record<string, new (data: PropertyBag) => Validatable> = {
  'kubernetes:core/v1:Namespace': Namespace,
  'kubernetes:core/v1:ConfigMap': ConfigMap,
  'kubernetes:core/v1:Secret': Secret,
  'kubernetes:core/v1:Service': Service,
  'kubernetes:apps/v1:Deployment': Deployment,
  'kubernetes:policy/v1:PodDisruptionBudget': PodDisruptionBudget,
  'kubernetes:networking.k8s.io/v1:NetworkPolicy': NetworkPolicy,
};

/** The object as the cluster will receive it: the engine's secret markers replaced by their values. */
function revealSecrets(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(revealSecrets);
  if (value === null || typeof value !== 'object') return value;
  const bag = value as PropertyBag;
  if (bag[pulumi.runtime.specialSigKey] === pulumi.runtime.specialSecretSig) return revealSecrets(bag.value);
  return Object.fromEntries(Object.entries(bag).map(([key, inner]) => [key, revealSecrets(inner)]));
}

/** Throws, naming the object and the schema's complaint, unless it is a valid Kubernetes object. */
export function validateKubernetesObject(resource: Pick<RegisteredResource, 'type' | 'name' | 'inputs'>): void {
  const Model = models[resource.type];
  if (Model === undefined) throw new Error(`no Kubernetes schema registered for ${resource.type} (${resource.name})`);
  try {
    new Model(revealSecrets(resource.inputs) as PropertyBag).validate();
  } catch (error) {
    throw new Error(`${resource.type} ${resource.name} is not a valid Kubernetes object: ${(error as Error).message}`);
  }
}
