/**
 * Pulumi.yaml declares every key the program reads, with a type, a description and the default
 * the program applies (the CLI applies Pulumi.yaml's defaults; the program applies its own when
 * run without the CLI, as under test: the two must agree). And `index.ts` is the program.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { gatewayPolicyDefaults } from '../../apps/gateway/src/index.js';
import { gatewayDefaults } from '../../components/gateway-stack-args.js';
import { targetNames } from '../../stacks/targets.js';
import { runProgram } from '../../scripts/capture/program-run.js';
import { dockerDesktop } from '../support/scenarios.js';

const repoRoot = path.resolve(__dirname, '../..');

interface DeclaredKey {
  type?: string;
  default?: string;
  description?: string;
}

/** The `config:` block of a Pulumi project file: `books-gateway:<key>:` entries and their fields. */
function declaredConfig(text: string): Map<string, DeclaredKey> {
  const keys = new Map<string, DeclaredKey>();
  let current: DeclaredKey | undefined;
  for (const line of text.split('\n')) {
    const key = /^ {2}books-gateway:(\w+):\s*$/.exec(line);
    if (key) {
      current = {};
      keys.set(key[1], current);
      continue;
    }
    const field = /^ {4}(type|default|description):\s*(.*)$/.exec(line);
    if (field && current) current[field[1] as keyof DeclaredKey] = field[2].replace(/^"(.*)"$/, '$1');
    else if (!/^ {4}/.test(line)) current = undefined;
  }
  return keys;
}

describe('Pulumi project file', () => {
  const declared = declaredConfig(fs.readFileSync(path.join(repoRoot, 'Pulumi.yaml'), 'utf8'));

  it('declares every key the local targets and GatewayStack read, with a type and a description', () => {
    const read = ['target', 'namespace', 'booksReplicas', 'booksReactReplicas', 'gatewayReplicas', 'gatewayServicePort'];
    const local = ['kubeContext', 'kubeconfig', 'imageRegistry', 'registryUsername', 'registryPassword', 'imagePlatform', 'clusterName'];
    for (const key of [...read, ...local]) {
      const entry = declared.get(key);
      assert.ok(entry, `Pulumi.yaml declares books-gateway:${key}`);
      assert.ok(entry.type && entry.description, `books-gateway:${key} has a type and a description`);
    }
  });

  it('gives target an empty default, so that the program (not the CLI) reports a missing target with every valid value', () => {
    const target = declared.get('target');
    assert.equal(target?.default, '');
    for (const name of targetNames) assert.ok(target?.description?.includes(name), `the description names ${name}`);
  });

  it("declares the program's own defaults", () => {
    for (const key of ['namespace', 'booksReplicas', 'booksReactReplicas', 'gatewayReplicas'] as const) {
      assert.equal(declared.get(key)?.default, String(gatewayDefaults[key]), `default of books-gateway:${key}`);
    }
    for (const key of ['booksReplicas', 'booksReactReplicas', 'gatewayReplicas']) {
      assert.equal(declared.get(key)?.type, 'integer', key);
    }
  });

  it("leaves the Service ports empty, meaning the target's own: a declared number would hide the k3s ports behind 80 and 443", () => {
    for (const key of ['gatewayServicePort', 'gatewayTlsServicePort']) {
      assert.deepEqual([declared.get(key)?.type, declared.get(key)?.default], ['string', ''], key);
      assert.match(declared.get(key)?.description ?? '', /empty means the target's own/, key);
    }
  });

  it("declares the gateway's security, limit and TLS keys with the program's defaults; credentials default to empty", () => {
    const expected: Record<string, [string, string]> = {
      jwtAlgorithms: ['string', gatewayPolicyDefaults.jwtAlgorithms.join(',')],
      rateLimitPerSecond: ['integer', String(gatewayPolicyDefaults.rateLimitPerSecond)],
      rateLimitBurst: ['integer', String(gatewayPolicyDefaults.rateLimitBurst)],
      connectionsPerClient: ['integer', String(gatewayPolicyDefaults.connectionsPerClient)],
      maxBodySize: ['string', gatewayPolicyDefaults.maxBodySize],
      jwtIssuer: ['string', ''],
      jwtAudience: ['string', ''],
      corsOrigins: ['string', ''],
      forwardCredentials: ['boolean', String(gatewayPolicyDefaults.forwardCredentials)],
    };
    for (const [key, [type, value]] of Object.entries(expected)) {
      assert.deepEqual([declared.get(key)?.type, declared.get(key)?.default], [type, value], key);
      assert.ok(declared.get(key)?.description, key);
    }
    for (const key of ['jwtJwks', 'jwtHmacSecret', 'apiKeys', 'tlsCertificate', 'tlsKey']) {
      assert.equal(declared.get(key)?.default, '', `${key} is optional`);
      assert.match(declared.get(key)?.description ?? '', /--secret/, `${key} tells to set it as a secret`);
    }
  });

  it('leaves databaseVolumeOnDestroy empty: the CLI applies a declared default to every stack, and the kubeconfig target refuses the key set', () => {
    assert.deepEqual([declared.get('databaseVolumeOnDestroy')?.type, declared.get('databaseVolumeOnDestroy')?.default], ['string', '']);
    assert.match(declared.get('databaseVolumeOnDestroy')?.description ?? '', /empty means keep/);
  });

  it('declares the monitoring keys off by default, so that no stack needs the Prometheus Operator it may not have', () => {
    const expected: Record<string, [string, string]> = {
      podMonitor: ['boolean', 'false'],
      podMonitorLabels: ['string', ''],
      grafanaDashboard: ['boolean', 'false'],
      grafanaDashboardNamespace: ['string', ''],
    };
    for (const [key, [type, value]] of Object.entries(expected)) {
      assert.deepEqual([declared.get(key)?.type, declared.get(key)?.default], [type, value], key);
      assert.ok(declared.get(key)?.description, key);
    }
  });

  it('makes the dev stack a docker-desktop stack', () => {
    assert.match(fs.readFileSync(path.join(repoRoot, 'Pulumi.dev.yaml'), 'utf8'), /^ {2}books-gateway:target: docker-desktop$/m);
  });

  it('runs index.ts as the program', async () => {
    await runProgram(dockerDesktop);
    const { deployGatewaySystem } = await import('../../stacks/program.js');
    const entry: unknown = (await import('../../index.js')).default;
    assert.equal(entry, deployGatewaySystem);
    const packageJson = JSON.parse(fs.readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { main: string };
    assert.equal(packageJson.main, 'index.ts');
  });
});
