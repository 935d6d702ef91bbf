/**
 * "A stack made by an earlier version of this program", under mocks. Pulumi keeps a stack's
 * state (each resource's URN and the inputs of its last update) between runs; this records that
 * state from a mocked run (record-baselines.ts writes it to baselines/, from the commit named
 * there), and plans the next `pulumi up` of a newer program against it as the engine would:
 *
 * - a URN of the old state the new run does not register is deleted (or, for a cloud resource
 *   still there, lost to the stack);
 * - a URN the new run registers that the state lacks is created (or collides with what exists);
 * - for a URN in both, the new inputs are compared with the old ones, after the engine's
 *   `ignoreChanges` has put the old value back at each ignored path (the run is made with the
 *   state as `RunOptions.previousState`, so that outputs made of kept inputs are the old ones too).
 *
 * Cloud resources and Kubernetes providers are recorded with their inputs. Kubernetes objects and
 * image builds only by URN: their replacement follows from their provider's (a changed
 * `clusterIdentifier` replaces every object), and their inputs carry content hashes of this
 * repository's sources, which every change of an app would otherwise turn into a "change" here.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import type { PropertyBag, ProgramRun, RegisteredResource } from '../../../scripts/capture/program-run.js';

export interface RecordedResource {
  urn: string;
  /** Absent for Kubernetes objects and image builds (see above). */
  inputs?: PropertyBag;
}

/** A stack's state as a program left it. */
export interface RecordedState {
  /** The commit of the program that made it. */
  commit: string;
  resources: RecordedResource[];
}

/** What the next `pulumi up` of another program would do to a recorded state. */
export interface UpgradePlan {
  /** URNs of the state the program no longer registers. */
  deleted: string[];
  /** URNs the program registers that the state does not have. */
  created: string[];
  /** Per URN, the top-level inputs whose values change (after `ignoreChanges`). */
  changed: Record<string, string[]>;
}

/** Where the recorded states are kept, one file per upgrade scenario. */
export const baselineFolder = path.join(__dirname, 'baselines');

/** A scenario's recorded state. */
export function readBaseline(scenario: string): RecordedState {
  return JSON.parse(fs.readFileSync(path.join(baselineFolder, `${scenario}.json`), 'utf8')) as RecordedState;
}

const identityOnly = (resource: RegisteredResource) =>
  resource.type.startsWith('kubernetes:') || resource.type === 'docker-build:index:Image' || !resource.custom;

/** The state a run leaves, as the engine would keep it. */
export function recordState(run: ProgramRun, commit: string): RecordedState {
  const resources = run.resources
    .map((resource): RecordedResource => (identityOnly(resource) ? { urn: resource.urn } : { urn: resource.urn, inputs: resource.inputs }))
    .sort((a, b) => a.urn.localeCompare(b.urn));
  return { commit, resources };
}

function changedKeys(old: PropertyBag, next: PropertyBag): string[] {
  const keys = new Set([...Object.keys(old), ...Object.keys(next)]);
  return [...keys].filter((key) => !isDeepStrictEqual(old[key], next[key])).sort();
}

/**
 * The next `pulumi up` on a stack in `state`, from a run of the newer program given that state
 * (`RunOptions.previousState`, which keeps ignored inputs, and the outputs made of them).
 */
export function planUpgrade(state: RecordedState, run: ProgramRun): UpgradePlan {
  const registered = new Map(run.resources.map((resource) => [resource.urn, resource]));
  const recorded = new Set(state.resources.map((resource) => resource.urn));
  const changed: Record<string, string[]> = {};
  for (const { urn, inputs } of state.resources) {
    const resource = registered.get(urn);
    if (resource === undefined || inputs === undefined) continue;
    const keys = changedKeys(inputs, resource.inputs);
    if (keys.length > 0) changed[urn] = keys;
  }
  return {
    deleted: [...recorded].filter((urn) => !registered.has(urn)).sort(),
    created: [...registered.keys()].filter((urn) => !recorded.has(urn)).sort(),
    changed,
  };
}
