import type * as k8s from '@pulumi/kubernetes';
import * as pulumi from '@pulumi/pulumi';
import * as path from 'node:path';
import type { GatewayAddress, ImageRegistry, Target, VolumeProvisioner } from './target.js';
import { assertBaseImages, assertImageReference, type BaseImageOverrides } from './base-images.js';
import { volumeFates, type VolumeFate } from './database-storage.js';
import { type ExternalDatabase, parseDatabaseUrl } from './database-url.js';
import type { BuildCache } from './target.js';
import { defaultGatewayPolicy, type GatewayPolicy } from '../apps/gateway/src/index.js';
import { resolveMonitoring, type MonitoringArgs, type MonitoringSetting, type MonitoringSettings } from './monitoring.js';
import type { PublicEndpoint } from './services.js';
import { defaultPostgresImage } from './postgres.js';
import {
  assertCount,
  assertDnsLabel,
  assertImagePlatforms,
  assertOneOf,
  assertPort,
  assertVolumeSize,
  assertWholeNumber,
} from './validation.js';
import { defaultLoadBalancerSettleSeconds } from './workloads.js';

/**
 * What GatewayStack deploys and where; everything cluster-specific comes from the target. The
 * monitoring objects (MonitoringArgs) carry the names of their stack config keys.
 */
export interface GatewayStackArgs extends MonitoringArgs {
  /** The Kubernetes provider every object is created through. Required: never the ambient default. */
  provider: k8s.Provider;
  /**
   * The gateway's security and limits (JWT, API keys, rate limits, CORS, body size, TLS), read
   * from their settings and checked by readGatewayPolicy (apps/gateway/src/settings), which
   * names the key at fault; taken as it is. Default: no credentials, the default limits.
   */
  policy?: GatewayPolicy;
  /** Where the images are pushed. Default: none, the images are loaded into the local Docker that the cluster runs on. */
  registry?: ImageRegistry;
  /** Platforms the images are built for (several: one multi-platform image). Default: the building machine's own. */
  platforms?: Target['platforms'];
  /** Namespace created for every object of the system. Default `books-gateway`. */
  namespace?: string;
  /** Pods of the books REST API, at least 1. Default 2. */
  booksReplicas?: number;
  /** Pods serving the books-react page, at least 1. Default 2. */
  booksReactReplicas?: number;
  /** Pods of the nginx gateway, at least 1. Default 1. */
  gatewayReplicas?: number;
  /**
   * Port of the gateway's LoadBalancer Service, the system's only public port. Default 80 (the
   * k3s target passes 8080: K3s's bundled Traefik binds 80 on every node).
   */
  gatewayServicePort?: number;
  /**
   * Port of the gateway's LoadBalancer Service when it serves HTTPS (`tlsCertificate` set): the
   * Service then offers this port instead of `gatewayServicePort`. Default 443 (k3s: 8443).
   */
  gatewayTlsServicePort?: number;
  /**
   * Annotations of the gateway's LoadBalancer Service, which the cloud's service controller reads
   * (e.g. the kind of load balancer). Default: none.
   */
  gatewayServiceAnnotations?: Record<string, string>;
  /** How the gateway Service gets its address on this cluster (target.ts). Default: awaited. */
  gatewayAddress?: GatewayAddress;
  /** Where pushed images keep their build cache (images.ts). Default `registry`. */
  buildCache?: BuildCache;
  /**
   * How long the cluster's load balancer takes to notice a gateway pod starting or stopping
   * (workloads.ts): a new gateway pod counts as available, and a stopping one keeps serving, that
   * long. Default 30 (a cloud's health checks).
   */
  loadBalancerSettleSeconds?: number;
  /**
   * Folder the images are built from: the repository root, holding `apps/<image>/Dockerfile`.
   * Default: this repository.
   */
  sourceRoot?: string;
  /**
   * Base images instead of the pinned official ones, by the Dockerfiles' build argument
   * (`NODE_IMAGE`, `NGINX_IMAGE`): a registry mirror, an air-gapped copy. Default: none, the
   * pinned digests of apps/base-images.json.
   */
  baseImages?: BaseImageOverrides;
  /**
   * The PostgreSQL image of the in-cluster database (a registry mirror, an air-gapped copy, the
   * stand-in made on a machine without a registry), with a tag or a digest. Default: the official
   * image pinned by digest in apps/base-images.json.
   */
  postgresImage?: string;
  /**
   * An existing PostgreSQL for the books API, `postgres://user:password@host:port/database`, in
   * plaintext: it reaches the cluster only inside a Secret. With it, no database is made in the
   * cluster. Default: none, the in-cluster one.
   */
  databaseUrl?: string;
  /** Size of the in-cluster database's volume, in Mi, Gi or Ti. Default `1Gi`. */
  databaseVolumeSize?: string;
  /**
   * What `pulumi destroy` does to the in-cluster database's volume: `keep` it (and the disk or
   * folder under it) or `delete` it. Default `keep` (database-storage.ts).
   */
  databaseVolumeOnDestroy?: VolumeFate;
  /** How the cluster makes volumes (target.ts). Default: its default StorageClass as it is. */
  volumeProvisioner?: VolumeProvisioner;
}

/** Where the books API's data is, every setting checked. */
export type DatabaseSettings =
  | { kind: 'in-cluster'; image: string; volumeSize: string; volumeOnDestroy: VolumeFate; provisioner?: VolumeProvisioner }
  | { kind: 'external'; database: ExternalDatabase };

/** The defaults of GatewayStackArgs, also the defaults of the matching stack config keys. */
export const gatewayDefaults = {
  namespace: 'books-gateway',
  booksReplicas: 2,
  booksReactReplicas: 2,
  gatewayReplicas: 1,
  gatewayServicePort: 80,
  gatewayTlsServicePort: 443,
  sourceRoot: path.resolve(__dirname, '..'),
  databaseVolumeSize: '1Gi',
  databaseVolumeOnDestroy: 'keep',
} as const;

/** The arguments that make up `DatabaseSettings`. */
type DatabaseSetting = 'postgresImage' | 'databaseUrl' | 'databaseVolumeSize' | 'databaseVolumeOnDestroy' | 'volumeProvisioner';

/** GatewayStackArgs with every default applied and every value checked. */
export type GatewaySettings = Required<Omit<GatewayStackArgs, 'registry' | 'platforms' | DatabaseSetting | MonitoringSetting>> &
  Pick<GatewayStackArgs, 'registry' | 'platforms'> & { database: DatabaseSettings; monitoring: MonitoringSettings };

/** Where clients reach the gateway: the HTTPS port with TLS, else the HTTP port. */
export function publicEndpoint(settings: GatewaySettings): PublicEndpoint {
  const { tls } = settings.policy.render;
  return { port: tls ? settings.gatewayTlsServicePort : settings.gatewayServicePort, tls };
}

/**
 * The platforms checked: several make one multi-platform image, which Docker cannot load into its
 * local image store, so it needs a registry to be pushed to.
 */
function assertPlatforms(platforms: GatewayStackArgs['platforms'], registry: ImageRegistry | undefined): GatewaySettings['platforms'] {
  if (platforms === undefined) return undefined;
  const checked = assertImagePlatforms('platforms', platforms);
  if (checked.length > 1 && registry === undefined) {
    throw new pulumi.RunError(`platforms ${checked.join(', ')} make a multi-platform image, which needs a registry to be pushed to`);
  }
  return checked;
}

/** Applies the defaults and validates; the messages name the argument to fix. */
export function resolveGatewaySettings(args: GatewayStackArgs): GatewaySettings {
  return {
    provider: args.provider,
    registry: args.registry,
    platforms: assertPlatforms(args.platforms, args.registry),
    namespace: assertDnsLabel('namespace', args.namespace ?? gatewayDefaults.namespace),
    booksReplicas: assertCount('booksReplicas', args.booksReplicas ?? gatewayDefaults.booksReplicas),
    booksReactReplicas: assertCount('booksReactReplicas', args.booksReactReplicas ?? gatewayDefaults.booksReactReplicas),
    gatewayReplicas: assertCount('gatewayReplicas', args.gatewayReplicas ?? gatewayDefaults.gatewayReplicas),
    gatewayServicePort: assertPort('gatewayServicePort', args.gatewayServicePort ?? gatewayDefaults.gatewayServicePort),
    gatewayTlsServicePort: assertPort('gatewayTlsServicePort', args.gatewayTlsServicePort ?? gatewayDefaults.gatewayTlsServicePort),
    gatewayServiceAnnotations: args.gatewayServiceAnnotations ?? {},
    gatewayAddress: args.gatewayAddress ?? { kind: 'awaited' },
    buildCache: args.buildCache ?? 'registry',
    loadBalancerSettleSeconds: assertWholeNumber(
      'loadBalancerSettleSeconds',
      args.loadBalancerSettleSeconds ?? defaultLoadBalancerSettleSeconds,
      0,
    ),
    sourceRoot: args.sourceRoot ?? gatewayDefaults.sourceRoot,
    baseImages: assertBaseImages('baseImages', args.baseImages ?? {}),
    policy: args.policy ?? defaultGatewayPolicy(),
    database: resolveDatabase(args),
    monitoring: resolveMonitoring(args, (setting) => setting),
  };
}

/** The database settings checked; the messages name the argument (never quoting a URL). */
function resolveDatabase(args: GatewayStackArgs): DatabaseSettings {
  const volumeSize = assertVolumeSize('databaseVolumeSize', args.databaseVolumeSize ?? gatewayDefaults.databaseVolumeSize);
  const volumeOnDestroy = assertOneOf(
    'databaseVolumeOnDestroy',
    args.databaseVolumeOnDestroy ?? gatewayDefaults.databaseVolumeOnDestroy,
    volumeFates,
  );
  const image = assertImageReference(
    'postgresImage',
    args.postgresImage ?? defaultPostgresImage(),
    'registry.example.com/postgres:17, postgres@sha256:<64 hex>',
  );
  if (args.databaseUrl !== undefined) return { kind: 'external', database: parseDatabaseUrl('databaseUrl', args.databaseUrl) };
  return { kind: 'in-cluster', image, volumeSize, volumeOnDestroy, provisioner: args.volumeProvisioner };
}
