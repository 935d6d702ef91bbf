import { strict as assert } from 'node:assert';
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import { readStackConfig } from '../../scripts/capture/stack-config.js';

const run = promisify(execFile);
const root = path.resolve(__dirname, '..', '..');
const apiKeys = JSON.stringify({ ci: 'a-key-of-more-than-twenty-four-characters' });

async function render(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', 'scripts/render.ts', ...args], { cwd: root });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

describe('npm run render', function () {
  this.timeout(60_000);
  let folder: string;
  beforeEach(() => (folder = mkdtempSync(path.join(os.tmpdir(), 'render-test-'))));
  afterEach(() => rmSync(folder, { recursive: true, force: true }));

  it('writes one YAML file per object, with Secret values redacted', async () => {
    const result = await render(['--config', `apiKeys=${apiKeys}`, '--out', folder]);
    assert.equal(result.code, 0, result.stderr);
    const files = readdirSync(folder).sort();
    assert.ok(files.includes('deployment-books.yaml') && files.includes('service-gateway.yaml'), files.join(', '));
    const kinds = files.map((file) => (parse(readFileSync(path.join(folder, file), 'utf8')) as { kind: string }).kind);
    assert.deepEqual([...new Set(kinds)].sort(), [
      'ConfigMap',
      'Deployment',
      'Namespace',
      'NetworkPolicy',
      'PersistentVolumeClaim',
      'PodDisruptionBudget',
      'Secret',
      'Service',
      'StatefulSet',
      'StorageClass',
    ]);
    const secretFile = files.find((file) => file.startsWith('secret-gateway-secrets'))!;
    const secretText = readFileSync(path.join(folder, secretFile), 'utf8');
    assert.doesNotMatch(secretText, /a-key-of-more/);
    assert.doesNotMatch(secretText, new RegExp('sha256|\\$'), 'not even the key digests');
    assert.match(secretText, /<redacted/);
  });

  it('writes the Secret values with --include-secrets, in 0600 files in a 0700 folder', async () => {
    const out = path.join(folder, 'with-secrets');
    const result = await render(['--config', `apiKeys=${apiKeys}`, '--include-secrets', '--out', out]);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(statSync(out).mode & 0o777, 0o700);
    for (const file of readdirSync(out)) assert.equal(statSync(path.join(out, file)).mode & 0o777, 0o600, file);
    for (const file of readdirSync(out).filter((name) => name.startsWith('secret-'))) {
      const secret = parse(readFileSync(path.join(out, file), 'utf8')) as { stringData: Record<string, string> };
      assert.ok(
        Object.values(secret.stringData).every((value) => !value.includes('redacted')),
        file,
      );
    }
  });

  it('names every placeholder, in its output and at the top of each file that holds one, and promises no kubectl apply', async () => {
    const result = await render(['--config', `apiKeys=${apiKeys}`, '--out', folder]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(
      result.stdout,
      /for review and diff\.\nPlaceholders, named at the top of their files: 3 image references \(pulumi up builds the images\), the values of 3 Secrets \(--include-secrets writes them\)\. To deploy, use pulumi up\./,
    );
    const books = readFileSync(path.join(folder, 'deployment-books.yaml'), 'utf8');
    assert.match(books, /^# Placeholder: books-gateway\/books:[0-9a-f]{16} is the image pulumi up builds/);
    assert.match(
      readFileSync(
        path.join(
          folder,
          readdirSync(folder).find((file) => file.startsWith('secret-'))!,
        ),
        'utf8',
      ),
      /^# Placeholder: the values are redacted/,
    );
    assert.doesNotMatch(readFileSync(path.join(folder, 'service-books.yaml'), 'utf8'), /Placeholder/);
    assert.doesNotMatch(
      readFileSync(path.join(folder, 'statefulset-postgres.yaml'), 'utf8'),
      /Placeholder/,
      'PostgreSQL is the pinned image, pulled as it is',
    );
  });

  it('reads a secret from the file --secret-file names, keeping it off the command line', async () => {
    const keys = path.join(folder, 'api-keys.json');
    writeFileSync(keys, `${apiKeys}\n`, { mode: 0o600 });
    const [fromFile, fromCommandLine] = [path.join(folder, 'file'), path.join(folder, 'line')];
    assert.equal((await render(['--secret-file', `apiKeys=${keys}`, '--include-secrets', '--out', fromFile])).code, 0);
    assert.equal((await render(['--config', `apiKeys=${apiKeys}`, '--include-secrets', '--out', fromCommandLine])).code, 0);
    const secret = readdirSync(fromFile).find((file) => file.startsWith('secret-gateway-secrets'))!;
    assert.equal(
      readFileSync(path.join(fromFile, secret), 'utf8'),
      readFileSync(path.join(fromCommandLine, secret), 'utf8'),
      'the same Secret as from --config',
    );
    const out = path.join(folder, 'out');
    const missing = await render(['--secret-file', `apiKeys=${path.join(folder, 'nowhere')}`, '--out', out]);
    assert.deepEqual([missing.code, missing.stderr.trim()], [1, `--secret-file apiKeys=${path.join(folder, 'nowhere')}: no such file`]);
  });

  it('refuses a cloud target in one line, saying why and what shows its plan', async () => {
    const result = await render([
      '--config',
      'target=gke',
      '--config',
      'gcp:project=p',
      '--config',
      'gcp:region=europe-west1',
      '--out',
      folder,
    ]);
    assert.equal(result.code, 1);
    assert.equal(result.stderr.trim().split('\n').length, 1, result.stderr);
    assert.match(result.stderr, /deploys to gke, whose cluster, registry and identities pulumi up creates.*pulumi preview --diff/);
  });

  it('answers --help at once with its usage, and an unknown option with exit 2 and the usage', async () => {
    const help = await render(['--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /^Usage: npm run render/);
    const unknown = await render(['--inculde-secrets']);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /Unknown option '--inculde-secrets'[\s\S]*Usage: npm run render/);
  });

  it("fails with the program's own message on a config error, writing nothing", async () => {
    const result = await render(['--config', 'rateLimitPerSecond=lots', '--out', folder]);
    assert.equal(result.code, 1);
    assert.equal(result.stderr.trim(), 'books-gateway:rateLimitPerSecond must be a whole number of at least 1, got "lots"');
    assert.deepEqual(readdirSync(folder), []);
  });
});

describe('stack config as the Pulumi CLI gives it, without the CLI', () => {
  let folder: string;
  before(() => {
    folder = mkdtempSync(path.join(os.tmpdir(), 'stack-config-test-'));
    writeFileSync(
      path.join(folder, 'Pulumi.yaml'),
      [
        'name: books-gateway',
        'config:',
        '  books-gateway:booksReplicas:',
        '    type: integer',
        '    default: 2',
        '  books-gateway:booksReactReplicas:',
        '    type: integer',
        '    default: 2',
        '  books-gateway:target:',
        '    type: string',
        '  books-gateway:registryPassword:',
        '    type: string',
        '',
      ].join('\n'),
    );
    writeFileSync(
      path.join(folder, 'Pulumi.prod.yaml'),
      'config:\n  books-gateway:target: k3s\n  books-gateway:registryPassword:\n    secure: AAABAMx1\n  aws:region: eu-west-1\n',
    );
  });
  after(() => rmSync(folder, { recursive: true, force: true }));

  it('fails on an encrypted value, naming the key and saying to pass it with --secret-file', () => {
    assert.throws(
      () => readStackConfig(folder, 'prod', []),
      /^UserError: books-gateway:registryPassword is encrypted in Pulumi\.prod\.yaml .*pass it with --secret-file books-gateway:registryPassword=FILE$/,
    );
  });

  it('refuses a key of the project that Pulumi.yaml does not declare, naming the nearest one, as the CLI does', () => {
    assert.throws(
      () => readStackConfig(folder, 'prod', ['registryPassword=x', 'bookReplicas=3']),
      /books-gateway:bookReplicas \(given on the command line\) is not a config key of books-gateway: Pulumi\.yaml declares none such; did you mean books-gateway:booksReplicas\?/,
    );
    // Another namespace is the provider's to judge.
    assert.equal(readStackConfig(folder, 'prod', ['registryPassword=x', 'aws:profile=ci']).values['aws:profile'], 'ci');
  });

  it("takes Pulumi.yaml's defaults, the stack file and --config overrides, in that order, as secrets where the file had them encrypted", () => {
    const config = readStackConfig(folder, 'prod', ['registryPassword=s3cret', 'booksReplicas=3']);
    assert.deepEqual(config.values, {
      'books-gateway:booksReplicas': '3',
      'books-gateway:booksReactReplicas': '2',
      'books-gateway:target': 'k3s',
      'aws:region': 'eu-west-1',
      'books-gateway:registryPassword': 's3cret',
    });
    assert.deepEqual(config.secretKeys, ['books-gateway:registryPassword']);
    assert.equal(readStackConfig(folder, 'prod', ['registryPassword=x']).values['books-gateway:booksReplicas'], '2');
  });
});
