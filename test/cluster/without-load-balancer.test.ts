/**
 * A cluster that hands out no load-balancer address, as kind, or minikube without a tunnel: the
 * single-node cluster started without its LoadBalancer controller. `pulumi up` must not wait for
 * an address that never comes, and gatewayUrl must say how to reach the gateway all the same.
 * It runs last of the cluster suites: it stops the cluster they share and starts its own.
 */
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { eventually } from '../../scripts/toolkit/eventually.js';
import { freePort } from '../../scripts/toolkit/ports.js';
import { request } from '../gateway/support/http.js';
import { startCluster, stopSharedCluster, type RunningCluster } from './support/cluster-process.js';
import { TestStack } from './support/test-stack.js';

const namespace = 'books-gateway';

describe('the kubeconfig target on a cluster without a load balancer', function () {
  this.timeout(240_000);
  let cluster: RunningCluster | undefined;
  let stack: TestStack | undefined;

  before(async function () {
    this.timeout(600_000);
    await stopSharedCluster();
    cluster = await startCluster(['--no-load-balancer']);
    stack = new TestStack(cluster, 'minikube', {
      target: 'kubeconfig',
      kubeContext: 'docker-desktop',
      imageRegistry: `${cluster.registry}/books-gateway`,
      baseImages: cluster.baseImages,
      postgresImage: cluster.postgresImage,
      loadBalancerSettleSeconds: '5',
    });
  });
  after(async function () {
    this.timeout(600_000);
    if (stack && cluster) {
      if (this.currentTest?.state === 'failed') console.log(stack.logs.join('\n').split('\n').slice(-120).join('\n'));
      await stack.run('destroy');
      stack.remove();
    }
    await cluster?.stop();
  });

  it('pulumi up completes without waiting for the gateway Service, and gatewayUrl says how to reach the gateway', async function () {
    this.timeout(900_000);
    const started = Date.now();
    const { outputs } = await stack!.expect('up');
    const service = JSON.parse(await cluster!.kubectl(['-n', namespace, 'get', 'service', 'gateway', '-o', 'json'])) as {
      metadata: { annotations?: Record<string, string> };
      status: { loadBalancer: { ingress?: unknown[] } };
    };
    assert.equal(service.metadata.annotations?.['pulumi.com/skipAwait'], 'true', 'the provider did not wait for the Service');
    // Still none, a while later: nothing here ever assigns one.
    await sleep(5000);
    assert.equal(
      (JSON.parse(await cluster!.kubectl(['-n', namespace, 'get', 'service', 'gateway', '-o', 'json'])) as typeof service).status
        .loadBalancer.ingress,
      undefined,
    );
    const access = String(outputs.gatewayUrl);
    assert.match(access, /no load-balancer address yet: `kubectl -n books-gateway get service gateway`/);
    assert.match(
      access,
      /`kubectl -n books-gateway port-forward service\/gateway 8080:80` serves the gateway at http:\/\/127\.0\.0\.1:8080$/,
    );
    console.log(`        pulumi up took ${((Date.now() - started) / 1000).toFixed(0)} s`);
  });

  it('serves through the port-forward gatewayUrl names', async () => {
    const local = await freePort();
    const forward = spawn(
      path.join(cluster!.kubernetesBin, 'kubectl'),
      ['--kubeconfig', cluster!.kubeconfig, '-n', namespace, 'port-forward', 'service/gateway', `${local}:80`],
      { stdio: 'ignore' },
    );
    try {
      await eventually(
        'the port-forward serves /books',
        async () => (await request(`http://127.0.0.1:${local}/books`).catch(() => undefined))?.status === 200,
        20_000,
        250,
      );
    } finally {
      forward.kill();
    }
  });
});
