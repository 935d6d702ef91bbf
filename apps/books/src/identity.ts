import type { IncomingHttpHeaders } from 'node:http';

/**
 * Who is writing: the identity the gateway authenticated and passes on (it removes any copy a
 * client sent). The API trusts these headers because only the gateway can reach it (the
 * NetworkPolicies); a write without them came around the gateway and is refused.
 */
export interface Caller {
  /** The JWT's `sub`, or the API key's client name. */
  readonly subject: string;
  /** How the gateway authenticated it. */
  readonly method: AuthMethod;
}

export const authMethods = ['jwt', 'api-key'] as const;
export type AuthMethod = (typeof authMethods)[number];

/** What the gateway lets through as a subject: printable ASCII, so it never splits a header. */
const SUBJECT = /^[\x20-\x7e]{1,256}$/;

function single(value: string | string[] | undefined): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/** The caller of a request, or undefined when the gateway's identity headers are missing or malformed. */
export function callerOf(headers: IncomingHttpHeaders): Caller | undefined {
  const subject = single(headers['x-auth-subject']);
  const method = single(headers['x-auth-method']);
  if (subject === undefined || !SUBJECT.test(subject)) return undefined;
  if (!(authMethods as readonly string[]).includes(method ?? '')) return undefined;
  return { subject, method: method as AuthMethod };
}
