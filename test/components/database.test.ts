/**
 * The books API's PostgreSQL as the program deploys it: in the cluster (the official image pinned
 * by digest, hardened to Pod Security restricted, its password made once and kept secret, its
 * volume from a StorageClass of the stack's that keeps or deletes it on destroy, reachable from
 * the books pods alone), or an existing one named by databaseUrl; every mistake in its keys
 * refused before a resource exists.
 */
import assert from 'node:assert/strict';
import { runProgram, runProgramExpectingError, secretValue, type ProgramRun, type PropertyBag } from '../../scripts/capture/program-run.js';
import { dockerDesktop, k3s, kindKubeconfig } from '../support/scenarios.js';

const statefulSetType = 'kubernetes:apps/v1:StatefulSet';
const policyType = 'kubernetes:networking.k8s.io/v1:NetworkPolicy';
const claimType = 'kubernetes:core/v1:PersistentVolumeClaim';
const storageClassType = 'kubernetes:storage.k8s.io/v1:StorageClass';
const secretType = 'kubernetes:core/v1:Secret';
const passwordType = 'random:index/randomPassword:RandomPassword';
const officialImage = /^postgres:17\.\d+-trixie@sha256:[0-9a-f]{64}$/;

const selector = (name: string) => ({ 'app.kubernetes.io/name': name, 'app.kubernetes.io/instance': 'books-gateway' });
const withConfig = (config: Record<string, string>, secretKeys: string[] = []) => ({
  ...dockerDesktop,
  config: { ...dockerDesktop.config, ...config },
  secretKeys,
});

describe('the books database', () => {
  describe('in the cluster, by default', () => {
    let run: ProgramRun;
    const pod = (): PropertyBag => run.named(statefulSetType, 'postgres').inputs.spec.template.spec;
    before(async () => {
      run = await runProgram(dockerDesktop);
    });

    it('runs the official PostgreSQL image pinned by digest, one pod of a StatefulSet behind a ClusterIP Service on 5432', () => {
      const statefulSet = run.named(statefulSetType, 'postgres').inputs;
      assert.equal(statefulSet.spec.replicas, 1);
      assert.equal(statefulSet.spec.serviceName, 'postgres');
      assert.match(pod().containers[0].image, officialImage);
      const service = run.named('kubernetes:core/v1:Service', 'postgres').inputs.spec;
      assert.deepEqual([service.type, service.selector, service.ports[0].port], ['ClusterIP', selector('postgres'), 5432]);
    });

    it('runs it at Pod Security restricted: its numeric user, no capability, a read-only root, writing only its volume and emptyDirs', () => {
      const spec = pod();
      const [container] = spec.containers;
      assert.deepEqual([spec.securityContext.runAsNonRoot, spec.securityContext.runAsUser, spec.securityContext.fsGroup], [true, 999, 999]);
      assert.equal(spec.securityContext.seccompProfile.type, 'RuntimeDefault');
      assert.deepEqual(container.securityContext.capabilities, { drop: ['ALL'] });
      assert.equal(container.securityContext.readOnlyRootFilesystem, true);
      assert.equal(container.securityContext.allowPrivilegeEscalation, false);
      const mounts = Object.fromEntries(container.volumeMounts.map((mount: PropertyBag) => [mount.mountPath, mount.name]));
      const volumes = Object.fromEntries(spec.volumes.map((volume: PropertyBag) => [volume.name, volume]));
      assert.equal(volumes[mounts['/var/lib/postgresql/data']].persistentVolumeClaim.claimName, 'postgres-data');
      for (const dir of ['/var/run/postgresql', '/tmp']) assert.ok(volumes[mounts[dir]].emptyDir, `${dir} is an emptyDir`);
      const env = Object.fromEntries(container.env.map((variable: PropertyBag) => [variable.name, variable.value]));
      assert.equal(env.PGDATA, '/var/lib/postgresql/data/pgdata', 'a folder of the volume, not its root');
      assert.equal(env.POSTGRES_PASSWORD_FILE, `${'/run/secrets/postgres'}/password`);
      assert.equal(volumes[mounts['/run/secrets/postgres']].secret.defaultMode, 0o440);
      assert.equal(spec.automountServiceAccountToken, false);
    });

    it('stops it with a fast shutdown before the signal, and waits for it to accept clients before it counts as ready', () => {
      const [container] = pod().containers;
      assert.match(container.lifecycle.preStop.exec.command.join(' '), /pg_ctl stop --pgdata="\$PGDATA" --mode=fast --wait/);
      assert.ok(pod().terminationGracePeriodSeconds >= 50);
      for (const probe of ['startupProbe', 'readinessProbe', 'livenessProbe'])
        assert.match(container[probe].exec.command.join(' '), /^pg_isready --host=127\.0\.0\.1 --port=5432/, probe);
    });

    it('makes its password once with @pulumi/random, and hands it to PostgreSQL and the books pods only as Pulumi secrets', () => {
      const password = run.named(passwordType, 'postgres-password').inputs;
      assert.deepEqual([password.length, password.special], [32, false]);
      const credentials = run.named(secretType, 'postgres-credentials').inputs;
      assert.deepEqual(secretValue(credentials.stringData, 'the password'), { password: 'generated-by-pulumi-up' });
      const books = run.named(secretType, 'books-database').inputs;
      assert.deepEqual(secretValue(books.stringData, 'the URL'), {
        url: 'postgres://books:generated-by-pulumi-up@postgres.books-gateway.svc.cluster.local:5432/books',
      });
      assert.doesNotMatch(JSON.stringify(run.outputs), /generated-by-pulumi-up/, 'no output shows it');
    });

    it('gives the books pods the URL as a file of that Secret, and starts them once PostgreSQL runs, waiting for it before liveness applies', () => {
      const deployment = run.named('kubernetes:apps/v1:Deployment', 'books');
      const spec = deployment.inputs.spec.template.spec;
      const env = Object.fromEntries(spec.containers[0].env.map((variable: PropertyBag) => [variable.name, variable.value]));
      assert.equal(env.DATABASE_URL_FILE, '/run/secrets/books-database/url');
      assert.equal(env.DATABASE_URL, undefined, 'never the URL itself in the pod spec');
      const volume = spec.volumes.find((entry: PropertyBag) => entry.secret);
      assert.equal(volume.secret.secretName, run.named(secretType, 'books-database').state.metadata.name);
      assert.ok(
        deployment.dependencies.some((urn) => urn.endsWith('StatefulSet::postgres')),
        'waits for the StatefulSet',
      );
      // A books process listens once its schema is up to date: liveness waits 5 minutes for that.
      const probe = spec.containers[0].startupProbe;
      assert.deepEqual([probe.httpGet.path, probe.periodSeconds * probe.failureThreshold], ['/healthz', 300]);
    });

    it('lets only the books pods reach PostgreSQL, and the books pods reach only PostgreSQL and cluster DNS', () => {
      const ingress = run.named(policyType, 'postgres-from-books').inputs.spec;
      assert.deepEqual(ingress.podSelector.matchLabels, selector('postgres'));
      assert.deepEqual(ingress.ingress, [
        { from: [{ podSelector: { matchLabels: selector('books') } }], ports: [{ protocol: 'TCP', port: 5432 }] },
      ]);
      const egress = run.named(policyType, 'books-egress').inputs.spec;
      assert.deepEqual([egress.podSelector.matchLabels, egress.policyTypes], [selector('books'), ['Egress']]);
      assert.deepEqual(egress.egress[0], {
        to: [{ podSelector: { matchLabels: selector('postgres') } }],
        ports: [{ protocol: 'TCP', port: 5432 }],
      });
      assert.deepEqual(egress.egress[1].to[0].podSelector.matchLabels, { 'k8s-app': 'kube-dns' });
      assert.equal(egress.egress.length, 2);
    });

    it("keeps its 1Gi volume on destroy: the claim's StorageClass, the stack's own, retains it", () => {
      const claim = run.named(claimType, 'postgres-data').inputs;
      assert.deepEqual(claim.spec.accessModes, ['ReadWriteOnce']);
      assert.equal(claim.spec.resources.requests.storage, '1Gi');
      const storageClass = run.named(storageClassType, 'database').inputs;
      assert.equal(claim.spec.storageClassName, storageClass.metadata.name);
      assert.deepEqual(
        [storageClass.metadata.name, storageClass.provisioner, storageClass.volumeBindingMode, storageClass.reclaimPolicy],
        ['books-gateway-database', 'docker.io/hostpath', 'WaitForFirstConsumer', 'Retain'],
      );
    });
  });

  it('deletes the volume on destroy with databaseVolumeOnDestroy delete, sizes it with databaseVolumeSize, and runs postgresImage', async () => {
    const run = await runProgram(
      withConfig({ databaseVolumeOnDestroy: 'delete', databaseVolumeSize: '20Gi', postgresImage: 'mirror.example.com/postgres:17.11' }),
    );
    assert.equal(run.named(storageClassType, 'database').inputs.reclaimPolicy, 'Delete');
    assert.equal(run.named(claimType, 'postgres-data').inputs.spec.resources.requests.storage, '20Gi');
    assert.equal(run.named(statefulSetType, 'postgres').inputs.spec.template.spec.containers[0].image, 'mirror.example.com/postgres:17.11');
  });

  it("makes each target's volumes with its cluster's provisioner, and on an existing cluster of a kubeconfig with its default class", async () => {
    const k3sRun = await runProgram(k3s);
    assert.deepEqual(
      [k3sRun.named(storageClassType, 'database').inputs.provisioner, k3sRun.named(storageClassType, 'database').inputs.volumeBindingMode],
      ['rancher.io/local-path', 'WaitForFirstConsumer'],
    );
    const kind = await runProgram({
      config: { target: 'kubeconfig', kubeconfig: kindKubeconfig, imageRegistry: 'registry.example.com/books' },
      secretKeys: ['kubeconfig'],
    });
    assert.deepEqual(kind.ofType(storageClassType), []);
    assert.equal(kind.named(claimType, 'postgres-data').inputs.spec.storageClassName, undefined);
  });

  it("refuses databaseVolumeOnDestroy on an existing cluster of a kubeconfig, whose default class's reclaim policy decides, before any resource", async () => {
    const failure = await runProgramExpectingError({
      config: {
        target: 'kubeconfig',
        kubeconfig: kindKubeconfig,
        imageRegistry: 'registry.example.com/books',
        databaseVolumeOnDestroy: 'delete',
      },
      secretKeys: ['kubeconfig'],
    });
    assert.match(
      failure.error.message,
      /books-gateway:databaseVolumeOnDestroy cannot be honoured on the kubeconfig target: .*reclaim policy/,
    );
    assert.deepEqual(failure.resources, []);
  });

  describe('an existing one, named by databaseUrl', () => {
    const url = 'postgres://books:s3cret-pw@10.20.30.40:6432/books?sslmode=require';

    it('makes no database in the cluster, and hands the books pods its URL as a Pulumi secret', async () => {
      const run = await runProgram(withConfig({ databaseUrl: url }, ['databaseUrl']));
      for (const type of [statefulSetType, claimType, storageClassType, passwordType]) assert.deepEqual(run.ofType(type), [], type);
      assert.deepEqual(
        run
          .ofType(policyType)
          .map((policy) => policy.name)
          .filter((name) => name.startsWith('postgres')),
        [],
      );
      assert.deepEqual(secretValue(run.named(secretType, 'books-database').inputs.stringData, 'the URL'), { url });
      assert.doesNotMatch(JSON.stringify(run.outputs), /s3cret-pw/);
      assert.deepEqual(
        run.named('kubernetes:apps/v1:Deployment', 'books').dependencies.filter((urn) => /postgres/.test(urn)),
        [],
      );
    });

    it('lets the books pods reach its address on its port, or that port anywhere when the URL names a host', async () => {
      const egress = async (databaseUrl: string) =>
        (await runProgram(withConfig({ databaseUrl }, ['databaseUrl']))).named(policyType, 'books-egress').inputs.spec.egress[0];
      assert.deepEqual(await egress(url), { to: [{ ipBlock: { cidr: '10.20.30.40/32' } }], ports: [{ protocol: 'TCP', port: 6432 }] });
      assert.deepEqual(await egress('postgres://u:p@[2001:db8::5]/books'), {
        to: [{ ipBlock: { cidr: '2001:db8::5/128' } }],
        ports: [{ protocol: 'TCP', port: 5432 }],
      });
      assert.deepEqual(await egress('postgresql://u:p@books.abc.eu-west-1.rds.amazonaws.com/books'), {
        to: [{ ipBlock: { cidr: '0.0.0.0/0' } }, { ipBlock: { cidr: '::/0' } }],
        ports: [{ protocol: 'TCP', port: 5432 }],
      });
    });
  });

  describe('a mistake in its keys stops the program before any resource, naming the key', () => {
    const cases: Array<[what: string, config: Record<string, string>, message: RegExp]> = [
      [
        'an untagged postgresImage',
        { postgresImage: 'postgres' },
        /books-gateway:postgresImage must be an image reference with a tag or a digest/,
      ],
      [
        'a databaseUrl of another scheme',
        { databaseUrl: 'mysql://books:s3cret-pw@db/books' },
        /books-gateway:databaseUrl must start with postgres:\/\/ or postgresql:\/\/, not mysql:/,
      ],
      ['a databaseUrl that is no URL', { databaseUrl: 's3cret-pw' }, /books-gateway:databaseUrl is not a URL: write postgres:\/\//],
      [
        'a databaseUrl without a database',
        { databaseUrl: 'postgres://books:s3cret-pw@db:5432' },
        /books-gateway:databaseUrl names no database/,
      ],
      [
        'a volume size without a unit',
        { databaseVolumeSize: '10' },
        /books-gateway:databaseVolumeSize must be a size such as 500Mi, 1Gi or 20Gi, got "10"/,
      ],
      [
        'an unknown fate of the volume',
        { databaseVolumeOnDestroy: 'archive' },
        /books-gateway:databaseVolumeOnDestroy must be one of keep, delete, got "archive"/,
      ],
    ];
    for (const [what, config, message] of cases) {
      it(what, async () => {
        const failure = await runProgramExpectingError(withConfig(config, ['databaseUrl']));
        assert.match(failure.error.message, message);
        assert.doesNotMatch(failure.error.message, /s3cret-pw/, 'never quoting the URL');
        assert.deepEqual(failure.resources, []);
      });
    }
  });
});
