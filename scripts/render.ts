/**
 * npm run render [-- --stack NAME] [--config key=value ...] [--secret-file key=FILE ...] [--include-secrets] [--out DIR]
 *
 * Writes every Kubernetes object the program registers for the stack as YAML, one file per
 * object (default folder `rendered/<stack>/`), each checked against the Kubernetes schemas: what
 * `pulumi up` would apply, to review and diff, without a cluster or the Pulumi CLI. What only
 * `pulumi up` can know is a placeholder, named in the output and at the top of each file that
 * holds one: the images (built, and pushed or loaded, by `pulumi up`) and, unless
 * --include-secrets is given, Secret values; with it the files are 0600 in a 0700 folder.
 */
import { chmodSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { stringify } from 'yaml';
import { captureStack, type KubernetesObject } from './capture/kubernetes-objects.js';
import { validateKubernetesObject } from './capture/kubernetes-schemas.js';
import { stackConfigFrom, stackFlags, stackUsage } from './capture/stack-options.js';
import { parseCommandLine } from './toolkit/command-line.js';
import { failureMessage, UserError } from './toolkit/user-error.js';

const root = path.resolve(__dirname, '..');

const usage = [
  'Usage: npm run render [-- options]',
  '',
  'Writes every Kubernetes object the program registers for a stack as YAML, one file per object,',
  "each checked against the Kubernetes schemas, by running the program under Pulumi's mocks: no",
  'cluster, no Pulumi CLI. For review and diff: what only pulumi up knows (the images it builds, and',
  'Secret values unless --include-secrets) is a placeholder, named at the top of each file.',
  '',
  'Options:',
  ...stackUsage,
  '  --include-secrets        write Secret values (0600 files in a 0700 folder)',
  '  --out DIR                the folder (default rendered/<stack>/)',
  '  -h, --help               this text',
].join('\n');

/** What a redacted Secret value reads. */
const redacted = '<redacted: npm run render -- --include-secrets>';

/** The targets whose cluster `pulumi up` makes: their objects depend on what it makes there. */
const cloudTargets = ['aks', 'eks', 'gke'];

function redactSecret(object: KubernetesObject): KubernetesObject {
  if (object.kind !== 'Secret') return object;
  const hide = (values: unknown) =>
    values && typeof values === 'object' ? Object.fromEntries(Object.keys(values).map((key) => [key, redacted])) : values;
  return { ...object, data: hide(object.data), stringData: hide(object.stringData) };
}

/** The images a pod template names: all of them placeholders until `pulumi up` builds them. */
function imagesOf(object: KubernetesObject, built: readonly string[]): string[] {
  const pod = (object.spec as { template?: { spec?: { containers?: { image?: string }[] } } } | undefined)?.template?.spec;
  return (pod?.containers ?? [])
    .map((container) => container.image)
    .filter((image): image is string => image !== undefined && built.includes(image));
}

/** The comment at the top of a file: what in it is a placeholder, and why. */
function placeholderNote(object: KubernetesObject, built: readonly string[], secretsRedacted: boolean): string {
  const lines = imagesOf(object, built).map(
    (image) => `# Placeholder: ${image} is the image pulumi up builds (its digest, and the build itself, exist only then).`,
  );
  if (secretsRedacted && object.kind === 'Secret')
    lines.push('# Placeholder: the values are redacted (npm run render -- --include-secrets writes them).');
  return lines.length ? `${lines.join('\n')}\n` : '';
}

/** `deployment-books.yaml`; objects of one kind and name in two namespaces get the namespace too. */
function fileName(object: KubernetesObject, clashes: boolean): string {
  const parts = [object.kind, ...(clashes && object.metadata.namespace ? [object.metadata.namespace] : []), object.metadata.name];
  return `${parts.join('-').toLowerCase()}.yaml`;
}

async function main(): Promise<void> {
  const flags = parseCommandLine(
    process.argv.slice(2),
    { ...stackFlags, 'include-secrets': { type: 'boolean' }, out: { type: 'string' } },
    usage,
  );
  const config = stackConfigFrom(root, flags);
  const target = config.values['books-gateway:target'] ?? '';
  if (cloudTargets.includes(target)) {
    throw new UserError(
      `The stack ${config.stack} deploys to ${target}, whose cluster, registry and identities pulumi up creates: its objects name what exists only then. Review its plan with pulumi preview --diff (with the cloud's credentials)`,
    );
  }
  const captured = await captureStack(config);
  for (const resource of captured.resources) await validateKubernetesObject(resource);

  const folder = path.resolve((flags['out'] as string | undefined) ?? path.join(root, 'rendered', config.stack));
  const includeSecrets = flags['include-secrets'] === true;
  mkdirSync(folder, { recursive: true, mode: includeSecrets ? 0o700 : 0o755 });
  if (includeSecrets) chmodSync(folder, 0o700);
  // Files of objects the program no longer registers would be applied with the rest.
  for (const stale of readdirSync(folder).filter((file) => file.endsWith('.yaml'))) rmSync(path.join(folder, stale));

  const keys = captured.objects.map((object) => `${object.kind}/${object.metadata.name}`);
  for (const object of captured.objects) {
    const key = `${object.kind}/${object.metadata.name}`;
    const file = path.join(folder, fileName(object, keys.indexOf(key) !== keys.lastIndexOf(key)));
    const written = includeSecrets ? object : redactSecret(object);
    writeFileSync(file, `${placeholderNote(object, captured.builtImages, !includeSecrets)}${stringify(written, { lineWidth: 0 })}`, {
      mode: includeSecrets ? 0o600 : 0o644,
    });
    if (includeSecrets) chmodSync(file, 0o600);
  }
  const images = captured.objects.flatMap((object) => imagesOf(object, captured.builtImages)).length;
  const secrets = includeSecrets ? 0 : captured.objects.filter((object) => object.kind === 'Secret').length;
  console.log(
    `${captured.objects.length} objects of stack ${config.stack} written to ${path.relative(process.cwd(), folder) || '.'}, for review and diff.`,
  );
  console.log(
    `Placeholders, named at the top of their files: ${images} image references (pulumi up builds the images)` +
      `${secrets ? `, the values of ${secrets} Secret${secrets > 1 ? 's' : ''} (--include-secrets writes them)` : ''}. To deploy, use pulumi up.`,
  );
}

main().catch((error: unknown) => {
  process.stderr.write(`${failureMessage(error)}\n`);
  process.exit(1);
});
