/**
 * What every cluster gets, whichever target: the objects, their hardening, probes, network
 * policies, disruption budgets and rollout settings. Run on both local targets.
 */
import assert from 'node:assert/strict';
import { clusterPlatform } from '../../apps/gateway/src/index.js';
import { configChecksum, configChecksumAnnotation } from '../../components/gateway-config.js';
import { runProgram, type ProgramRun, type PropertyBag } from '../../scripts/capture/program-run.js';
import { dockerDesktop, k3s, namespaced } from '../support/scenarios.js';

const deploymentType = 'kubernetes:apps/v1:Deployment';
const serviceType = 'kubernetes:core/v1:Service';
const policyType = 'kubernetes:networking.k8s.io/v1:NetworkPolicy';
const budgetType = 'kubernetes:policy/v1:PodDisruptionBudget';
const configMapType = 'kubernetes:core/v1:ConfigMap';

const selector = (name: string) => ({ 'app.kubernetes.io/name': name, 'app.kubernetes.io/instance': 'books-gateway' });

for (const [targetName, scenario, providerName] of [
  ['docker-desktop', dockerDesktop, 'docker-desktop'],
  ['k3s', k3s, 'k3s'],
] as const) {
  describe(`GatewayStack on ${targetName}`, () => {
    let run: ProgramRun;
    const deployment = (name: string): PropertyBag => run.named(deploymentType, name).inputs;
    const pod = (name: string): PropertyBag => deployment(name).spec.template.spec;

    before(async () => {
      run = await runProgram(scenario);
    });

    it('creates the namespace, three Deployments and Services, PostgreSQL, the gateway configuration, policies and budgets', () => {
      const kinds = run
        .kubernetesObjects()
        // k3s's image pull Secret is its target's (k3s.test.ts).
        .filter((object) => object.name !== 'registry-credentials')
        .map((object) => `${object.type.split(':').pop()}/${object.name}`)
        .sort();
      assert.deepEqual(kinds, [
        'ConfigMap/gateway-config',
        'Deployment/books',
        'Deployment/books-react',
        'Deployment/gateway',
        'Namespace/books-gateway',
        'NetworkPolicy/books-egress',
        'NetworkPolicy/books-from-gateway',
        'NetworkPolicy/books-react-from-gateway',
        'NetworkPolicy/default-deny',
        'NetworkPolicy/gateway',
        'NetworkPolicy/postgres-from-books',
        'PersistentVolumeClaim/postgres-data',
        'PodDisruptionBudget/books',
        'PodDisruptionBudget/books-react',
        'Secret/books-database',
        'Secret/postgres-credentials',
        'Service/books',
        'Service/books-react',
        'Service/gateway',
        'Service/postgres',
        'StatefulSet/postgres',
        'StorageClass/database',
      ]);
      for (const object of namespaced(run)) {
        assert.equal(object.inputs.metadata.namespace, 'books-gateway', `${object.type} ${object.name}`);
      }
    });

    it('sends every Kubernetes object through the target provider, never a default one', () => {
      const [provider] = run.ofType('pulumi:providers:kubernetes');
      assert.equal(run.ofType('pulumi:providers:kubernetes').length, 1);
      assert.equal(provider.name, providerName);
      for (const object of run.kubernetesObjects()) {
        assert.ok(object.provider?.startsWith(`${provider.urn}::`), `${object.type} ${object.name} goes through ${object.provider}`);
      }
    });

    it('parents every object and image to the GatewayStack component', () => {
      const [component] = run.ofType('books-gateway:index:GatewayStack');
      assert.ok(component, 'a GatewayStack component is registered');
      const children = run.resources.filter((r) => r.type.startsWith('kubernetes:') || r.type.startsWith('docker-build:'));
      for (const child of children) {
        assert.match(child.urn, /::books-gateway:index:GatewayStack\$/, `${child.type} ${child.name}`);
      }
    });

    it('runs the default replica counts: books 2, books-react 2, gateway 1', () => {
      assert.equal(deployment('books').spec.replicas, 2);
      assert.equal(deployment('books-react').spec.replicas, 2);
      assert.equal(deployment('gateway').spec.replicas, 1);
    });

    it('exposes only the gateway outside the cluster; the backends are headless', () => {
      for (const [name, port] of [
        ['books', 5000],
        ['books-react', 3000],
      ] as const) {
        const spec = run.named(serviceType, name).inputs.spec;
        assert.equal(spec.type, 'ClusterIP');
        assert.equal(spec.clusterIP, 'None');
        assert.deepEqual(
          spec.ports.map((p: PropertyBag) => p.port),
          [port],
        );
        assert.deepEqual(spec.selector, selector(name));
      }
      const gateway = run.named(serviceType, 'gateway').inputs.spec;
      assert.equal(gateway.type, 'LoadBalancer');
      // The cluster's own load balancer: no cloud's annotations, and not awaited (an address
      // Docker Desktop publishes, or one K3s's ServiceLB may never give).
      assert.deepEqual(run.named(serviceType, 'gateway').inputs.metadata.annotations, { 'pulumi.com/skipAwait': 'true' });
      assert.deepEqual(gateway.selector, selector('gateway'));
      assert.equal(gateway.ports[0].targetPort, 'http');
      assert.equal(run.ofType(serviceType).filter((s) => s.inputs.spec.type === 'LoadBalancer').length, 1);
    });

    it('hardens every pod and container: non-root, read-only root, no capabilities, RuntimeDefault seccomp', () => {
      for (const name of ['books', 'books-react', 'gateway']) {
        const spec = pod(name);
        assert.equal(spec.securityContext.runAsNonRoot, true, name);
        assert.ok(Number.isInteger(spec.securityContext.runAsUser) && spec.securityContext.runAsUser > 0, name);
        assert.equal(spec.securityContext.seccompProfile.type, 'RuntimeDefault', name);
        assert.equal(spec.automountServiceAccountToken, false, name);
        assert.ok(spec.containers.length > 0);
        for (const container of [...spec.containers, ...(spec.initContainers ?? [])]) {
          const context = container.securityContext;
          assert.equal(context.allowPrivilegeEscalation, false, `${name}/${container.name}`);
          assert.equal(context.readOnlyRootFilesystem, true, `${name}/${container.name}`);
          assert.equal(context.runAsNonRoot, true, `${name}/${container.name}`);
          assert.deepEqual(context.capabilities.drop, ['ALL'], `${name}/${container.name}`);
          assert.equal(context.seccompProfile.type, 'RuntimeDefault', `${name}/${container.name}`);
          assert.ok(container.resources.requests.cpu && container.resources.requests.memory, `${name} requests`);
          assert.ok(container.resources.limits.cpu && container.resources.limits.memory, `${name} limits`);
        }
      }
    });

    it('gives writable emptyDirs only where a process writes', () => {
      const volumes = (name: string) => pod(name).volumes.filter((v: PropertyBag) => v.emptyDir);
      const mounts = (name: string) =>
        pod(name).containers[0].volumeMounts.filter((m: PropertyBag) => volumes(name).some((v: PropertyBag) => v.name === m.name));
      assert.deepEqual(
        mounts('gateway').map((m: PropertyBag) => m.mountPath),
        [clusterPlatform.runDir],
      );
      assert.deepEqual(
        mounts('books').map((m: PropertyBag) => m.mountPath),
        ['/tmp'],
      );
      assert.deepEqual(
        mounts('books-react').map((m: PropertyBag) => m.mountPath),
        ['/tmp'],
      );
    });

    it('probes readiness and liveness: books /readyz and /healthz on 5000, books-react / on 3000, the gateway its status port', () => {
      const probes = (name: string) => {
        const container = pod(name).containers[0];
        const portOf = (portName: string) => container.ports.find((p: PropertyBag) => p.name === portName).containerPort;
        const describe = (probe: PropertyBag) => `${probe.httpGet.path}@${portOf(probe.httpGet.port)}`;
        return { readiness: describe(container.readinessProbe), liveness: describe(container.livenessProbe) };
      };
      assert.deepEqual(probes('books'), { readiness: '/readyz@5000', liveness: '/healthz@5000' });
      assert.deepEqual(probes('books-react'), { readiness: '/@3000', liveness: '/@3000' });
      assert.deepEqual(probes('gateway'), { readiness: '/healthz@8081', liveness: '/healthz@8081' });
      // The status port stays out of every Service.
      assert.deepEqual(
        run.named(serviceType, 'gateway').inputs.spec.ports.map((p: PropertyBag) => p.targetPort),
        ['http'],
      );
    });

    it('mounts the rendered gateway configuration read-only, and rolls the pods when it changes', () => {
      const configMap = run.named(configMapType, 'gateway-config').inputs;
      const spec = pod('gateway');
      const volume = spec.volumes.find((v: PropertyBag) => v.configMap);
      assert.equal(volume.configMap.name, configMap.metadata.name);
      const mount = spec.containers[0].volumeMounts.find((m: PropertyBag) => m.name === volume.name);
      assert.deepEqual(mount, { name: volume.name, mountPath: clusterPlatform.configDir, readOnly: true });
      assert.equal(configMap.immutable, true);
      assert.equal(deployment('gateway').spec.template.metadata.annotations[configChecksumAnnotation], configChecksum(configMap.data));
      assert.deepEqual(spec.containers[0].command, ['nginx', '-e', 'stderr', '-c', `${clusterPlatform.configDir}/nginx.conf`]);
      const nginxConf: string = configMap.data['nginx.conf'];
      assert.match(nginxConf, /server books\.books-gateway\.svc\.cluster\.local:5000 resolve/);
      assert.match(nginxConf, /server books-react\.books-gateway\.svc\.cluster\.local:3000 resolve/);
    });

    it('admits traffic to the backends only from gateway pods, to the gateway from anywhere on its public port, to its status port (metrics) from the cluster', () => {
      const policy = (name: string) => run.named(policyType, name).inputs.spec;
      assert.deepEqual(policy('default-deny'), { podSelector: {}, policyTypes: ['Ingress', 'Egress'] });
      for (const [name, port] of [
        ['books', 5000],
        ['books-react', 3000],
      ] as const) {
        const spec = policy(`${name}-from-gateway`);
        assert.deepEqual(spec.podSelector.matchLabels, selector(name));
        assert.deepEqual(spec.ingress, [
          { from: [{ podSelector: { matchLabels: selector('gateway') } }], ports: [{ protocol: 'TCP', port }] },
        ]);
      }
      const gateway = policy('gateway');
      assert.deepEqual(gateway.podSelector.matchLabels, selector('gateway'));
      assert.deepEqual(gateway.ingress, [
        { ports: [{ protocol: 'TCP', port: 8080 }] },
        // Pods of every namespace (wherever Prometheus runs), no address outside the cluster.
        { from: [{ namespaceSelector: {} }], ports: [{ protocol: 'TCP', port: 8081 }] },
      ]);
      const egressTo = gateway.egress.map((rule: PropertyBag) => ({
        to: rule.to[0].podSelector.matchLabels,
        ports: rule.ports.map((p: PropertyBag) => `${p.protocol}/${p.port}`),
      }));
      assert.deepEqual(egressTo, [
        { to: selector('books'), ports: ['TCP/5000'] },
        { to: selector('books-react'), ports: ['TCP/3000'] },
        { to: { 'k8s-app': 'kube-dns' }, ports: ['UDP/53', 'TCP/53'] },
      ]);
      // Every pod the policies select exists: a selector that matches nothing protects nothing.
      for (const name of ['books', 'books-react', 'gateway']) {
        assert.deepEqual(
          Object.entries(selector(name)).filter(([key, value]) => deployment(name).spec.template.metadata.labels[key] !== value),
          [],
        );
      }
    });

    it('guards the multi-replica Deployments with a PodDisruptionBudget, and only those', () => {
      assert.deepEqual(
        run
          .ofType(budgetType)
          .map((b) => b.name)
          .sort(),
        ['books', 'books-react'],
      );
      for (const name of ['books', 'books-react']) {
        const spec = run.named(budgetType, name).inputs.spec;
        assert.equal(spec.maxUnavailable, 1);
        assert.deepEqual(spec.selector.matchLabels, selector(name));
      }
    });

    it('labels every object with the recommended app.kubernetes.io labels', () => {
      for (const object of run.kubernetesObjects()) {
        const labels = object.inputs.metadata.labels;
        assert.equal(labels['app.kubernetes.io/part-of'], 'books-gateway', `${object.type} ${object.name}`);
        assert.equal(labels['app.kubernetes.io/managed-by'], 'pulumi', `${object.type} ${object.name}`);
      }
      for (const name of ['books', 'books-react', 'gateway']) {
        const labels = deployment(name).spec.template.metadata.labels;
        assert.equal(labels['app.kubernetes.io/name'], name);
        assert.ok(labels['app.kubernetes.io/component']);
      }
    });

    it('deploys every Deployment from the image built for it', () => {
      for (const name of ['books', 'books-react', 'gateway']) {
        assert.equal(pod(name).containers[0].image, run.outputs.images[name]);
      }
    });
  });
}
