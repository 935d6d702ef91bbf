/**
 * npm run render [-- --stack NAME] [--config key=value ...] [--include-secrets] [--out DIR]
 *
 * Writes every Kubernetes object the program registers for the stack as YAML, one file per
 * object (default folder `rendered/<stack>/`), each checked against the Kubernetes schemas: what
 * `pulumi up` would apply, to review, diff or `kubectl apply`, without a cluster or the Pulumi
 * CLI. Secret values are redacted unless --include-secrets is given; then the files are 0600 in
 * a 0700 folder.
 */
import * as pulumi from '@pulumi/pulumi';
import { chmodSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { stringify } from 'yaml';
import { parseCommandLine, runMain, stackConfigFrom } from './capture/command-line.js';
import { captureStack, type KubernetesObject } from './capture/kubernetes-objects.js';
import { validateKubernetesObject } from './capture/kubernetes-schemas.js';
import { StackConfigError } from './capture/stack-config.js';

const root = path.resolve(__dirname, '..');

/** What a redacted Secret value reads. */
const redacted = '<redacted: npm run render -- --include-secrets>';

function redactSecret(object: KubernetesObject): KubernetesObject {
  if (object.kind !== 'Secret') return object;
  const hide = (values: unknown) =>
    values && typeof values === 'object' ? Object.fromEntries(Object.keys(values).map((key) => [key, redacted])) : values;
  return { ...object, data: hide(object.data), stringData: hide(object.stringData) };
}

/** `deployment-books.yaml`; objects of one kind and name in two namespaces get the namespace too. */
function fileName(object: KubernetesObject, clashes: boolean): string {
  const parts = [object.kind, ...(clashes && object.metadata.namespace ? [object.metadata.namespace] : []), object.metadata.name];
  return `${parts.join('-').toLowerCase()}.yaml`;
}

async function main(): Promise<void> {
  const options = parseCommandLine(process.argv.slice(2), {
    'include-secrets': { type: 'boolean', default: false },
    out: { type: 'string' },
  });
  const config = stackConfigFrom(root, options);
  const captured = await captureStack(config);
  for (const resource of captured.resources) await validateKubernetesObject(resource);

  const folder = path.resolve(options.out ?? path.join(root, 'rendered', config.stack));
  const includeSecrets = options['include-secrets'] === true;
  mkdirSync(folder, { recursive: true, mode: includeSecrets ? 0o700 : 0o755 });
  if (includeSecrets) chmodSync(folder, 0o700);
  // Files of objects the program no longer registers would be applied with the rest.
  for (const stale of readdirSync(folder).filter((file) => file.endsWith('.yaml'))) rmSync(path.join(folder, stale));

  const keys = captured.objects.map((object) => `${object.kind}/${object.metadata.name}`);
  for (const object of captured.objects) {
    const key = `${object.kind}/${object.metadata.name}`;
    const file = path.join(folder, fileName(object, keys.indexOf(key) !== keys.lastIndexOf(key)));
    const written = includeSecrets ? object : redactSecret(object);
    writeFileSync(file, stringify(written, { lineWidth: 0 }), { mode: includeSecrets ? 0o600 : 0o644 });
    if (includeSecrets) chmodSync(file, 0o600);
  }
  console.log(`${captured.objects.length} objects of stack ${config.stack} written to ${path.relative(process.cwd(), folder) || '.'}`);
}

// A config error is the program's own message; an object the schemas reject names itself.
runMain(main, (error) => error instanceof StackConfigError || error instanceof pulumi.RunError || /is not a valid Kubernetes object/.test(String(error)));
