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
    assert.deepEqual([...new Set(kinds)].sort(), ['ConfigMap', 'Deployment', 'Namespace', 'NetworkPolicy', 'PodDisruptionBudget', 'Secret', 'Service']);
    const secretFile = files.find((file) => file.startsWith('secret-'))!;
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
    const secret = parse(readFileSync(path.join(out, readdirSync(out).find((file) => file.startsWith('secret-'))!), 'utf8')) as {
      stringData: Record<string, string>;
    };
    assert.ok(Object.values(secret.stringData).every((value) => !value.includes('redacted')));
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
    writeFileSync(path.join(folder, 'Pulumi.yaml'), 'name: books-gateway\nconfig:\n  books-gateway:booksReplicas:\n    type: integer\n    default: 2\n');
    writeFileSync(
      path.join(folder, 'Pulumi.prod.yaml'),
      'config:\n  books-gateway:target: k3s\n  books-gateway:registryPassword:\n    secure: AAABAMx1\n  aws:region: eu-west-1\n',
    );
  });
  after(() => rmSync(folder, { recursive: true, force: true }));

  it('fails on an encrypted value, naming the key and saying to pass it with --config', () => {
    assert.throws(
      () => readStackConfig(folder, 'prod', []),
      /^UserError: books-gateway:registryPassword is encrypted in Pulumi\.prod\.yaml .*pass it with --config books-gateway:registryPassword=VALUE$/,
    );
  });

  it("takes Pulumi.yaml's defaults, the stack file and --config overrides, in that order, as secrets where the file had them encrypted", () => {
    const config = readStackConfig(folder, 'prod', ['registryPassword=s3cret', 'booksReplicas=3']);
    assert.deepEqual(config.values, {
      'books-gateway:booksReplicas': '3',
      'books-gateway:target': 'k3s',
      'aws:region': 'eu-west-1',
      'books-gateway:registryPassword': 's3cret',
    });
    assert.deepEqual(config.secretKeys, ['books-gateway:registryPassword']);
    assert.equal(readStackConfig(folder, 'prod', ['registryPassword=x']).values['books-gateway:booksReplicas'], '2');
  });
});
