import * as path from 'node:path';

/*
 * What the single-node cluster and the real `pulumi up` are made of, each built from its Go module
 * at a pinned version through the Go module proxy. Each recipe names a wrapper module under
 * scripts/cluster/go/<module>/ (its go.mod carries the replaces the upstream go.mod has, which
 * `go install module@version` refuses, and its go.sum pins every dependency), the main packages
 * to build, and how the version is stamped into them.
 */

export const goModulesDir = path.join(__dirname, '..', 'go');

/** Versions stamped into the binaries, and the plugins' install versions. */
export const versions = {
  kubernetes: '1.36.3',
  etcd: '3.6.16',
  criDockerd: '0.4.3',
  coredns: '1.14.3',
  localPathProvisioner: '0.0.30',
  kubeRouter: '2.1.0',
  pulumi: '3.276.0',
  /** What @pulumi/kubernetes in package-lock.json asks the engine for. */
  pulumiKubernetes: '4.34.2',
  /**
   * What that provider plugin really is: the Go module proxy serves no module of the v4.34.2
   * commit (`github.com/pulumi/pulumi-kubernetes/provider/v4` lists only this pseudo-version, of
   * 2026-01-15, between v4.24 and v4.25), so it is built from this one (docs/cluster.md).
   */
  pulumiKubernetesBuilt: '4.25.0-dev.20260115033456.f47bc2d6f199',
  pulumiDockerBuild: '0.0.22',
  /** What @pulumi/random in package-lock.json asks the engine for (recipe below). */
  pulumiRandom: '4.21.2',
  buildkit: '0.31.0',
} as const;

/** A command that writes files the build needs, run in the build's copy of a module. */
export interface GenerateStep {
  dir: string;
  command: string[];
  env: Record<string, string>;
}

export interface GoRecipe {
  /** The component, as build lines and cache folders name it. */
  name: string;
  /** Its version, as the build line prints it. */
  version: string;
  /** Its wrapper module: a folder of scripts/cluster/go/. */
  module: string;
  /** Main packages, each built into a binary named after its last path element. */
  packages: string[];
  /** Renames of those binaries, where the package's folder name is not the command's. */
  binaryNames?: Record<string, string>;
  /** `-X` assignments: the version a binary reports. */
  stamps?: Record<string, string>;
  /** Build tags. */
  tags?: string[];
  /**
   * A module to copy beside the wrapper (as ./<folder>, which its go.mod replaces the module
   * with) and the command that generates files its sources embed, for a module whose release
   * zip lacks generated files.
   */
  vendored?: { module: string; version: string; folder: string; generate: GenerateStep };
  /** Files the wrapper generates before it is built (in a copy of it, its `dir` `.`): what its sources embed. */
  generate?: GenerateStep;
}

/** `-X` assignments of the Kubernetes version, as hack/lib/version.sh stamps a release build. */
function kubernetesStamps(version: string): Record<string, string> {
  const [major, minor] = version.split('.');
  const stamps: Record<string, string> = {};
  for (const pkg of ['k8s.io/client-go/pkg/version', 'k8s.io/component-base/version']) {
    Object.assign(stamps, {
      [`${pkg}.gitVersion`]: `v${version}`,
      [`${pkg}.gitMajor`]: major,
      [`${pkg}.gitMinor`]: minor,
      [`${pkg}.gitTreeState`]: 'clean',
      [`${pkg}.buildDate`]: '1970-01-01T00:00:00Z',
    });
  }
  return stamps;
}

const kubernetesCommands = ['kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'kubelet', 'kube-proxy', 'kubectl', 'kubeadm'];

/** Kubernetes' own build tags for release binaries (hack/lib/golang.sh). */
const kubernetesTags = ['selinux', 'notest', 'grpcnotrace'];

const providerModule = 'github.com/pulumi/pulumi-kubernetes/provider/v4';

/** Where the random provider's wrapper keeps the version it reports (and its schema generator needs). */
const randomVersionStamp = 'books-gateway.local/cluster/pulumi-random/info.Version';

export const recipes: GoRecipe[] = [
  {
    name: 'kubernetes',
    version: `v${versions.kubernetes}`,
    module: 'kubernetes',
    packages: kubernetesCommands.map((command) => `k8s.io/kubernetes/cmd/${command}`),
    stamps: kubernetesStamps(versions.kubernetes),
    tags: kubernetesTags,
  },
  { name: 'etcd', version: `v${versions.etcd}`, module: 'etcd', packages: ['go.etcd.io/etcd/server/v3'], binaryNames: { server: 'etcd' } },
  {
    name: 'cri-dockerd',
    version: `v${versions.criDockerd}`,
    module: 'cri-dockerd',
    packages: ['github.com/Mirantis/cri-dockerd'],
    stamps: { 'github.com/Mirantis/cri-dockerd/cmd/version.Version': versions.criDockerd },
  },
  {
    name: 'coredns',
    version: `v${versions.coredns}`,
    module: 'coredns',
    packages: ['books-gateway.local/cluster/coredns'],
    stamps: { 'github.com/coredns/coredns/coremain.GitCommit': `v${versions.coredns}` },
  },
  {
    name: 'local-path-provisioner',
    version: `v${versions.localPathProvisioner}`,
    module: 'local-path-provisioner',
    packages: ['github.com/rancher/local-path-provisioner'],
    stamps: { 'main.VERSION': `v${versions.localPathProvisioner}` },
  },
  {
    name: 'kube-router',
    version: `v${versions.kubeRouter}`,
    module: 'kube-router',
    packages: ['github.com/cloudnativelabs/kube-router/v2/cmd/kube-router'],
    stamps: { 'github.com/cloudnativelabs/kube-router/v2/pkg/version.Version': `v${versions.kubeRouter}` },
  },
  {
    name: 'load-balancer',
    version: `v${versions.kubernetes}`,
    module: 'load-balancer',
    packages: ['books-gateway.local/cluster/load-balancer'],
    // The same tags as Kubernetes', so its client-go packages come from the same build cache.
    tags: kubernetesTags,
  },
  {
    name: 'runtime-adapter',
    version: `v${versions.kubernetes}`,
    module: 'runtime-adapter',
    packages: ['books-gateway.local/cluster/runtime-adapter'],
  },
  {
    name: 'buildkit',
    version: `v${versions.buildkit}`,
    module: 'buildkit',
    packages: ['github.com/moby/buildkit/cmd/buildkitd'],
    stamps: { 'github.com/moby/buildkit/version.Version': `v${versions.buildkit}` },
  },
  {
    name: 'pulumi',
    version: `v${versions.pulumi}`,
    module: 'pulumi',
    packages: ['github.com/pulumi/pulumi/pkg/v3/cmd/pulumi'],
    stamps: { 'github.com/pulumi/pulumi/sdk/v3/go/common/version.Version': `v${versions.pulumi}` },
  },
  {
    name: 'pulumi-resource-kubernetes',
    version: versions.pulumiKubernetesBuilt,
    module: 'pulumi-kubernetes',
    packages: [`${providerModule}/cmd/pulumi-resource-kubernetes`],
    stamps: { [`${providerModule}/pkg/version.Version`]: versions.pulumiKubernetesBuilt },
    vendored: {
      module: providerModule,
      version: 'v4.0.0-20260115033456-f47bc2d6f199',
      folder: 'provider',
      // The provider's own `go generate` step: the schema it embeds, stamped with its version.
      generate: {
        dir: 'cmd/pulumi-resource-kubernetes',
        command: ['go', 'run', './generate.go'],
        env: { VERSION: versions.pulumiKubernetesBuilt },
      },
    },
  },
  {
    // The Go module proxy serves no version of pulumi-random's provider module: its few lines of
    // provider description are the wrapper's own (scripts/cluster/go/pulumi-random), its schema
    // the bridge's generator's output, made first (docs/cluster.md).
    name: 'pulumi-resource-random',
    version: `v${versions.pulumiRandom}`,
    module: 'pulumi-random',
    packages: ['books-gateway.local/cluster/pulumi-random'],
    binaryNames: { 'pulumi-random': 'pulumi-resource-random' },
    stamps: { [randomVersionStamp]: versions.pulumiRandom },
    generate: {
      dir: '.',
      command: [
        'go',
        'run',
        '-ldflags',
        `-X ${randomVersionStamp}=${versions.pulumiRandom}`,
        './tfgen',
        'schema',
        '--out',
        '.',
        '--skip-docs',
        '--skip-examples',
      ],
      env: {},
    },
  },
  {
    name: 'pulumi-resource-docker-build',
    version: `v${versions.pulumiDockerBuild}`,
    module: 'docker-build',
    packages: ['github.com/pulumi/pulumi-docker-build/provider/cmd/pulumi-resource-docker-build'],
    stamps: { 'github.com/pulumi/pulumi-docker-build/provider.Version': versions.pulumiDockerBuild },
  },
];
