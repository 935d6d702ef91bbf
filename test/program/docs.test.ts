/**
 * The README and docs/ say what the code does: every `npm run` they name is a script of
 * package.json, every config key they name is declared in Pulumi.yaml and every declared key has
 * its row in docs/config.md, the outputs table lists exactly what each target outputs under
 * mocks, every relative link leads to a file and heading that exist, and the README stays a
 * front page.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { targetNames, type TargetName } from '../../stacks/targets.js';
import { runProgram, type RunOptions } from '../../scripts/capture/program-run.js';
import { dockerDesktop, k3s, kindKubeconfig } from '../support/scenarios.js';
import { azureStandIn } from '../stacks/shared/azure-stand-in.js';
import { aks, eks, gke } from '../stacks/shared/cloud-scenarios.js';

const repoRoot = path.resolve(__dirname, '../..');
const read = (file: string) => fs.readFileSync(path.join(repoRoot, file), 'utf8');
const docFiles = [
  'README.md',
  ...fs
    .readdirSync(path.join(repoRoot, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .map((name) => `docs/${name}`),
];
/** docs/cluster.md is another page's: checked for links and scripts, not for the outputs. */
const docs = docFiles.map((file) => ({ file, text: read(file) }));

/** The keys Pulumi.yaml declares in the project's namespace. */
const declaredKeys = new Set([...read('Pulumi.yaml').matchAll(/^ {2}books-gateway:(\w+):\s*$/gm)].map((match) => match[1]));
/** The namespaces of the providers' own keys (`aws:region`), which Pulumi.yaml does not declare. */
const providerNamespaces = new Set(['aws', 'azure-native', 'gcp', 'kubernetes']);

/** The rows of every Markdown table whose header's first cell is `header`: the cells of each row. */
function tableRows(text: string, header: string): string[][] {
  const rows: string[][] = [];
  let inTable = false;
  for (const line of text.split('\n')) {
    const cells = line.startsWith('|')
      ? line
          .split('|')
          .slice(1, -1)
          .map((cell) => cell.trim())
      : undefined;
    if (!cells) inTable = false;
    else if (cells[0] === header) inTable = true;
    else if (inTable && !/^-+$/.test(cells[0])) rows.push(cells);
  }
  return rows;
}

/** The backticked names in a table cell (`booksReplicas` / `booksReactReplicas`). */
const codeNames = (cell: string) => [...cell.matchAll(/`([^`]+)`/g)].map((match) => match[1]);

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces as hyphens. */
function anchor(heading: string): string {
  return heading
    .toLowerCase()
    .replace(/[^\p{L}\p{N} _-]/gu, '')
    .replace(/ /g, '-');
}

/** The anchors of a Markdown file's headings, outside code blocks. */
function anchors(text: string): Set<string> {
  const found = new Set<string>();
  let inCode = false;
  for (const line of text.split('\n')) {
    if (line.startsWith('```')) inCode = !inCode;
    const heading = !inCode && /^#{1,6} (.+)$/.exec(line);
    if (heading) found.add(anchor(heading[1]));
  }
  return found;
}

describe('the README and docs/, against the code', () => {
  it('keep the README a front page of at most 250 lines', () => {
    const lines = read('README.md').trimEnd().split('\n').length;
    assert.ok(lines <= 250, `README.md has ${lines} lines`);
  });

  it('name in the README every top-level folder of the repository', () => {
    const folders = fs
      .readdirSync(repoRoot, { withFileTypes: true })
      .filter((entry) => entry.isDirectory() && !['node_modules', '.git', '.cache', '.local'].includes(entry.name))
      .map((entry) => entry.name);
    const named = new Set(
      tableRows(read('README.md'), 'folder').flatMap((row) => codeNames(row[0]).map((name) => name.replace(/\/.*$/, ''))),
    );
    for (const folder of folders) assert.ok(named.has(folder), `the README's folder table names ${folder}/`);
  });

  it("name in the README every wing of scripts/, the commands' tooling", () => {
    const wings = fs
      .readdirSync(path.join(repoRoot, 'scripts'), { withFileTypes: true })
      .filter((entry) => entry.isDirectory())
      .map((entry) => `scripts/${entry.name}/`);
    const named = new Set(tableRows(read('README.md'), 'folder').flatMap((row) => codeNames(row[0])));
    for (const wing of wings) assert.ok(named.has(wing), `the README's folder table names ${wing}`);
  });

  it('name only npm scripts that package.json has', () => {
    const scripts = Object.keys((JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts);
    for (const { file, text } of docs) {
      for (const match of text.matchAll(/npm run (?:-s )?([a-z][\w:-]*)/g)) {
        assert.ok(scripts.includes(match[1]), `${file} names npm run ${match[1]}, which package.json lacks`);
      }
    }
  });

  it('name only config keys Pulumi.yaml declares, in commands and in the config tables', () => {
    const named: Array<[string, string]> = [];
    for (const { file, text } of docs) {
      for (const match of text.matchAll(/books-gateway:(\w+)/g)) named.push([file, match[1]]);
      for (const match of text.matchAll(/pulumi config (?:set|get|rm)(?: --secret)? ([\w:-]+)/g)) named.push([file, match[1]]);
    }
    for (const row of tableRows(read('docs/config.md'), 'key'))
      named.push(...codeNames(row[0]).map((key): [string, string] => ['docs/config.md', key]));
    assert.ok(named.length > 50, `found ${named.length} keys`);
    for (const [file, key] of named) {
      const [namespace, name] = key.includes(':') ? key.split(':') : ['books-gateway', key];
      if (namespace === 'books-gateway') assert.ok(declaredKeys.has(name), `${file} names ${key}, which Pulumi.yaml does not declare`);
      else assert.ok(providerNamespaces.has(namespace), `${file} names ${key}, a key of no provider the program uses`);
    }
  });

  it('document every key Pulumi.yaml declares in the tables of docs/config.md', () => {
    const documented = new Set(tableRows(read('docs/config.md'), 'key').flatMap((row) => codeNames(row[0])));
    for (const key of declaredKeys) assert.ok(documented.has(key), `docs/config.md has no row for ${key}`);
  });

  it('lead every relative link to a file that exists, and to a heading of it', () => {
    for (const { file, text } of docs) {
      for (const match of text.matchAll(/\]\(([^)\s]+)\)/g)) {
        const target = match[1];
        if (/^[a-z]+:/.test(target)) continue;
        const [linked, fragment] = target.split('#');
        const resolved = linked ? path.join(path.dirname(path.join(repoRoot, file)), linked) : path.join(repoRoot, file);
        assert.ok(fs.existsSync(resolved), `${file} links to ${target}, which does not exist`);
        if (fragment && resolved.endsWith('.md')) {
          assert.ok(anchors(fs.readFileSync(resolved, 'utf8')).has(fragment), `${file} links to ${target}, a heading that does not exist`);
        }
      }
    }
  });

  describe('the outputs table of docs/operating.md', () => {
    const scenarios: Record<TargetName, RunOptions> = {
      'docker-desktop': dockerDesktop,
      k3s,
      kubeconfig: {
        config: {
          target: 'kubeconfig',
          kubeconfig: kindKubeconfig,
          kubeContext: 'kind-books',
          imageRegistry: 'registry.example.com/books',
        },
      },
      aks,
      eks,
      gke,
    };
    // The aks target calls ACR's token exchange itself, not through its provider.
    const azure = azureStandIn();
    before(() => azure.install());
    after(() => azure.restore());
    const rows = tableRows(read('docs/operating.md'), 'output');
    const header = read('docs/operating.md')
      .split('\n')
      .find((line) => line.startsWith('| output |'))!
      .split('|')
      .slice(1, -1)
      .map((cell) => cell.trim());

    for (const target of targetNames) {
      it(`lists exactly the outputs of ${target}`, async function () {
        this.timeout(120_000);
        const column = header.indexOf(target);
        assert.ok(column > 0, `the table has a column for ${target}`);
        const documented = rows.filter((row) => row[column] !== '').flatMap((row) => codeNames(row[0]));
        const run = await runProgram(scenarios[target]);
        assert.deepEqual(Object.keys(run.outputs).sort(), [...documented].sort());
      });
    }
  });
});
