import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import { join } from 'node:path';
import { artifactRepositoryId } from '../../../stacks/gke/index.js';
import { runProgram, runProgramExpectingError, type ProgramRun } from '../../../scripts/capture/program-run.js';
import {
  assertDeploysThroughClusterProvider,
  assertFailsBeforeAnyResource,
  assertGatewayServiceKeepsClientAddress,
  assertImagesPushedTo,
  assertWaitsFor,
  assertTwoGatewaysSurviveANodeUpgrade,
} from '../shared/cloud-assertions.js';
import { pathFixture } from '../shared/commands-on-path.js';
import { gcpAccessToken, gke, gkeCertificateAuthority, gkeEndpoint, nodeAccountEmail, withConfig } from '../shared/cloud-scenarios.js';

const clusterType = 'gcp:container/cluster:Cluster';
const nodePoolType = 'gcp:container/nodePool:NodePool';
const registryHost = 'europe-west1-docker.pkg.dev';
const repositoryType = 'gcp:artifactregistry/repository:Repository';
/** The id a new stack's repository gets: the stack's name and a random part. */
const newRepositoryId = /^books-gateway-test-[0-9a-f]{8}$/;

describe('gke target', () => {
  // The kubeconfig runs gke-gcloud-auth-plugin: on up, the target checks that it is there.
  const path = pathFixture();
  before(() => path.use(['gke-gcloud-auth-plugin']));
  after(() => path.restore());

  describe('with the default node pool', () => {
    let run: ProgramRun;
    let repositoryId: string;
    before(async () => {
      run = await runProgram(gke);
      repositoryId = run.named(repositoryType, 'books-gateway-images').inputs.repositoryId;
    });

    it('creates a custom-mode network and a subnetwork with pod and service ranges and Private Google Access', () => {
      assert.equal(run.named('gcp:compute/network:Network', 'books-gateway-network').inputs.autoCreateSubnetworks, false);
      const subnet = run.named('gcp:compute/subnetwork:Subnetwork', 'books-gateway-subnet').inputs;
      assert.equal(subnet.network, 'books-gateway-network-id');
      assert.equal(subnet.region, 'europe-west1');
      assert.equal(subnet.privateIpGoogleAccess, true);
      assert.deepEqual(
        subnet.secondaryIpRanges.map((r: { rangeName: string }) => r.rangeName),
        ['pods', 'services'],
      );
    });

    it('gives the private nodes a Cloud NAT in the region, for what an operator adds from outside Google', () => {
      const router = run.named('gcp:compute/router:Router', 'books-gateway-router').inputs;
      assert.deepEqual(router, { project: 'my-project', region: 'europe-west1', network: 'books-gateway-network-id' });
      const nat = run.named('gcp:compute/routerNat:RouterNat', 'books-gateway-nat').inputs;
      assert.equal(nat.router, 'books-gateway-router-x1y2z3');
      assert.equal(nat.region, 'europe-west1');
      assert.equal(nat.natIpAllocateOption, 'AUTO_ONLY');
      assert.equal(nat.sourceSubnetworkIpRangesToNat, 'LIST_OF_SUBNETWORKS');
      assert.deepEqual(nat.subnetworks, [{ name: 'books-gateway-subnet-id', sourceIpRangesToNats: ['ALL_IP_RANGES'] }]);
    });

    it("creates a zonal cluster in the region's first zone, without its default node pool, deletable by pulumi destroy", () => {
      const cluster = run.named(clusterType, 'books-gateway-cluster').inputs;
      assert.equal(cluster.location, 'europe-west1-b');
      assert.equal(cluster.project, 'my-project');
      assert.equal(cluster.removeDefaultNodePool, true);
      // The default pool GKE makes and removes runs as the node account, not as the project's
      // default compute account (disabled in many organisations).
      assert.equal(cluster.nodeConfig.serviceAccount, nodeAccountEmail);
      assertWaitsFor(run.named(clusterType, 'books-gateway-cluster'), ['books-gateway-nodes-role']);
      assert.equal(cluster.deletionProtection, false);
      assert.equal(cluster.subnetwork, 'books-gateway-subnet-id');
      assert.equal(cluster.minMasterVersion, undefined);
      assert.deepEqual(cluster.ipAllocationPolicy, { clusterSecondaryRangeName: 'pods', servicesSecondaryRangeName: 'services' });
    });

    it('runs Dataplane V2, so that the NetworkPolicies are enforced', () => {
      assert.equal(run.named(clusterType, 'books-gateway-cluster').inputs.datapathProvider, 'ADVANCED_DATAPATH');
    });

    it('runs 2 private e2-standard-2 nodes in a separate pool, as their own service account', () => {
      const pool = run.named(nodePoolType, 'books-gateway-nodes').inputs;
      assert.equal(pool.cluster, 'books-gateway-cluster-id');
      assert.equal(pool.location, 'europe-west1-b');
      assert.equal(pool.nodeCount, 2);
      assert.equal(pool.nodeConfig.machineType, 'e2-standard-2');
      assert.equal(pool.nodeConfig.serviceAccount, nodeAccountEmail);
      assert.equal(pool.networkConfig.enablePrivateNodes, true);
      const role = run.named('gcp:projects/iAMMember:IAMMember', 'books-gateway-nodes-role').inputs;
      assert.deepEqual(role, {
        project: 'my-project',
        role: 'roles/container.defaultNodeServiceAccount',
        member: `serviceAccount:${nodeAccountEmail}`,
      });
    });

    it('creates a Docker repository in Artifact Registry that the node service account may read', () => {
      const repository = run.named(repositoryType, 'books-gateway-images').inputs;
      assert.deepEqual({ format: repository.format, location: repository.location }, { format: 'DOCKER', location: 'europe-west1' });
      assert.match(repository.repositoryId, newRepositoryId);
      const grants = run.ofType('gcp:artifactregistry/repositoryIamMember:RepositoryIamMember').map((g) => g.inputs);
      assert.deepEqual(grants, [
        {
          project: 'my-project',
          location: 'europe-west1',
          repository: repositoryId,
          role: 'roles/artifactregistry.reader',
          member: `serviceAccount:${nodeAccountEmail}`,
        },
      ]);
    });

    it('deploys every Kubernetes object through a provider using gke-gcloud-auth-plugin, once the nodes can pull', () => {
      assertDeploysThroughClusterProvider(run, {
        kubeconfig: run.outputs.kubeconfig,
        clusterIdentifier: 'books-gateway-cluster-id',
        readyWhen: ['books-gateway-nodes', 'books-gateway-nodes-read', 'books-gateway-nat'],
      });
      const kubeconfig = JSON.parse(run.outputs.kubeconfig);
      assert.equal(kubeconfig.clusters[0].cluster.server, `https://${gkeEndpoint}`);
      assert.equal(kubeconfig.clusters[0].cluster['certificate-authority-data'], gkeCertificateAuthority);
      const { exec } = kubeconfig.users[0].user;
      assert.equal(exec.command, 'gke-gcloud-auth-plugin');
      assert.equal(exec.provideClusterInfo, true);
      // The application-default credentials the README asks for (GOOGLE_APPLICATION_CREDENTIALS
      // on CI), not a gcloud CLI login.
      assert.deepEqual(exec.args, ['--use_application_default_credentials']);
    });

    it('runs one gateway by default; with gatewayReplicas 2, two on different nodes, drained one at a time', async () => {
      assertTwoGatewaysSurviveANodeUpgrade(run, await runProgram(withConfig(gke, { gatewayReplicas: '2' })));
    });

    it("keeps GKE's default passthrough load balancer for the gateway, which passes the client's address through", () => {
      assertGatewayServiceKeepsClientAddress(run, undefined);
    });

    it('pushes linux/amd64 images to the repository with an OAuth access token', () => {
      assertImagesPushedTo(run, {
        repository: (image) => `${registryHost}/my-project/${repositoryId}/${image}`,
        credentials: { address: registryHost, username: 'oauth2accesstoken', password: gcpAccessToken },
      });
    });

    it('exports the kubeconfig as a secret, the cluster and the registry, and the gateway URL by IP', () => {
      assert.ok(run.secretOutputs.includes('kubeconfig'));
      assert.equal(run.outputs.clusterName, 'books-gateway-cluster-x1y2z3');
      assert.equal(run.outputs.registry, registryHost);
      assert.equal(run.outputs.gatewayUrl, 'http://203.0.113.10');
    });
  });

  it('uses the configured zone, node count, machine type, version and deletion protection', async () => {
    const run = await runProgram(
      withConfig(gke, {
        'gcp:zone': 'europe-west1-c',
        nodeCount: '1',
        nodeSize: 'e2-standard-4',
        kubernetesVersion: '1.33.2-gke.1200',
        gkeDeletionProtection: 'true',
      }),
    );
    const cluster = run.named(clusterType, 'books-gateway-cluster').inputs;
    assert.equal(cluster.location, 'europe-west1-c');
    assert.equal(cluster.minMasterVersion, '1.33.2-gke.1200');
    assert.equal(cluster.deletionProtection, true);
    const pool = run.named(nodePoolType, 'books-gateway-nodes').inputs;
    assert.equal(pool.location, 'europe-west1-c');
    assert.equal(pool.nodeCount, 1);
    assert.equal(pool.nodeConfig.machineType, 'e2-standard-4');
  });

  it('gives two stacks of the same name in one project different repositories, each kept once made', async () => {
    const runs = [await runProgram(gke), await runProgram(gke)];
    const [first, second] = runs.map((r) => r.named(repositoryType, 'books-gateway-images'));
    assert.match(second.inputs.repositoryId, newRepositoryId);
    assert.notEqual(first.inputs.repositoryId, second.inputs.repositoryId);
    // Chosen when the repository is created: later runs (with another random part) keep it, and a
    // stack made before the random part existed keeps its books-gateway-<stack>.
    assert.deepEqual(first.ignoreChanges, ['repositoryId']);
  });

  it('derives a valid Artifact Registry repository id from any stack name', () => {
    assert.equal(artifactRepositoryId('Prod_EU.1', '0a1b2c3d'), 'books-gateway-prod-eu-1-0a1b2c3d');
    // Cut to 63 characters, which must not leave a hyphen where the stack's name was cut.
    assert.equal(artifactRepositoryId(`a${'-'.repeat(60)}b`, '0a1b2c3d'), 'books-gateway-a-0a1b2c3d');
    assert.equal(artifactRepositoryId('x'.repeat(80), '0a1b2c3d'), `books-gateway-${'x'.repeat(40)}-0a1b2c3d`);
    assert.equal(artifactRepositoryId('__', '0a1b2c3d'), 'books-gateway-0a1b2c3d');
  });

  describe("reaches the cluster as the identity the Google provider uses, the cluster's administrator", () => {
    const pluginOf = (run: ProgramRun) => JSON.parse(run.outputs.kubeconfig).users[0].user.exec;
    let keyFolder: string;
    before(() => {
      keyFolder = fs.mkdtempSync(join(os.tmpdir(), 'gcp-key-'));
      fs.writeFileSync(join(keyFolder, 'key.json'), '{}');
    });
    after(() => fs.rmSync(keyFolder, { recursive: true, force: true }));

    it("passes gcp:credentials' key file to gke-gcloud-auth-plugin as its application-default credentials", async () => {
      const run = await runProgram(withConfig(gke, { 'gcp:credentials': join(keyFolder, 'key.json') }));
      assert.deepEqual(pluginOf(run).env, [{ name: 'GOOGLE_APPLICATION_CREDENTIALS', value: join(keyFolder, 'key.json') }]);
      assert.deepEqual(pluginOf(run).args, ['--use_application_default_credentials']);
      assert.equal(pluginOf(await runProgram(gke)).env, null, 'none without gcp:credentials');
    });

    it('refuses gcp:credentials holding the key itself, which the plugin cannot take, without showing it', async () => {
      const failure = await runProgramExpectingError({
        ...withConfig(gke, { 'gcp:credentials': '{"type":"service_account","private_key":"-----BEGIN PRIVATE KEY-----x"}' }),
        secretKeys: ['gcp:credentials'],
      });
      assert.match(
        failure.error.message,
        /gcp:credentials holds a service account key itself.*pulumi config set gcp:credentials \/path\/to\/key\.json/s,
      );
      assert.doesNotMatch(failure.error.message, /PRIVATE KEY/);
      assert.deepEqual(failure.resources, []);
    });

    it('refuses a gcp:credentials file that does not exist, naming it', async () => {
      await assertFailsBeforeAnyResource(
        withConfig(gke, { 'gcp:credentials': join(keyFolder, 'missing.json') }),
        /gcp:credentials names .*missing\.json, which does not exist/,
      );
    });

    it('refuses gcp:impersonateServiceAccount with the gcloud command that makes the credentials impersonate it', async () => {
      await assertFailsBeforeAnyResource(
        withConfig(gke, { 'gcp:impersonateServiceAccount': 'deployer@my-project.iam.gserviceaccount.com' }),
        /gcp:impersonateServiceAccount is used by the Google provider but not by gke-gcloud-auth-plugin.*gcloud auth application-default login --impersonate-service-account=deployer@my-project\.iam\.gserviceaccount\.com.*pulumi config rm gcp:impersonateServiceAccount/s,
      );
    });

    it('refuses gcp:accessToken, which the plugin cannot use', async () => {
      await assertFailsBeforeAnyResource(
        withConfig(gke, { 'gcp:accessToken': 'ya29.token' }),
        /gcp:accessToken is used by the Google provider but not by gke-gcloud-auth-plugin/,
      );
    });
  });

  describe('config errors, before any resource', () => {
    for (const [key, example] of [
      ['gcp:project', 'my-project-id'],
      ['gcp:region', 'europe-west1'],
    ]) {
      it(`names ${key} and the command to set it when it is missing`, async () => {
        await assertFailsBeforeAnyResource(
          withConfig(gke, { [key]: undefined }),
          new RegExp(`${key}.*pulumi config set ${key} ${example}`, 's'),
        );
      });
    }

    it('rejects a gcp:zone outside gcp:region', async () => {
      await assertFailsBeforeAnyResource(
        withConfig(gke, { 'gcp:zone': 'us-central1-a' }),
        /gcp:zone us-central1-a is not in gcp:region europe-west1.*pulumi config set gcp:zone europe-west1-b/s,
      );
    });

    it('fails on up before the cluster is created when gke-gcloud-auth-plugin is missing', async () => {
      path.use([]);
      try {
        await assertFailsBeforeAnyResource(
          gke,
          /gke-gcloud-auth-plugin is not on the PATH.*gcloud components install gke-gcloud-auth-plugin/s,
        );
      } finally {
        path.use(['gke-gcloud-auth-plugin']);
      }
    });

    it('rejects a deletion protection that is not true or false', async () => {
      await assertFailsBeforeAnyResource(
        withConfig(gke, { gkeDeletionProtection: 'yes' }),
        /books-gateway:gkeDeletionProtection must be true or false, got "yes"/,
      );
    });
  });
});
