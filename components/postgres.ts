import type * as k8s from '@pulumi/kubernetes';
import type * as pulumi from '@pulumi/pulumi';
import { recordedImage } from './base-images.js';
import { containerSecurityContext, secretFileMode, writableVolumeName } from './deployment.js';
import { selectorLabels, workloadLabels } from './labels.js';

/*
 * The books API's PostgreSQL in the cluster: one pod of the official image (a StatefulSet of one,
 * so that a replacement starts only once the old pod is gone from its volume), its data on a
 * PersistentVolumeClaim, its Service reachable from the books pods alone (network-policies.ts).
 * The official image's entrypoint does what an empty volume needs (initdb, the role and the
 * database named by its environment) and nothing otherwise.
 */

/** What the official image (and the stand-in laid out like it) is, and what the API logs in as. */
export const postgres = {
  name: 'postgres',
  component: 'database',
  port: 5432,
  /** The image's `postgres` user (the Debian-based official images'). */
  user: 999,
  role: 'books',
  database: 'books',
  /** Where the volume is mounted: the image's own data folder. */
  volumeMount: '/var/lib/postgresql/data',
  /**
   * PGDATA, a folder of the volume rather than its root: a fresh ext4 volume holds `lost+found`,
   * which initdb refuses, and the root belongs to whoever made it (the fsGroup reaches it on the
   * clouds' disks but not on a host folder); the entrypoint makes this one as the pod's user.
   */
  dataDir: '/var/lib/postgresql/data/pgdata',
  /** The Secret with the password, mounted read-only here (POSTGRES_PASSWORD_FILE). */
  secretsDir: '/run/secrets/postgres',
  /** Folders it writes besides its data: its socket (and lock files) and temporary files. */
  writableDirs: ['/var/run/postgresql', '/tmp'],
} as const;

/** The Secret key holding the password. */
export const passwordKey = 'password';

/** The PostgreSQL image the cluster runs unless the stack names another: the pinned official one. */
export function defaultPostgresImage(): string {
  return recordedImage('postgres');
}

/** The API's database at the in-cluster Service, by its name in the namespace's DNS. */
export function inClusterHost(namespace: string): string {
  return `${postgres.name}.${namespace}.svc.cluster.local`;
}

export interface PostgresOptions {
  namespace: string;
  image: string;
  /** The Secret holding the password under `passwordKey`. */
  passwordSecret: pulumi.Input<string>;
  /** The claim of the volume holding the data. */
  claimName: pulumi.Input<string>;
}

/** `pg_isready` against the server's TCP listener: ready only once clients can connect. */
const acceptsClients = {
  exec: {
    command: [
      'pg_isready',
      '--host=127.0.0.1',
      `--port=${postgres.port}`,
      `--username=${postgres.role}`,
      `--dbname=${postgres.database}`,
      '--quiet',
    ],
  },
  timeoutSeconds: 5,
};

/**
 * How long the pod may take to stop: the fast shutdown (every session ended, one checkpoint)
 * takes seconds; this leaves the checkpoint of a busy database time enough.
 */
const stopSeconds = 60;

function container(options: PostgresOptions): k8s.types.input.core.v1.Container {
  return {
    name: postgres.name,
    image: options.image,
    imagePullPolicy: 'IfNotPresent',
    env: [
      { name: 'POSTGRES_USER', value: postgres.role },
      { name: 'POSTGRES_DB', value: postgres.database },
      { name: 'POSTGRES_PASSWORD_FILE', value: `${postgres.secretsDir}/${passwordKey}` },
      { name: 'PGDATA', value: postgres.dataDir },
    ],
    ports: [{ name: 'postgres', containerPort: postgres.port, protocol: 'TCP' }],
    // A first start runs initdb, a start after a crash replays the WAL: neither is a hang, so
    // liveness waits until the server has accepted clients once (up to 5 minutes).
    startupProbe: { ...acceptsClients, periodSeconds: 5, failureThreshold: 60 },
    readinessProbe: { ...acceptsClients, periodSeconds: 5, failureThreshold: 2 },
    livenessProbe: { ...acceptsClients, periodSeconds: 10, failureThreshold: 6 },
    // PostgreSQL's fast shutdown (sessions ended, a checkpoint, a clean data folder), whatever
    // signal the runtime then sends: SIGTERM alone means a smart shutdown, which waits for every
    // client to leave, and the books pods' pools never do, until the kill a crash recovery
    // follows. The image's STOPSIGNAL (SIGINT) is honoured by some runtimes only.
    lifecycle: {
      preStop: { exec: { command: ['sh', '-c', `pg_ctl stop --pgdata="$PGDATA" --mode=fast --wait --timeout=${stopSeconds - 10}`] } },
    },
    resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { cpu: '1', memory: '512Mi' } },
    securityContext: containerSecurityContext(),
    volumeMounts: [
      { name: 'data', mountPath: postgres.volumeMount },
      { name: 'credentials', mountPath: postgres.secretsDir, readOnly: true },
      ...postgres.writableDirs.map((dir) => ({ name: writableVolumeName(dir), mountPath: dir })),
    ],
  };
}

/**
 * The StatefulSet of one PostgreSQL pod, hardened as the other workloads are (restricted: its
 * numeric user, no capability, a read-only root with its writable folders on emptyDirs and the
 * volume). A change rolls it by stopping the old pod first: two servers never share the volume.
 */
export function postgresStatefulSetArgs(options: PostgresOptions): k8s.apps.v1.StatefulSetArgs {
  const labels = workloadLabels(postgres.name, postgres.component, options.namespace);
  return {
    metadata: { name: postgres.name, namespace: options.namespace, labels },
    spec: {
      serviceName: postgres.name,
      replicas: 1,
      selector: { matchLabels: selectorLabels(postgres.name, options.namespace) },
      updateStrategy: { type: 'RollingUpdate' },
      template: {
        metadata: { labels },
        spec: {
          securityContext: {
            runAsNonRoot: true,
            runAsUser: postgres.user,
            runAsGroup: postgres.user,
            // The volume's files belong to the pod's group; checked at the root only, so a large
            // data folder is not walked on every start.
            fsGroup: postgres.user,
            fsGroupChangePolicy: 'OnRootMismatch',
            seccompProfile: { type: 'RuntimeDefault' },
          },
          automountServiceAccountToken: false,
          enableServiceLinks: false,
          terminationGracePeriodSeconds: stopSeconds,
          containers: [container(options)],
          volumes: [
            { name: 'data', persistentVolumeClaim: { claimName: options.claimName } },
            { name: 'credentials', secret: { secretName: options.passwordSecret, defaultMode: secretFileMode } },
            ...postgres.writableDirs.map((dir) => ({ name: writableVolumeName(dir), emptyDir: { sizeLimit: '64Mi' } })),
          ],
        },
      },
    },
  };
}

/** Its Service: a stable address (the pod's may change when it is made again), inside the cluster only. */
export function postgresServiceArgs(namespace: string): k8s.core.v1.ServiceArgs {
  return {
    metadata: { name: postgres.name, namespace, labels: workloadLabels(postgres.name, postgres.component, namespace) },
    spec: {
      type: 'ClusterIP',
      selector: selectorLabels(postgres.name, namespace),
      ports: [{ name: 'postgres', port: postgres.port, targetPort: 'postgres', protocol: 'TCP' }],
    },
  };
}
