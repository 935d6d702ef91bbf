import * as k8s from '@pulumi/kubernetes';
import * as pulumi from '@pulumi/pulumi';

/** The images GatewayStack builds, one per workload; each target names a repository per image. */
export const imageNames = ['gateway', 'books', 'books-react'] as const;
export type ImageName = (typeof imageNames)[number];

/**
 * A pushed image's build cache: `registry`, beside the image; `none`, the builder's own. A
 * registry cache needs a builder that exports caches (Docker Desktop 4.34+ or Docker Engine 29+
 * with the containerd image store, or a docker-container builder): a plain Docker Engine's
 * builder refuses the build outright rather than skip the cache.
 */
export const buildCaches = ['registry', 'none'] as const;
export type BuildCache = (typeof buildCaches)[number];

/**
 * The platforms the images can be built for: those every pinned base image publishes
 * (apps/base-images.json records each one's manifest list), and that Kubernetes nodes run.
 */
export const imagePlatforms = ['linux/arm64', 'linux/amd64', 'linux/arm/v7'] as const;
export type ImagePlatform = (typeof imagePlatforms)[number];

/** Credentials the image build pushes with (and, where nodes cannot pull by identity, pods pull with). */
export interface RegistryCredentials {
  /** Registry host, e.g. `ghcr.io`, `123456789012.dkr.ecr.eu-west-1.amazonaws.com`. */
  address: pulumi.Input<string>;
  username: pulumi.Input<string>;
  /** Always a secret. */
  password: pulumi.Input<string>;
}

/** A registry the images are pushed to. */
export interface ImageRegistry {
  /** Full repository (without tag) for an image, e.g. `ghcr.io/acme/books`. */
  repository(image: ImageName): pulumi.Input<string>;
  /** Push credentials; undefined pushes with whatever the machine's Docker is logged in with. */
  credentials?: RegistryCredentials;
  /**
   * True when the cluster's nodes cannot pull by their own identity, so GatewayStack creates an
   * image pull Secret from `credentials` (k3s with a private registry). False for AKS, EKS and
   * GKE, whose nodes are granted pull rights on the registry.
   */
  needsPullSecret: boolean;
}

/**
 * How clients find the gateway's LoadBalancer Service on a cluster:
 * - `awaited`: the cloud assigns an address; `pulumi up` waits for it (and fails when none comes,
 *   a real fault there), and the stack's gatewayUrl is built from it;
 * - `published`: the cluster publishes every LoadBalancer port at a fixed host (Docker Desktop:
 *   localhost), so there is nothing to wait for;
 * - `unawaited`: the cluster may never assign one (kind, minikube without a tunnel, a K3s without
 *   ServiceLB): `pulumi up` does not wait, and gatewayUrl says where to look and how to reach the
 *   gateway without one.
 */
export type GatewayAddress = { kind: 'awaited' } | { kind: 'published'; host: string } | { kind: 'unawaited' };

/**
 * How volumes are made on a cluster: what the StorageClass of the database's volume copies from
 * the cluster's own default class (its provisioner and parameters), so that the stack decides
 * what becomes of the volume on `pulumi destroy` (database-storage.ts).
 */
export interface VolumeProvisioner {
  /** The CSI driver or provisioner, e.g. `ebs.csi.aws.com`, `rancher.io/local-path`. */
  provisioner: string;
  /** Its parameters, e.g. `{ type: 'gp3' }`. Default: none. */
  parameters?: Record<string, string>;
  /**
   * `WaitForFirstConsumer` where a volume belongs to a zone or a node (cloud disks, node-local
   * folders): it is made where the pod is scheduled. `Immediate` otherwise.
   */
  volumeBindingMode: 'Immediate' | 'WaitForFirstConsumer';
  /** Whether a claim may grow later (`databaseVolumeSize` raised). Default false. */
  allowVolumeExpansion?: boolean;
}

/**
 * What GatewayStack needs from the place it deploys to, and so what each target (stacks/<target>/)
 * hands it: everything cloud-specific, so that GatewayStack never names a cloud. A target reads
 * and validates all of its config before it registers any resource.
 */
export interface Target {
  /** The provider every Kubernetes object goes through; never the ambient default. */
  provider: k8s.Provider;
  /**
   * Platforms the images are built for, one or more; several build one multi-platform image
   * (a cluster of mixed nodes), which must be pushed. Undefined builds for the machine's own
   * platform (Docker Desktop).
   */
  platforms?: readonly ImagePlatform[];
  /** Where images are pushed; undefined loads them into the local Docker that the cluster runs on. */
  registry?: ImageRegistry;
  /** Extra stack outputs the target creates (cluster name, kubeconfig as a secret, registry URL). */
  outputs: Record<string, pulumi.Input<unknown>>;
  /**
   * Annotations of the gateway's LoadBalancer Service, for a cluster whose default load balancer
   * would hide the client's address: the gateway's per-client limits and its logs need it, so
   * the target asks its cloud for one that keeps it (eks: an NLB instead of a Classic ELB).
   * Default: none, the cluster's default load balancer.
   */
  gatewayServiceAnnotations?: Record<string, string>;
  /**
   * The gateway Service's ports where the stack chooses none: plain HTTP, and HTTPS with TLS.
   * Default 80 and 443; a cluster whose nodes already bind those (K3s's bundled Traefik, through
   * ServiceLB) gives others, so that a stock install works with the stack's defaults.
   */
  gatewayServicePorts?: { http: number; https: number };
  /** How the gateway's address comes about. Default: awaited. */
  gatewayAddress?: GatewayAddress;
  /** Where pushed images keep their build cache (images.ts). Default `registry`. */
  buildCache?: BuildCache;
  /** How long its load balancer takes to notice a gateway pod come or go (workloads.ts). Default 30. */
  loadBalancerSettleSeconds?: number;
  /**
   * How the cluster makes volumes, for the database's. Undefined: the cluster's default
   * StorageClass as it is (an existing cluster whose provisioner the program cannot know), whose
   * reclaim policy then decides what `pulumi destroy` does to the volume.
   */
  volumeProvisioner?: VolumeProvisioner;
}
