/**
 * The cluster side of losing no request: what a rolling update, a node drain or a pod deletion
 * needs from each Deployment, checked against the gateway configuration actually rendered.
 */
import assert from 'node:assert/strict';
import { runProgram, type ProgramRun, type PropertyBag } from '../../scripts/capture/program-run.js';
import { dockerDesktop } from '../support/scenarios.js';
import { azureStandIn } from '../stacks/shared/azure-stand-in.js';
import { aks, eks, gke } from '../stacks/shared/cloud-scenarios.js';
import { pathFixture } from '../stacks/shared/commands-on-path.js';

/** A directive's seconds in the rendered nginx.conf, e.g. `proxy_read_timeout 30s;`. */
function seconds(nginxConf: string, pattern: RegExp): number {
  const match = pattern.exec(nginxConf);
  assert.ok(match, `nginx.conf has ${pattern}`);
  return Number(match[1]);
}

/**
 * The health checks the clouds' service controllers give a `LoadBalancer` Service with
 * `externalTrafficPolicy: Local` (they probe each node's kube-proxy health check port): how often,
 * and how many results in a row turn a node healthy or unhealthy.
 */
const loadBalancerHealthChecks = [
  { cloud: 'AWS NLB (EKS)', scenario: eks, intervalSeconds: 10, healthyAfter: 2, unhealthyAfter: 2 },
  { cloud: 'GCP passthrough NLB (GKE)', scenario: gke, intervalSeconds: 8, healthyAfter: 1, unhealthyAfter: 3 },
  { cloud: 'Azure Load Balancer (AKS)', scenario: aks, intervalSeconds: 5, healthyAfter: 1, unhealthyAfter: 2 },
];

/**
 * A container's preStop pause, in seconds: `sleep N` in the container, which every API server
 * runs (the hook's sleep action needs Kubernetes 1.30).
 */
function preStopPause(container: PropertyBag): number {
  const command: string[] = container.lifecycle.preStop.exec.command;
  assert.equal(command[0], 'sleep');
  assert.equal(command.length, 2);
  return Number(command[1]);
}

describe('rolling updates lose no request', () => {
  let run: ProgramRun;
  let longestRequest: number;
  let resolverValidity: number;
  const deployment = (name: string): PropertyBag => run.named('kubernetes:apps/v1:Deployment', name).inputs;

  before(async () => {
    run = await runProgram(dockerDesktop);
    const nginxConf: string = run.ofType('kubernetes:core/v1:ConfigMap')[0].inputs.data['nginx.conf'];
    // The gateway gives up on a request after connecting and waiting this long for the answer.
    longestRequest = seconds(nginxConf, /proxy_connect_timeout (\d+)s;/) + seconds(nginxConf, /proxy_read_timeout (\d+)s;/);
    resolverValidity = seconds(nginxConf, /resolver \S+ valid=(\d+)s/);
  });

  for (const name of ['books', 'books-react', 'gateway']) {
    describe(name, () => {
      it('starts a new pod and waits for it to be ready before stopping an old one', () => {
        const { strategy, template } = deployment(name).spec;
        assert.equal(strategy.type, 'RollingUpdate');
        assert.equal(strategy.rollingUpdate.maxUnavailable, 0);
        assert.ok(strategy.rollingUpdate.maxSurge >= 1);
        assert.ok(template.spec.containers[0].readinessProbe.httpGet, 'a readiness probe gates the rollout');
      });

      it('keeps serving until the gateway has re-resolved its backends, then has time to finish the longest request', () => {
        const pod = deployment(name).spec.template.spec;
        const pause = preStopPause(pod.containers[0]);
        assert.ok(pause > resolverValidity, `preStop pause ${pause}s outlasts the gateway's DNS cache of ${resolverValidity}s`);
        assert.ok(
          pod.terminationGracePeriodSeconds > pause + longestRequest,
          `grace ${pod.terminationGracePeriodSeconds}s > pause ${pause}s + longest request ${longestRequest}s`,
        );
      });
    });
  }

  describe('gateway behind a cloud load balancer, even with one replica', () => {
    const path = pathFixture();
    const azure = azureStandIn();
    before(() => {
      path.use(['aws', 'gke-gcloud-auth-plugin']);
      azure.install();
    });
    after(() => {
      azure.restore();
      path.restore();
    });
    for (const check of loadBalancerHealthChecks) {
      it(`keeps the old pod until the ${check.cloud} sends to the new pod's node, and serving until it stops sending to the old one`, async () => {
        const cloud = await runProgram(check.scenario);
        const { minReadySeconds, template } = cloud.named('kubernetes:apps/v1:Deployment', 'gateway').inputs.spec;
        const pause = preStopPause(template.spec.containers[0]);
        const healthy = check.intervalSeconds * check.healthyAfter;
        const unhealthy = check.intervalSeconds * check.unhealthyAfter;
        assert.ok(minReadySeconds >= healthy, `minReadySeconds ${minReadySeconds}s covers the ${healthy}s to mark the new node healthy`);
        assert.ok(pause >= unhealthy, `preStop pause ${pause}s covers the ${unhealthy}s to mark the old node unhealthy`);
      });
    }
  });

  it("behind Docker Desktop's load balancer, which follows the cluster IP, counts a new gateway pod available after 5 s", () => {
    const { minReadySeconds, template } = deployment('gateway').spec;
    assert.equal(minReadySeconds, 5);
    assert.equal(preStopPause(template.spec.containers[0]), 15, 'still serving as long as a backend does');
  });

  it('takes the settle time a stack sets for its load balancer', async () => {
    const tuned = await runProgram({ ...dockerDesktop, config: { ...dockerDesktop.config, loadBalancerSettleSeconds: '45' } });
    const { minReadySeconds, template } = tuned.named('kubernetes:apps/v1:Deployment', 'gateway').inputs.spec;
    assert.deepEqual([minReadySeconds, preStopPause(template.spec.containers[0])], [45, 45]);
  });

  it("pauses in preStop with the image's own sleep, which API servers before 1.30 accept too (the sleep action they refuse)", () => {
    for (const name of ['books', 'books-react', 'gateway']) {
      const { preStop } = deployment(name).spec.template.spec.containers[0].lifecycle;
      assert.deepEqual(Object.keys(preStop), ['exec'], name);
      assert.ok(preStopPause(deployment(name).spec.template.spec.containers[0]) > 0, name);
    }
  });

  it('lets books finish every request in flight after SIGTERM, within the grace period', () => {
    const pod = deployment('books').spec.template.spec;
    const env = Object.fromEntries(pod.containers[0].env.map((v: PropertyBag) => [v.name, v.value]));
    const shutdown = Number(env.SHUTDOWN_TIMEOUT_MS) / 1000;
    const pause = preStopPause(pod.containers[0]);
    assert.ok(shutdown >= longestRequest, `books waits ${shutdown}s for requests the gateway waits ${longestRequest}s for`);
    assert.ok(pause + shutdown < pod.terminationGracePeriodSeconds, 'books exits before the kubelet kills it');
  });

  it('keeps a PodDisruptionBudget over every multi-replica Deployment, allowing one pod down at a time', () => {
    for (const object of run.ofType('kubernetes:apps/v1:Deployment').filter((d) => d.inputs.spec.replicas > 1)) {
      const budget = run.named('kubernetes:policy/v1:PodDisruptionBudget', object.name).inputs.spec;
      assert.equal(budget.maxUnavailable, 1);
      assert.deepEqual(budget.selector.matchLabels, object.inputs.spec.selector.matchLabels);
    }
  });

  it('starts the gateway only after the backends are ready and named, so a first up serves at once', () => {
    // Pulumi waits for each dependency's rollout; nginx would otherwise cache the empty DNS answer.
    const gateway = run.named('kubernetes:apps/v1:Deployment', 'gateway');
    for (const backend of ['books', 'books-react']) {
      for (const type of ['kubernetes:apps/v1:Deployment', 'kubernetes:core/v1:Service']) {
        const { urn } = run.named(type, backend);
        assert.ok(urn, `${type} ${backend} has a URN`);
        assert.ok(gateway.dependencies.includes(urn), `the gateway Deployment waits for ${type} ${backend}`);
      }
    }
    assert.deepEqual(
      run.named('kubernetes:apps/v1:Deployment', 'books').dependencies.filter((urn) => urn.includes('Deployment::')),
      [],
    );
  });
});
