import * as k8s from '@pulumi/kubernetes';
import type * as pulumi from '@pulumi/pulumi';
import {
  booksDatabaseSecretArgs,
  booksDatabaseSecretOptions,
  inClusterUrl,
  postgresCredentialsArgs,
  postgresPassword,
} from './database-secrets.js';
import { storageClassArgs, volumeClaimArgs } from './database-storage.js';
import { databaseEgressCidrs } from './database-url.js';
import type { DatabaseSettings } from './gateway-stack-args.js';
import { booksEgressPolicyArgs, postgresPolicyArgs, type DatabaseReach } from './network-policies.js';
import { postgresServiceArgs, postgresStatefulSetArgs } from './postgres.js';
import { workloads } from './workloads.js';

/** What the books Deployment needs of its database. */
export interface BooksDatabase {
  /** The Secret holding the URL the books pods connect with (`urlKey`). */
  urlSecret: pulumi.Output<string>;
  /** What the books pods wait for on a first `up`: the in-cluster database serving. None for an existing one. */
  readyWhen: pulumi.Resource[];
}

export interface BooksDatabaseOptions {
  namespace: string;
  /** Options of the namespace's objects (its provider and parent; after the namespace). */
  inNamespace: pulumi.CustomResourceOptions;
  /** Options of the cluster's objects outside the namespace (the StorageClass). */
  inCluster: pulumi.CustomResourceOptions;
}

/**
 * The books API's database: in the cluster (its password, Secrets, StorageClass, claim,
 * StatefulSet, Service and policy), or an existing one named by `databaseUrl`; either way the
 * books pods' Secret with the URL and their egress policy, which lets them reach it and
 * nothing else.
 */
export function createBooksDatabase(
  settings: DatabaseSettings,
  { namespace, inNamespace, inCluster }: BooksDatabaseOptions,
): BooksDatabase {
  const books = workloads.books;
  const reach: DatabaseReach =
    settings.kind === 'in-cluster'
      ? { kind: 'in-cluster' }
      : { kind: 'external', cidrs: databaseEgressCidrs(settings.database), port: settings.database.port };
  new k8s.networking.v1.NetworkPolicy(`${books.name}-egress`, booksEgressPolicyArgs(books, reach, namespace), inNamespace);
  const urlSecretOf = (url: pulumi.Input<string>) =>
    new k8s.core.v1.Secret('books-database', booksDatabaseSecretArgs(namespace, url), { ...inNamespace, ...booksDatabaseSecretOptions })
      .metadata.name;
  if (settings.kind === 'external') return { urlSecret: urlSecretOf(settings.database.url), readyWhen: [] };

  const password = postgresPassword({ parent: inNamespace.parent });
  const credentials = new k8s.core.v1.Secret('postgres-credentials', postgresCredentialsArgs(namespace, password), inNamespace);
  const storageClass = settings.provisioner
    ? new k8s.storage.v1.StorageClass('database', storageClassArgs(namespace, settings.provisioner, settings.volumeOnDestroy), inCluster)
    : undefined;
  const claim = new k8s.core.v1.PersistentVolumeClaim(
    'postgres-data',
    volumeClaimArgs(namespace, settings.volumeSize, storageClass?.metadata.name),
    inNamespace,
  );
  const statefulSet = new k8s.apps.v1.StatefulSet(
    'postgres',
    postgresStatefulSetArgs({
      namespace,
      image: settings.image,
      passwordSecret: credentials.metadata.name,
      claimName: claim.metadata.name,
    }),
    inNamespace,
  );
  const service = new k8s.core.v1.Service('postgres', postgresServiceArgs(namespace), inNamespace);
  new k8s.networking.v1.NetworkPolicy('postgres-from-books', postgresPolicyArgs(books, namespace), inNamespace);
  return { urlSecret: urlSecretOf(inClusterUrl(namespace, password)), readyWhen: [statefulSet, service] };
}
