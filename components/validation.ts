import * as pulumi from '@pulumi/pulumi';
import { asUserError, settingReaders } from '../apps/gateway/src/index.js';
import { imagePlatforms, type ImagePlatform } from './target.js';

/*
 * Checks shared by GatewayStack's arguments and the stack config that feeds them. Each takes the
 * name the user knows the value by (an argument field, or a config key such as
 * `books-gateway:booksReplicas`) so the message points at what to fix. They throw RunError:
 * Pulumi prints its message without a stack trace, which is what a configuration mistake deserves.
 */

/**
 * The check's result; a GatewaySettingsError (the rules the gateway's settings and these share,
 * in apps/gateway/src/settings) becomes a RunError with the same message.
 */
export function asRunError<T>(check: () => T): T {
  return asUserError(check, (message) => new pulumi.RunError(message));
}

/** A whole number of at least `min`: a count, a number of seconds. */
export function assertWholeNumber(name: string, value: number, min: number): number {
  return asRunError(() => settingReaders.assertWholeNumber(name, value, min));
}

/** A count of things that must exist at least once: replicas, nodes. */
export function assertCount(name: string, value: number): number {
  return assertWholeNumber(name, value, 1);
}

/** A TCP port. */
export function assertPort(name: string, value: number): number {
  return asRunError(() => settingReaders.assertPort(name, value));
}

/** RFC 1123 label: what Kubernetes accepts as a namespace name. */
export function assertDnsLabel(name: string, value: string): string {
  if (!/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(value)) {
    throw new pulumi.RunError(
      `${name} must be a valid Kubernetes namespace name (lower-case letters, digits and '-', ` +
        `starting and ending with a letter or digit, at most 63 characters), got "${value}"`,
    );
  }
  return value;
}

/**
 * Image platforms: at least one, each one the images can be built for; duplicates dropped. The
 * message names the valid values.
 */
export function assertImagePlatforms(name: string, values: readonly string[]): ImagePlatform[] {
  const valid = imagePlatforms.join(', ');
  if (values.length === 0) throw new pulumi.RunError(`${name} must name at least one platform of ${valid}`);
  const unknown = values.filter((value) => !(imagePlatforms as readonly string[]).includes(value));
  if (unknown.length > 0) {
    throw new pulumi.RunError(
      `${name} has unknown platform${unknown.length > 1 ? 's' : ''} ${unknown.map((value) => `"${value}"`).join(', ')}: ` +
        `use one, or a comma-separated list, of ${valid}`,
    );
  }
  return [...new Set(values as readonly ImagePlatform[])];
}

/** One of a fixed set of words; the message lists them. */
export function assertOneOf<T extends string>(name: string, value: string, values: readonly T[]): T {
  if (!(values as readonly string[]).includes(value)) {
    throw new pulumi.RunError(`${name} must be one of ${values.join(', ')}, got "${value}"`);
  }
  return value as T;
}

/** A volume's size as Kubernetes writes it in binary units: `1Gi`, `500Mi`, `2Ti`. */
export function assertVolumeSize(name: string, value: string): string {
  if (!/^[1-9]\d{0,5}(Mi|Gi|Ti)$/.test(value)) {
    throw new pulumi.RunError(`${name} must be a size such as 500Mi, 1Gi or 20Gi, got "${value}"`);
  }
  return value;
}

/** A label value: empty, or up to 63 letters, digits, `-`, `_` and `.`, starting and ending alphanumeric. */
const labelValue = /^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$/;
/** A label key: an optional DNS subdomain prefix and `/`, then a name shaped as a non-empty value. */
const labelKey = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;

/** Kubernetes labels: each key and value as the API server accepts them; the message names the first that is not. */
export function assertLabels(name: string, labels: Record<string, string>): Record<string, string> {
  for (const [key, value] of Object.entries(labels)) {
    const prefix = key.includes('/') ? key.slice(0, key.indexOf('/')) : '';
    if (!labelKey.test(key) || prefix.length > 253) {
      throw new pulumi.RunError(
        `${name}: "${key}" is not a Kubernetes label key (an optional DNS prefix and '/', then up to 63 letters, digits, '-', '_' and '.')`,
      );
    }
    if (typeof value !== 'string' || !labelValue.test(value)) {
      throw new pulumi.RunError(
        `${name}: the value of "${key}" must be a Kubernetes label value (a string of up to 63 letters, digits, '-', '_' and '.'), got ${JSON.stringify(value)}`,
      );
    }
  }
  return labels;
}
