/**
 * nginx workers follow the containers' CPU limits, never the node's CPUs (`auto`): the gateway's
 * rendered configuration and the page's nginx, whose image configuration leaves the count to the
 * pod's command, which a real nginx must accept.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { nginxWorkerProcesses } from '../../components/workloads.js';
import { runProgram, type ProgramRun, type PropertyBag } from '../../scripts/capture/program-run.js';
import { dockerDesktop } from '../support/scenarios.js';

const repoRoot = path.resolve(__dirname, '../..');
const deploymentType = 'kubernetes:apps/v1:Deployment';

describe('nginx workers', () => {
  let run: ProgramRun;
  const container = (name: string): PropertyBag => run.named(deploymentType, name).inputs.spec.template.spec.containers[0];
  before(async () => {
    run = await runProgram(dockerDesktop);
  });

  it('are one per whole CPU of the limit, at least one', () => {
    assert.deepEqual(['100m', '250m', '1', '1000m', '1001m', '1.5', '2', '16'].map(nginxWorkerProcesses), [1, 1, 1, 1, 2, 2, 2, 16]);
    assert.throws(() => nginxWorkerProcesses('one'), /not a CPU quantity/);
  });

  it("of the gateway follow its container's CPU limit", () => {
    const nginxConf: string = run.ofType('kubernetes:core/v1:ConfigMap')[0].inputs.data['nginx.conf'];
    const workers = [...nginxConf.matchAll(/^worker_processes (\S+);$/gm)].map((match) => match[1]);
    assert.deepEqual(workers, [String(nginxWorkerProcesses(container('gateway').resources.limits.cpu))]);
  });

  it("of the page follow its container's CPU limit, through the pod's command", () => {
    const { command, resources } = container('books-react');
    assert.deepEqual(command, ['nginx', '-g', `daemon off; worker_processes ${nginxWorkerProcesses(resources.limits.cpu)};`]);
  });

  it("of the page: the image's nginx.conf leaves the count to the command, and a real nginx takes both", function () {
    const imageConfig = fs.readFileSync(path.join(repoRoot, 'apps/books-react/nginx/nginx.conf'), 'utf8');
    assert.doesNotMatch(imageConfig, /^\s*worker_processes/m, 'a second worker_processes would stop nginx: "directive is duplicate"');
    const runDir = fs.mkdtempSync(path.join(os.tmpdir(), 'page-nginx-'));
    try {
      const conf = path.join(runDir, 'nginx.conf');
      fs.writeFileSync(path.join(runDir, 'site.conf'), fs.readFileSync(path.join(repoRoot, 'apps/books-react/nginx/site.conf')));
      fs.writeFileSync(
        conf,
        imageConfig
          .replaceAll('/tmp/', `${runDir}/`)
          .replace('include /etc/nginx/site.conf;', `include ${runDir}/site.conf;`)
          .replace('access_log /dev/stdout json;', 'access_log off;'),
      );
      const [, ...args] = container('books-react').command as string[];
      const check = spawnSync('nginx', ['-t', '-p', runDir, '-c', conf, '-e', 'stderr', ...args], { encoding: 'utf8' });
      assert.equal(check.status, 0, check.stderr);
    } finally {
      fs.rmSync(runDir, { recursive: true, force: true });
    }
  });
});
