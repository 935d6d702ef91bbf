/**
 * Runs the Pulumi program under mocks, without a cloud, a cluster or the Pulumi CLI, and returns
 * what it registered. Shared by the tests of every target and by `npm run render` and
 * `npm run rehearse`, which capture the objects of a stack this way:
 *
 *   const run = await runProgram({ config: { target: 'k3s', kubeconfig: '...', imageRegistry: 'ghcr.io/acme' } });
 *   run.named('kubernetes:apps/v1:Deployment', 'books').inputs.spec.replicas
 *   run.outputs.gatewayUrl
 *
 *   const failure = await runProgramExpectingError({ config: { target: 'k3s' } });
 *   failure.error.message; failure.resources.length === 0
 *
 * The program module is imported only after the first `setMocks`, as Pulumi requires; each run
 * sets fresh mocks and config and calls the program's function again, so one process can run
 * every target.
 */
import * as pulumi from '@pulumi/pulumi';
import { createHash } from 'node:crypto';

type MockResourceArgs = pulumi.runtime.MockResourceArgs;
type MockCallArgs = pulumi.runtime.MockCallArgs;
/**
 * A property bag as the engine receives it. Untyped on purpose: tests read it by path, and
 * Kubernetes objects are also checked against the Kubernetes schemas (kubernetes-schemas.ts).
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- read by path, as said above; `unknown` would need a cast at every step.
export type PropertyBag = Record<string, any>;

export const projectName = 'books-gateway';
/** The stack name the tests run under; `RunOptions.stack` names another. */
export const stackName = 'test';

/** One resource (custom, component or provider) the program registered. */
export interface RegisteredResource {
  /** Type token, e.g. `kubernetes:apps/v1:Deployment`, `pulumi:providers:kubernetes`. */
  type: string;
  /** Pulumi's logical name. */
  name: string;
  /**
   * The inputs as the engine received them: Outputs resolved, secrets still wrapped in the
   * engine's secret marker (read them with `secretValue`).
   */
  inputs: PropertyBag;
  /** The state the mocked provider answered with: the inputs plus what it computes (an auto-name). */
  state: PropertyBag;
  /** `<provider urn>::<provider id>` for custom resources. */
  provider?: string;
  /** True for custom resources (cloud or cluster objects), false for components. */
  custom: boolean;
  /** The resource's URN; for children it carries the parents' types (`...::books-gateway:index:GatewayStack$kubernetes:apps/v1:Deployment::books`). */
  urn: string;
  /** URNs of the resources it waits for (`dependsOn`, and those whose outputs its inputs use): `pulumi up` creates it after them. */
  dependencies: string[];
  /**
   * Its `ignoreChanges` paths: on an update the engine keeps the stack's old values there, so a
   * stack made before a change of them keeps what it has (test/stacks/upgrade).
   */
  ignoreChanges: string[];
}

/** The Service load balancer status a cloud reports: an IP (AKS, GKE, K3s) or a hostname (EKS, Docker Desktop). */
export type LoadBalancerIngress = { ip: string } | { hostname: string };

export interface RunOptions {
  /**
   * Stack config. Keys without a `:` belong to the project (`target` becomes
   * `books-gateway:target`); keys with one are taken as they are (`aws:region`).
   */
  config: Record<string, string>;
  /** Config keys (as given in `config`) stored as secrets. */
  secretKeys?: string[];
  /**
   * Provider-computed state of a resource (a cluster's endpoint, a registry's login server),
   * merged over its inputs and the harness's own defaults. Return undefined to keep those.
   */
  resourceState?: (args: MockResourceArgs) => Record<string, unknown> | undefined;
  /** Results of provider function calls (invokes). An invoke it does not answer fails the run. */
  call?: (args: MockCallArgs) => Record<string, unknown> | undefined;
  /**
   * What the gateway Service's load balancer reports. Default `{ ip: '203.0.113.10' }`; null: no
   * address, as a cluster without a load balancer (kind) or one that has not assigned it yet.
   */
  loadBalancerIngress?: LoadBalancerIngress | null;
  /** The stack name (`pulumi.getStack()`). Default `stackName`. */
  stack?: string;
  /**
   * The stack's state before this run (its resources' URNs and inputs, as an earlier program left
   * them): where a registration ignores changes, its inputs, and so what the provider answers,
   * keep the previous values, as the engine does on an update. Default: a new stack.
   */
  previousState?: PreviousResource[];
}

/** One resource of a stack's previous state; inputs are absent where the state does not matter. */
export interface PreviousResource {
  urn: string;
  inputs?: PropertyBag;
}

/** `<type>::<name>` of a URN (its last segment): how this harness tells resources apart. */
function typeAndName(urn: string): string {
  const [, , typePath = '', name = ''] = urn.split('::');
  return `${typePath.split('$').pop()}::${name}`;
}

/**
 * The engine's `ignoreChanges` on an update: the previous value at each ignored top-level key
 * (every path this program ignores is a top-level key).
 */
export function keepIgnoredInputs(inputs: PropertyBag, previous: PropertyBag, ignored: readonly string[]): PropertyBag {
  const kept = { ...inputs };
  for (const key of ignored) {
    if (key in previous) kept[key] = previous[key];
    else delete kept[key];
  }
  return kept;
}

export interface ProgramRun {
  /** Every registered resource, in registration order. */
  resources: RegisteredResource[];
  /** The stack outputs, fully resolved. */
  outputs: PropertyBag;
  /** Names of the stack outputs that are secrets. */
  secretOutputs: string[];
  /** The resources of one type token. */
  ofType(type: string): RegisteredResource[];
  /** The one resource of this type and logical name; throws, listing what exists, if absent. */
  named(type: string, name: string): RegisteredResource;
  /** Every Kubernetes object (types `kubernetes:*`, not the provider). */
  kubernetesObjects(): RegisteredResource[];
}

export interface FailedRun {
  error: Error;
  /** What was registered before the failure (a config error must leave this empty). */
  resources: RegisteredResource[];
}

/** The value inside a secret input as the engine received it; throws if it is not a secret. */
export function secretValue(input: unknown, what: string): unknown {
  const wrapped = input as PropertyBag | undefined;
  if (wrapped?.[pulumi.runtime.specialSigKey] !== pulumi.runtime.specialSecretSig) {
    throw new Error(`${what} is not a secret: ${JSON.stringify(input)}`);
  }
  return wrapped.value;
}

/** Digest the mocked registry answers for every pushed image. */
export const mockDigest = `sha256:${'d'.repeat(64)}`;

type ProgramFunction = () => Promise<Record<string, pulumi.Input<unknown>>>;
let program: ProgramFunction | undefined;

/** Runs the program; rejects with the program's error. */
export async function runProgram(options: RunOptions): Promise<ProgramRun> {
  const { resources, run } = await start(options);
  const result = await run();
  const outputs = await resolve(result);
  const secretOutputs: string[] = [];
  for (const [key, value] of Object.entries(result)) {
    if (pulumi.Output.isInstance(value) && (await pulumi.isSecret(value))) secretOutputs.push(key);
  }
  return toRun(resources, outputs, secretOutputs);
}

/** Runs the program expecting it to fail; rejects if it succeeds. */
export async function runProgramExpectingError(options: RunOptions): Promise<FailedRun> {
  const { resources, run } = await start(options);
  try {
    await run();
  } catch (error) {
    return { error: error instanceof Error ? error : new Error(String(error)), resources };
  }
  throw new Error(`the program succeeded with config ${JSON.stringify(options.config)}; expected it to fail`);
}

async function start(options: RunOptions): Promise<{ resources: RegisteredResource[]; run: ProgramFunction }> {
  const resources: RegisteredResource[] = [];
  const previous = new Map((options.previousState ?? []).map((resource) => [typeAndName(resource.urn), resource.inputs]));
  // Filled once the monitor exists, before the first registration reaches newResource.
  let registrations = new Map<string, Registration>();
  await pulumi.runtime.setMocks(
    {
      newResource(registered) {
        const key = `${registered.type}::${registered.name}`;
        const before = previous.get(key);
        const ignored = registrations.get(key)?.ignoreChanges ?? [];
        const args = before ? { ...registered, inputs: keepIgnoredInputs(registered.inputs, before, ignored) } : registered;
        const state = { ...args.inputs, ...defaultState(args, options), ...options.resourceState?.(args) };
        resources.push({
          type: args.type,
          name: args.name,
          inputs: args.inputs,
          state,
          provider: args.provider,
          custom: args.custom ?? true,
          urn: '',
          dependencies: [],
          ignoreChanges: [],
        });
        return { id: args.custom === false ? undefined : `${args.name}-id`, state };
      },
      call(args) {
        const answer = options.call?.(args);
        if (answer === undefined) throw new Error(`the test harness has no mock for the invoke ${args.token}`);
        return answer;
      },
    },
    projectName,
    options.stack ?? stackName,
    false,
  );
  pulumi.runtime.setAllConfig(qualify(options.config), (options.secretKeys ?? []).map(qualifyKey));
  // Imported after the first setMocks, as Pulumi requires of a program run under mocks.
  program ??= (await import('../../stacks/program.js')).deployGatewaySystem;
  const monitor = pulumi.runtime.getMonitor() as unknown as MockMonitorState;
  registrations = recordRegistrations(monitor);
  const loaded = program;
  return {
    resources,
    run: async () => {
      try {
        return await loaded();
      } finally {
        await drain();
        attachUrns(resources, monitor);
        for (const resource of resources) {
          const registration = registrations.get(`${resource.type}::${resource.name}`);
          resource.dependencies = registration?.dependencies ?? [];
          resource.ignoreChanges = registration?.ignoreChanges ?? [];
        }
      }
    },
  };
}

/** The MockMonitor's record of URNs, which carry each resource's parent chain, and its registration call. */
interface MockMonitorState {
  resources: Map<string, unknown>;
  registerResource(request: RegisterResourceRequest, callback: unknown): Promise<void>;
}

/** What the registration request tells of a resource (the mocks' newResource is told neither of these). */
interface RegisterResourceRequest {
  getType(): string;
  getName(): string;
  getDependenciesList(): string[];
  getIgnorechangesList(): string[];
}

type Registration = Pick<RegisteredResource, 'dependencies' | 'ignoreChanges'>;

/**
 * Records each registered resource's dependencies (as the engine would order them) and its
 * `ignoreChanges`, by `<type>::<name>`.
 */
function recordRegistrations(monitor: MockMonitorState): Map<string, Registration> {
  const recorded = new Map<string, Registration>();
  const register = monitor.registerResource.bind(monitor);
  monitor.registerResource = (request, callback) => {
    recorded.set(`${request.getType()}::${request.getName()}`, {
      dependencies: request.getDependenciesList(),
      ignoreChanges: request.getIgnorechangesList(),
    });
    return register(request, callback);
  };
  return recorded;
}

function attachUrns(resources: RegisteredResource[], monitor: MockMonitorState): void {
  const urns = [...monitor.resources.keys()];
  for (const resource of resources) {
    const suffix = `${resource.type}::${resource.name}`;
    resource.urn = urns.find((urn) => urn.endsWith(`::${suffix}`) || urn.endsWith(`$${suffix}`)) ?? '';
  }
}

/** What providers compute that the program reads: image refs and the load balancer address. */
function defaultState(args: MockResourceArgs, options: RunOptions): Record<string, unknown> {
  if (args.type === 'docker-build:index:Image') {
    // A digest even for an image only loaded into the local Docker (the build has one): a
    // program that deploys a loaded image by `ref` then fails the tests as its pods would fail
    // to pull.
    const tag: string | undefined = args.inputs.tags?.[0];
    return { ref: `${tag}@${mockDigest}`, digest: mockDigest };
  }
  if (args.type === 'kubernetes:core/v1:Service' && args.inputs.spec?.type === 'LoadBalancer') {
    const ingress = options.loadBalancerIngress === null ? [] : [options.loadBalancerIngress ?? { ip: '203.0.113.10' }];
    return { status: { loadBalancer: { ingress } } };
  }
  if (args.type === 'random:index/randomPassword:RandomPassword') {
    // What @pulumi/random makes on the first `up` and the state keeps: a stand-in here.
    return { result: 'generated-by-pulumi-up' };
  }
  if (args.type.startsWith('kubernetes:') && args.inputs.metadata?.name === undefined) {
    // The Kubernetes provider names an object without a name after its resource and a random
    // suffix; objects referring to it read that name from its state.
    return { metadata: { ...args.inputs.metadata, name: autoName(args.name) } };
  }
  return {};
}

/** The name the mocked Kubernetes provider gives an object registered without one. */
export function autoName(resourceName: string): string {
  return `${resourceName}-${createHash('sha256').update(resourceName).digest('hex').slice(0, 8)}`;
}

function qualifyKey(key: string): string {
  return key.includes(':') ? key : `${projectName}:${key}`;
}

function qualify(config: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(config).map(([key, value]) => [qualifyKey(key), value]));
}

/** Waits until every registration and invoke the program started has been answered. */
async function drain(): Promise<void> {
  await pulumi.runtime.disconnect();
}

function resolve(value: Record<string, pulumi.Input<unknown>>): Promise<PropertyBag> {
  return new Promise((done) => {
    pulumi.output(value).apply((resolved) => {
      done(resolved);
      return resolved;
    });
  });
}

function toRun(resources: RegisteredResource[], outputs: PropertyBag, secretOutputs: string[]): ProgramRun {
  const ofType = (type: string) => resources.filter((resource) => resource.type === type);
  return {
    resources,
    outputs,
    secretOutputs,
    ofType,
    named(type, name) {
      const found = ofType(type).filter((resource) => resource.name === name);
      if (found.length !== 1) {
        const names = ofType(type).map((resource) => resource.name);
        throw new Error(`expected one ${type} named ${name}, found ${found.length} (registered: ${names.join(', ') || 'none'})`);
      }
      return found[0];
    },
    kubernetesObjects: () => resources.filter((resource) => resource.type.startsWith('kubernetes:')),
  };
}
