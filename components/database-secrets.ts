import type * as k8s from '@pulumi/kubernetes';
import * as pulumi from '@pulumi/pulumi';
import * as random from '@pulumi/random';
import { workloadLabels } from './labels.js';
import { inClusterHost, passwordKey, postgres } from './postgres.js';
import { workloads } from './workloads.js';

/*
 * The database's credentials. The in-cluster PostgreSQL's password is made once, by
 * @pulumi/random on the first `up`, and kept in the stack's state as a secret: later `up`s find
 * it there, so it never changes under a running database. It reaches the cluster in two
 * Secrets: PostgreSQL's (the password, for its first start on an empty volume) and the books
 * pods' (the whole URL), each mounted as a file only that pod's user may read.
 */

/** The Secret key holding the URL the books pods connect with. */
export const urlKey = 'url';

/**
 * The password: 32 letters and digits (no character a URL would have to escape), about 190
 * bits. Generated once; a stack that deletes it gets a new one, which an existing volume does
 * not know (docs/targets.md, the database).
 */
export function postgresPassword(opts: pulumi.CustomResourceOptions): pulumi.Output<string> {
  return new random.RandomPassword('postgres-password', { length: 32, special: false }, opts).result;
}

/** PostgreSQL's Secret: the password it initialises an empty volume with. */
export function postgresCredentialsArgs(namespace: string, password: pulumi.Input<string>): k8s.core.v1.SecretArgs {
  return {
    metadata: { name: `${postgres.name}-credentials`, namespace, labels: workloadLabels(postgres.name, postgres.component, namespace) },
    type: 'Opaque',
    stringData: { [passwordKey]: pulumi.secret(password) },
  };
}

/** The URL of the in-cluster database, as the books pods reach it through its Service. */
export function inClusterUrl(namespace: string, password: pulumi.Input<string>): pulumi.Output<string> {
  return pulumi.secret(
    pulumi.interpolate`postgres://${postgres.role}:${password}@${inClusterHost(namespace)}:${postgres.port}/${postgres.database}`,
  );
}

/**
 * The books pods' Secret: the database's URL. Named by Pulumi (`books-database-` and a random
 * part) and replaced whenever the URL changes, which changes the pods' template and rolls them
 * onto the new one, as the gateway's secrets do.
 */
export function booksDatabaseSecretArgs(namespace: string, url: pulumi.Input<string>): k8s.core.v1.SecretArgs {
  const books = workloads.books;
  return {
    metadata: { namespace, labels: workloadLabels(books.name, books.component, namespace) },
    type: 'Opaque',
    immutable: true,
    stringData: { [urlKey]: pulumi.secret(url) },
  };
}

/** Replace, never update, the books pods' Secret (immutable, and the pods must roll). */
export const booksDatabaseSecretOptions: pulumi.CustomResourceOptions = { replaceOnChanges: ['stringData'] };
