import * as pulumi from '@pulumi/pulumi';
import { isIP } from 'node:net';

/*
 * `databaseUrl`: an existing PostgreSQL (a managed one, for instance) instead of the one
 * GatewayStack runs. Its host and port decide where the books pods may connect
 * (network-policies.ts); the URL itself, which holds a password, reaches the pods only through
 * a Secret and is never quoted in a message.
 */

export interface ExternalDatabase {
  /** The URL as set: a secret, to hand to resources only inside `pulumi.secret`. */
  url: string;
  host: string;
  port: number;
}

/** The URL checked for what the API needs of it; the message names `name` and never quotes the URL. */
export function parseDatabaseUrl(name: string, text: string): ExternalDatabase {
  const form = 'postgres://<user>:<password>@<host>:<port>/<database>[?sslmode=require]';
  let url: URL;
  try {
    url = new URL(text.trim());
  } catch {
    throw new pulumi.RunError(`${name} is not a URL: write ${form}`);
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
    throw new pulumi.RunError(`${name} must start with postgres:// or postgresql://, not ${url.protocol}//: write ${form}`);
  }
  if (url.hostname === '') throw new pulumi.RunError(`${name} names no host: write ${form}`);
  if (url.pathname.length <= 1) throw new pulumi.RunError(`${name} names no database: write ${form}`);
  return { url: text.trim(), host: url.hostname.replace(/^\[(.*)\]$/, '$1'), port: url.port === '' ? 5432 : Number(url.port) };
}

/**
 * Where the books pods' egress may go for the database: the host's address when the URL names
 * one; every address on its port when it names a host (a NetworkPolicy matches addresses, not
 * names, and a managed database's address may change).
 */
export function databaseEgressCidrs(database: ExternalDatabase): string[] {
  const family = isIP(database.host);
  if (family === 4) return [`${database.host}/32`];
  if (family === 6) return [`${database.host}/128`];
  return ['0.0.0.0/0', '::/0'];
}
