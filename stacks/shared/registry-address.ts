import * as pulumi from '@pulumi/pulumi';

/** Where images go: `ghcr.io/acme` is host `ghcr.io`, repositories `ghcr.io/acme/<image>`. */
export interface RegistryAddress {
  /** Registry host (with port), the address credentials are given for. */
  host: string;
  /** Prefix of every repository, without a trailing slash. */
  repositoryPrefix: string;
}

// The grammar of image references (distribution/reference): a host of DNS labels with an
// optional port, then lower-case path components.
const hostPattern = /^[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*(?::\d+)?$/;
const pathComponentPattern = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;

/** Docker Hub, the registry of references whose first component is not a host. */
export const dockerHub = 'docker.io';

/**
 * Parses an image registry setting such as `ghcr.io/acme`, `registry.local:5000` or `acme`
 * (Docker Hub); `name` is the setting's name for the error message.
 */
export function parseImageRegistry(name: string, value: string): RegistryAddress {
  const fail = (why: string) =>
    new pulumi.RunError(`${name} "${value}" is not an image registry (${why}); expected e.g. ghcr.io/acme or registry.local:5000/pi`);
  if (value.includes('://')) throw fail('leave out the scheme');
  const prefix = value.replace(/\/+$/, '');
  const [first, ...rest] = prefix.split('/');
  // As Docker reads references: the first component is a host only if it looks like one.
  const firstIsHost = first.includes('.') || first.includes(':') || first === 'localhost';
  const host = firstIsHost ? first : dockerHub;
  const path = firstIsHost ? rest : [first, ...rest];
  if (!hostPattern.test(host)) throw fail(`"${host}" is not a host name`);
  const badComponent = path.find((component) => !pathComponentPattern.test(component));
  if (badComponent !== undefined) {
    throw fail(`"${badComponent}" is not a repository path component: lower-case letters, digits and . _ -`);
  }
  return { host, repositoryPrefix: prefix };
}
